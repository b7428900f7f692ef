"""Refusals of the group rules (mapped to problem+json by ``app.api.problems``)."""

from __future__ import annotations

from app.errors import DomainError


class GroupNotFound(DomainError, code="group_not_found", http_status=404):
    """No such group (or none of yours)."""


class GroupProductMissing(DomainError, code="group_product_missing", http_status=409):
    """The group product or its rules are not set up (or the product is inactive)."""


class InvalidRegistration(DomainError, code="invalid_registration_number", http_status=422):
    """Not a registration number in the MSEA or Social Services form."""


class RegistrationNotFound(DomainError, code="registration_not_found", http_status=422):
    """The register does not know this number."""


class RegistrationDeregistered(DomainError, code="registration_deregistered", http_status=422):
    """The register says the group is deregistered."""


class RegistrationTaken(DomainError, code="registration_taken", http_status=409):
    """A group with this registration number already exists here."""


class NotABorrower(DomainError, code="not_an_opted_in_borrower", http_status=422):
    """Only opted-in borrowers may be officials or members of a group."""


class TooManyGroups(DomainError, code="too_many_groups", http_status=409):
    """The borrower already holds as many group memberships as the product allows."""


class AlreadyInGroup(DomainError, code="already_in_group", http_status=409):
    """The borrower is already invited to or a member of this group."""


class NotAnOfficial(DomainError, code="not_an_official", http_status=403):
    """Only the group's officials may do this."""


class NotAMember(DomainError, code="not_a_member", http_status=403):
    """Only the group's active members may do this."""


class InvitationNotFound(DomainError, code="invitation_not_found", http_status=404):
    """No pending invitation of yours with this id."""


class GroupNotActive(DomainError, code="group_not_active", http_status=409):
    """The group is still forming: its three officials have not all accepted."""


class OpenApplicationBlocks(DomainError, code="open_application_blocks", http_status=409):
    """Members cannot leave or be removed while the group has an open application or loan."""


class OfficialCannotLeave(DomainError, code="official_cannot_leave", http_status=409):
    """An official must first be replaced by a vote of the officials."""


class OfficialChangeInvalid(DomainError, code="official_change_invalid", http_status=422):
    """The proposed change of official does not name an active ordinary member."""


class TooFewMembers(DomainError, code="too_few_members", http_status=409):
    """The group has fewer active members than the product's minimum."""


class TooFewToDraw(DomainError, code="too_few_to_draw", http_status=409):
    """Fewer active ordinary members than the approvers to draw: the group cannot apply."""


class OverGroupLimit(DomainError, code="over_group_limit", http_status=422):
    """The amount is above the group's limit or outside the product's range."""


class InvalidSplit(DomainError, code="invalid_split", http_status=422):
    """The split must name each active member at most once, with shares >= 0 summing to
    the amount."""


class ApplicationNotFound(DomainError, code="group_application_not_found", http_status=404):
    """No such application of a group of yours."""


class GroupArrearsBlocks(DomainError, code="group_arrears", http_status=409):
    """A member of the group is frozen by a group loan in arrears (this group's or another)."""


class GroupLoanNotFound(DomainError, code="group_loan_not_found", http_status=404):
    """No group loan with this id or account number."""


class GroupLoanNotOpen(DomainError, code="group_loan_not_open", http_status=409):
    """The group loan is not active (still paying out, repaid or cancelled)."""


class GroupPaymentInvalid(DomainError, code="invalid_group_payment", http_status=422):
    """A payment towards a group loan that cannot be applied (nothing paid)."""


class ApplicationMoved(DomainError, code="group_application_moved", http_status=409):
    """The application is no longer at the gate this request asked about."""
