"""How the borrower app and the admin API show a loan's settlement quote (one shape for
both channels), and how the admin API shows its instalment rows."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.lending.models import OPEN_STATUSES, Loan, LoanInstalment
from app.lending.settlement import SettlementQuote, settlement_quote
from app.money import kes


class SettlementOut(BaseModel):
    """What pays the loan off today (``app.lending.settlement``)."""

    as_of: date
    principal_minor: int
    interest_due_minor: int
    """Interest of instalments due by today, unpaid (a bullet loan: its interest owed)."""
    interest_accrued_minor: int
    """Interest of the current period accrued to today (instalment loans; later periods'
    interest is not charged)."""
    penalty_minor: int
    total_minor: int
    total_display: str

    @classmethod
    def of_loan(cls, session: Session, loan: Loan, today: date) -> SettlementOut | None:
        """The quote of an open loan today; None for a closed one."""
        if loan.status not in OPEN_STATUSES:
            return None
        return cls.of(settlement_quote(session, loan, today))

    @classmethod
    def of(cls, quote: SettlementQuote) -> SettlementOut:
        return cls(
            as_of=quote.as_of,
            principal_minor=quote.principal_minor,
            interest_due_minor=quote.interest_due_minor,
            interest_accrued_minor=quote.interest_accrued_minor,
            penalty_minor=quote.penalty_minor,
            total_minor=quote.total_minor,
            total_display=kes(quote.total_minor),
        )


class InstalmentRowOut(BaseModel):
    """One instalment row as stored (the admin loan view: superseded rows included)."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    status: str
    """open, paid, written_off or superseded."""
    period_start: date
    due_on: date
    principal_minor: int
    interest_minor: int
    interest_recognised_minor: int
    penalty_minor: int
    total_minor: int
    paid_principal_minor: int
    paid_interest_minor: int
    paid_penalty_minor: int
    left_minor: int
    """What it still asks (0 once paid, written off or superseded: the loan's rows carry it)."""

    @classmethod
    def rows_of(cls, session: Session, loan_id: int) -> list[InstalmentRowOut]:
        rows = session.scalars(
            select(LoanInstalment)
            .where(LoanInstalment.loan_id == loan_id)
            .order_by(LoanInstalment.number)
        )
        return [
            cls.model_validate(row).model_copy(
                update={"left_minor": row.left_minor if row.status == "open" else 0}
            )
            for row in rows
        ]
