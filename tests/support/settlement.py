"""The settlement quote of a loan as the app would show it today, and paying it."""

from __future__ import annotations

from app.clock import business_date
from app.lending.models import Loan
from app.lending.settlement import SettlementQuote, settlement_quote
from tests.support.lending import Fund


def quote_today(fund: Fund, loan_id: int) -> SettlementQuote:
    with fund.sessions.reader() as session:
        loan = session.get(Loan, loan_id)
        assert loan is not None
        return settlement_quote(session, loan, business_date(fund.clock()))
