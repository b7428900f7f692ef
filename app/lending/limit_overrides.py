"""A borrower's credit limit set by hand, under maker-checker (SPEC 6: "admin override with
maker-checker and audit").

The request stores the limit the maker saw. On approval it is refused if the limit moved
since (a step-up, a default reset, another override), or the borrower was frozen or opted
out meanwhile: the checker must not approve a decision taken on facts that changed. The
change is recorded like every limit change (``limit_decisions``, reason ``override``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.approvals.kinds import Approved, DecisionPolicy, KindRules
from app.approvals.models import ApprovalKind
from app.borrowers.models import Borrower, BorrowerStatus
from app.borrowers.service import get_borrower
from app.errors import DomainError
from app.lending.limit_decisions import LimitChange, record_limit
from app.lending.limits import LimitPolicy
from app.money import SHILLING, kes
from ledger import Ledger

POLICY = LimitPolicy()


class InvalidLimit(DomainError, code="invalid_limit"): ...


class LimitChanged(DomainError, code="limit_changed", http_status=409):
    """The borrower's limit moved after the request was made."""


class BorrowerNotEligibleForOverride(DomainError, code="borrower_not_eligible", http_status=409):
    """Frozen or opted out: no limit is raised by hand for them."""


class LimitOverrideHandler(KindRules):
    kind = ApprovalKind.LIMIT_OVERRIDE
    effect = "borrower.limit_override"
    policy = DecisionPolicy(
        expires_after=timedelta(days=3)
    )  # a limit decided on stale income evidence is a new request

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        borrower = get_borrower(session, asked["borrower_id"])
        return {
            "borrower_id": borrower.id,
            "limit_minor": asked["limit_minor"],
            "previous_limit_minor": borrower.credit_limit_minor,
        }

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return "borrower", str(payload["borrower_id"])

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        borrower = get_borrower(session, payload["borrower_id"], lock=True)
        _eligible(borrower)
        if borrower.credit_limit_minor != payload["previous_limit_minor"]:
            raise LimitChanged(
                f"Borrower {borrower.id}'s limit is now {kes(borrower.credit_limit_minor)}, "
                f"not {kes(payload['previous_limit_minor'])} as when asked: ask again"
            )
        limit_minor = payload["limit_minor"]
        if not POLICY.floor_minor <= limit_minor <= POLICY.ceiling_minor:
            raise InvalidLimit(
                f"A limit is between {kes(POLICY.floor_minor)} and {kes(POLICY.ceiling_minor)}"
            )
        if limit_minor % SHILLING:
            raise InvalidLimit("A limit is in whole shillings")
        if limit_minor == borrower.credit_limit_minor:
            raise InvalidLimit(f"The limit is already {kes(limit_minor)}")
        return {
            "credit_limit_minor": borrower.credit_limit_minor,
            "score_band": borrower.score_band,
        }

    def apply(self, approved: Approved) -> dict[str, Any]:
        session, _, approval, checker, now = approved.parts()
        borrower = get_borrower(session, approval.payload["borrower_id"])
        facts = {"approval_id": approval.id, "maker": approval.maker, "checker": checker.username}
        limit_minor = approval.payload["limit_minor"]
        change = LimitChange(limit_minor, "override", facts, borrower.score_band)
        record_limit(session, borrower, change, now)
        return {"credit_limit_minor": borrower.credit_limit_minor}


def _eligible(borrower: Borrower) -> None:
    if borrower.status != BorrowerStatus.ACTIVE:
        raise BorrowerNotEligibleForOverride(f"Borrower {borrower.id} has opted out")
    if borrower.frozen_at is not None:
        raise BorrowerNotEligibleForOverride(
            f"Borrower {borrower.id} is frozen ({borrower.frozen_reason}): no override"
        )


LIMIT_OVERRIDE = LimitOverrideHandler()
