"""A borrower's record with the fund, read from the loan book for the scoring features.

- loans taken: loans that lent money (cancelled ones, whose payout failed, do not count);
- repaid on time: the borrower's counter, the one the step-ups use;
- most days late: over repaid loans, days from the due date to the business day the loan
  closed; over loans still open, days past due as of ``today`` (0 when never late);
- top-ups: top-up payouts that reached the wallet;
- savings: long- plus short-term savings now.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.clock import business_date
from app.lending.models import Loan, LoanStatus
from app.payments.models import Payout, PayoutStatus
from app.scoring.features import FundHistory


def fund_history(session: Session, borrower: Borrower, today: date) -> FundHistory:
    loans = session.execute(
        select(Loan.due_on, Loan.closed_at).where(
            Loan.borrower_id == borrower.id,
            Loan.status.not_in([LoanStatus.CANCELLED, LoanStatus.DISBURSING]),
        )
    ).all()
    top_ups = session.scalar(
        select(func.count()).where(
            Payout.borrower_id == borrower.id,
            Payout.purpose == "topup",
            Payout.status == PayoutStatus.SUCCEEDED,
        )
    )
    return FundHistory(
        loans_taken=len(loans),
        loans_repaid_on_time=borrower.loans_repaid_on_time,
        max_days_late=max(
            (_days_late(row.due_on, row.closed_at, today) for row in loans), default=0
        ),
        top_ups=int(top_ups or 0),
        savings_minor=borrower.savings_long_minor + borrower.savings_short_minor,
    )


def _days_late(due_on: date | None, closed_at: datetime | None, today: date) -> int:
    if due_on is None:
        return 0
    end = business_date(closed_at) if closed_at is not None else today
    return max(0, (end - due_on).days)
