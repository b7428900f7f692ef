"""How the borrower app and the admin API show a loan's settlement quote (one shape for
both channels)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.lending.models import OPEN_STATUSES, Loan
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
