"""Restructuring an instalment loan under maker-checker (the change itself is
``app.lending.restructures.restructure``).

The maker (an admin or credit officer) proposes a new number of instalments and/or a new
first due date; the request records what the loan owed then and a preview of the new
schedule from the asking day. On approval it is validated again against the loan as it is
then: still an open instalment loan, its principal outstanding and restructure count
unchanged (a repayment or another restructure meanwhile makes it fail: ask again), and the
terms still give a schedule from the approval day (they are rescheduled from that day).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.approvals.kinds import Approved, DecisionPolicy, KindRules
from app.approvals.models import ApprovalKind
from app.clock import business_date
from app.errors import DomainError
from app.lending.loans import get_loan
from app.lending.models import Loan
from app.lending.restructures import (
    NewTerms,
    new_schedule,
    open_count,
    restructurable,
    restructure,
)
from app.money import kes
from ledger import Ledger

MAX_INSTALMENTS = 360


class InvalidRestructure(DomainError, code="invalid_restructure"): ...


class LoanChanged(DomainError, code="loan_changed", http_status=409):
    """The loan was repaid or restructured after the request was made."""


class RestructureHandler(KindRules):
    kind = ApprovalKind.LOAN_RESTRUCTURE
    effect = "loan.restructure"
    policy = DecisionPolicy(expires_after=timedelta(days=7))

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        loan = get_loan(session, asked["loan_id"])
        restructurable(loan)
        new = _terms(asked)
        asked_on = date.fromisoformat(asked["asked_on"])
        schedule = new_schedule(loan, new, open_count(session, loan.id), asked_on)
        return {
            "loan_id": loan.id,
            "instalments": new.instalments,
            "first_due_on": None if new.first_due_on is None else new.first_due_on.isoformat(),
            "asked_on": asked_on.isoformat(),
            "principal_outstanding_minor": loan.principal_outstanding_minor,
            "restructure_count": loan.restructure_count,
            "preview": {
                "instalments": len(schedule.instalments),
                "first_due_on": schedule.instalments[0].due_date.isoformat(),
                "first_total_minor": schedule.instalments[0].total_minor,
                "last_due_on": schedule.instalments[-1].due_date.isoformat(),
                "interest_minor": schedule.interest_minor,
            },
        }

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return "loan", str(payload["loan_id"])

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        loan = get_loan(session, payload["loan_id"], lock=True)
        restructurable(loan)
        if (loan.principal_outstanding_minor, loan.restructure_count) != (
            payload["principal_outstanding_minor"],
            payload["restructure_count"],
        ):
            raise LoanChanged(
                f"Loan {loan.account_number} now owes {kes(loan.principal_outstanding_minor)} "
                f"of principal (restructured {loan.restructure_count} times), not as when "
                "asked: ask again"
            )
        return _state(loan)

    def apply(self, approved: Approved) -> dict[str, Any]:
        session, ledger, approval, _, now = approved.parts()
        loan = get_loan(session, approval.payload["loan_id"])
        rows = restructure(
            session, ledger, loan, _terms(approval.payload), f"approval-{approval.id}", now
        )
        return {
            **_state(loan),
            "rescheduled_on": business_date(now).isoformat(),
            "instalments": [
                {"number": r.number, "due_on": r.due_on.isoformat(), "total_minor": r.total_minor}
                for r in rows
            ],
        }


def _terms(asked: Mapping[str, Any]) -> NewTerms:
    count, first_due = asked.get("instalments"), asked.get("first_due_on")
    if count is None and first_due is None:
        raise InvalidRestructure("Give a number of instalments, a first due date, or both")
    if count is not None and not 1 <= count <= MAX_INSTALMENTS:
        raise InvalidRestructure(f"A schedule has 1 to {MAX_INSTALMENTS} instalments")
    return NewTerms(count, None if first_due is None else date.fromisoformat(str(first_due)))


def _state(loan: Loan) -> dict[str, Any]:
    return {
        "status": loan.status,
        "due_on": None if loan.due_on is None else loan.due_on.isoformat(),
        "principal_outstanding_minor": loan.principal_outstanding_minor,
        "interest_outstanding_minor": loan.interest_outstanding_minor,
        "penalty_outstanding_minor": loan.penalty_outstanding_minor,
        "restructure_count": loan.restructure_count,
    }


LOAN_RESTRUCTURE = RestructureHandler()
