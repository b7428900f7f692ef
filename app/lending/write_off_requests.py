"""Writing off a defaulted loan under maker-checker (the posting itself is
``app.lending.writeoffs.write_off``).

The request records what was owed when it was made. On approval the loan must still be in
default: if it was repaid (or written off) meanwhile the approval fails and nothing posts.
What is written off is what is owed at approval (interest may have accrued since); the
audit record shows both amounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.approvals.kinds import Approved, DecisionPolicy, KindRules
from app.approvals.models import ApprovalKind
from app.lending.loans import get_loan
from app.lending.models import Loan, LoanStatus
from app.lending.writeoffs import NotWriteOffable, write_off
from ledger import Ledger


class WriteOffHandler(KindRules):
    kind = ApprovalKind.WRITE_OFF
    effect = "loan.write_off"
    policy = DecisionPolicy(expires_after=timedelta(days=7))

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        loan = get_loan(session, asked["loan_id"])
        return {"loan_id": loan.id, "outstanding_minor": loan.outstanding_minor}

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return "loan", str(payload["loan_id"])

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        loan = get_loan(session, payload["loan_id"], lock=True)
        if loan.status != LoanStatus.DEFAULTED:
            raise NotWriteOffable(
                f"Loan {loan.account_number} is {loan.status}: only a loan in default "
                "can be written off"
            )
        return _owed(loan)

    def apply(self, approved: Approved) -> dict[str, Any]:
        session, ledger, approval, checker, now = approved.parts()
        loan = get_loan(session, approval.payload["loan_id"])
        written_off_minor = loan.outstanding_minor
        loan = write_off(session, ledger, loan.id, approval.reason, checker.username, now)
        return {**_owed(loan), "written_off_minor": written_off_minor}


def _owed(loan: Loan) -> dict[str, Any]:
    return {
        "status": loan.status,
        "principal_outstanding_minor": loan.principal_outstanding_minor,
        "interest_outstanding_minor": loan.interest_outstanding_minor,
        "penalty_outstanding_minor": loan.penalty_outstanding_minor,
    }


WRITE_OFF = WriteOffHandler()
