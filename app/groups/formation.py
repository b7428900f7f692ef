"""Forming a group and changing who is in it: create (three officials), invite, accept or
decline, leave, remove. Functions take a session and only flush; the channels own the
transaction.

Rules (docs/groups.md):
- Three officials (chair, secretary, treasurer) create a group: the creator takes one role and
  invites the two others, who must accept; each is an opted-in borrower. The registration
  number is checked against the register (known and active) and is unique here. The group is
  ``forming`` until both invited officials accept, then ``active``.
- Any active official invites members by phone; the phone must be an opted-in borrower's.
  An invitee accepts or declines. Nobody holds more live memberships (invited or active) than
  the product's ``max_groups_per_borrower``.
- A member leaves, or an official removes a member, only while the group has no open
  application (pending a gate or ready for payout): members who may owe cannot walk away from
  a loan being decided or paid out. An official cannot leave or be removed: they are first
  replaced by a vote of the officials (``app.groups.officials``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.borrowers.errors import InvalidPhoneInput
from app.borrowers.models import Borrower, BorrowerStatus
from app.groups import errors, notices
from app.groups.membership import (
    get_group,
    group_product,
    live_membership,
    live_memberships_of,
    require_official,
)
from app.groups.models import (
    OFFICIAL_ROLES,
    OPEN_APPLICATION_STATUSES,
    Group,
    GroupApplication,
    GroupMember,
    GroupStatus,
    MemberStatus,
    Role,
)
from app.security.fields import BlindIndex
from integrations.phone import InvalidMsisdn, normalise_msisdn
from integrations.registers import (
    GroupRegister,
    InvalidRegistrationNumber,
    RegistrationStatus,
    normalise_registration_number,
)


@dataclass(frozen=True, slots=True)
class NewGroup:
    name: str
    registration_number: str
    creator_role: Role
    """The creator's own office; the other two are invited by phone."""
    official_phones: dict[Role, str]
    """The phones of the two other officials, by office."""


def create_group(
    session: Session,
    register: GroupRegister,
    blind_index: BlindIndex,
    creator_id: int,
    new: NewGroup,
    now: datetime,
) -> Group:
    offices = {new.creator_role, *new.official_phones}
    if offices != set(OFFICIAL_ROLES) or len(new.official_phones) != len(OFFICIAL_ROLES) - 1:
        raise errors.OfficialChangeInvalid(
            "Name one office for yourself and phones for the two other offices "
            "(chair, secretary, treasurer)"
        )
    number = _checked_registration(register, new.registration_number)
    if session.scalar(select(Group.id).where(Group.registration_number == number)) is not None:
        raise errors.RegistrationTaken(f"Group {number} is already registered here")
    product = group_product(session)
    creator = _opted_in(session, creator_id)
    others = {
        role: _borrower_by_phone(session, blind_index, phone)
        for role, phone in new.official_phones.items()
    }
    if len({creator.id, *(b.id for b in others.values())}) != len(OFFICIAL_ROLES):
        raise errors.OfficialChangeInvalid("The three officials must be three different people")
    group = Group(
        name=new.name,
        registration_number=number,
        product_id=product.product.id,
        status=GroupStatus.FORMING.value,
        created_by=creator.id,
        limit_minor=0,
        created_at=now,
    )
    session.add(group)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise errors.RegistrationTaken(f"Group {number} is already registered here") from None
    _check_room(session, creator.id, product.rules.max_groups_per_borrower)
    session.add(
        GroupMember(
            group_id=group.id,
            borrower_id=creator.id,
            role=new.creator_role.value,
            status=MemberStatus.ACTIVE.value,
            invited_at=now,
            joined_at=now,
        )
    )
    for role, borrower in others.items():
        _invite(session, group, creator.id, borrower, role, now)
    session.flush()
    return group


@dataclass(frozen=True, slots=True)
class Invitation:
    group_id: int
    phone: str
    role: Role = Role.MEMBER
    """``member``; or an empty office while the group is forming (after an invited official
    declined)."""


def invite(
    session: Session, blind_index: BlindIndex, official_id: int, asked: Invitation, now: datetime
) -> GroupMember:
    """An official invites an opted-in borrower (found by phone) to the group."""
    group = get_group(session, asked.group_id, lock=True)
    require_official(session, group.id, official_id)
    if asked.role != Role.MEMBER and group.status != GroupStatus.FORMING:
        raise errors.OfficialChangeInvalid(
            "Offices are filled by invitation only while the group is forming; "
            "afterwards the officials vote"
        )
    borrower = _borrower_by_phone(session, blind_index, asked.phone)
    return _invite(session, group, official_id, borrower, asked.role, now)


def accept(session: Session, borrower_id: int, membership_id: int, now: datetime) -> GroupMember:
    member = _own_invitation(session, borrower_id, membership_id)
    group = get_group(session, member.group_id, lock=True)
    _opted_in(session, borrower_id)
    member.status, member.joined_at = MemberStatus.ACTIVE.value, now
    session.flush()
    if group.status == GroupStatus.FORMING and _officials_all_active(session, group.id):
        group.status, group.activated_at = GroupStatus.ACTIVE.value, now
        session.flush()
    return member


def decline(session: Session, borrower_id: int, membership_id: int, now: datetime) -> GroupMember:
    """Decline an invitation. An official's office stays empty until the creator invites
    someone else to it (a forming group cannot activate without all three)."""
    member = _own_invitation(session, borrower_id, membership_id)
    get_group(session, member.group_id, lock=True)
    member.status, member.ended_at = MemberStatus.DECLINED.value, now
    session.flush()
    return member


def leave(session: Session, borrower_id: int, group_id: int, now: datetime) -> GroupMember:
    get_group(session, group_id, lock=True)
    member = live_membership(session, group_id, borrower_id)
    if member is None or member.status != MemberStatus.ACTIVE:
        raise errors.NotAMember("You are not an active member of this group")
    return _end(session, member, MemberStatus.LEFT, now)


def remove(
    session: Session, official_id: int, group_id: int, borrower_id: int, now: datetime
) -> GroupMember:
    """An official removes a member (active or still invited)."""
    get_group(session, group_id, lock=True)
    require_official(session, group_id, official_id)
    member = live_membership(session, group_id, borrower_id)
    if member is None:
        raise errors.NotAMember(f"Borrower {borrower_id} is not in this group")
    if member.status == MemberStatus.INVITED:
        member.status, member.ended_at = MemberStatus.DECLINED.value, now
        session.flush()
        return member
    return _end(session, member, MemberStatus.REMOVED, now)


def has_open_application(session: Session, group_id: int) -> bool:
    return (
        session.scalar(
            select(GroupApplication.id).where(
                GroupApplication.group_id == group_id,
                GroupApplication.status.in_([s.value for s in OPEN_APPLICATION_STATUSES]),
            )
        )
        is not None
    )


def _end(session: Session, member: GroupMember, status: MemberStatus, now: datetime) -> GroupMember:
    if member.role != Role.MEMBER:
        raise errors.OfficialCannotLeave(
            "An official leaves only after the officials vote someone else into the office"
        )
    if has_open_application(session, member.group_id):
        raise errors.OpenApplicationBlocks(
            "Nobody leaves or is removed while the group has an open loan application"
        )
    member.status, member.ended_at = status.value, now
    session.flush()
    return member


def _invite(
    session: Session, group: Group, inviter_id: int, borrower: Borrower, role: Role, now: datetime
) -> GroupMember:
    if live_membership(session, group.id, borrower.id) is not None:
        raise errors.AlreadyInGroup("This person is already invited to or in the group")
    _check_room(
        session, borrower.id, group_product(session, group.product_id).rules.max_groups_per_borrower
    )
    member = GroupMember(
        group_id=group.id,
        borrower_id=borrower.id,
        role=role.value,
        status=MemberStatus.INVITED.value,
        invited_by=inviter_id,
        invited_at=now,
    )
    session.add(member)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the partial unique indexes: a live membership or office exists
        raise errors.AlreadyInGroup(
            "This person is already in the group, or the office is taken"
        ) from None
    notices.invited(session, borrower.id, member.id, group.name, role.value, now)
    return member


def _check_room(session: Session, borrower_id: int, most: int) -> None:
    if live_memberships_of(session, borrower_id) >= most:
        raise errors.TooManyGroups(f"A borrower may be in at most {most} groups")


def _own_invitation(session: Session, borrower_id: int, membership_id: int) -> GroupMember:
    member = session.get(GroupMember, membership_id, with_for_update=True, populate_existing=True)
    if member is None or member.borrower_id != borrower_id or member.status != MemberStatus.INVITED:
        raise errors.InvitationNotFound(f"No pending invitation {membership_id} of yours")
    return member


def _officials_all_active(session: Session, group_id: int) -> bool:
    roles = session.scalars(
        select(GroupMember.role).where(
            GroupMember.group_id == group_id,
            GroupMember.status == MemberStatus.ACTIVE,
            GroupMember.role != Role.MEMBER,
        )
    ).all()
    return set(roles) == {r.value for r in OFFICIAL_ROLES}


def _opted_in(session: Session, borrower_id: int) -> Borrower:
    borrower = session.get(Borrower, borrower_id)
    if borrower is None or borrower.status != BorrowerStatus.ACTIVE:
        raise errors.NotABorrower("Only opted-in borrowers may be in a group")
    return borrower


def _borrower_by_phone(session: Session, blind_index: BlindIndex, phone: str) -> Borrower:
    try:
        msisdn = normalise_msisdn(phone)
    except InvalidMsisdn:
        raise InvalidPhoneInput("Give a Kenyan mobile number, e.g. 0712345678") from None
    borrower = session.scalar(
        select(Borrower).where(Borrower.phone_index == blind_index.digest("msisdn", msisdn))
    )
    if borrower is None or borrower.status != BorrowerStatus.ACTIVE:
        raise errors.NotABorrower("This number is not an opted-in borrower's")
    return borrower


def _checked_registration(register: GroupRegister, raw: str) -> str:
    try:
        number = normalise_registration_number(raw)
    except InvalidRegistrationNumber as exc:
        raise errors.InvalidRegistration(str(exc)) from None
    found = register.lookup(number)
    if found is None:
        raise errors.RegistrationNotFound(f"The register does not know {number}")
    if found.status != RegistrationStatus.ACTIVE:
        raise errors.RegistrationDeregistered(f"The register says {number} is deregistered")
    return number
