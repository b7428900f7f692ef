"""Shapes of the admin reports (``/admin/v1/reports``), in JSON.

Amounts are integers of cents (``_minor``); ratios are integer basis points (``_bp``,
10,000 = 100%), or ``null`` where the denominator is zero. Dates are Nairobi business dates.
Definitions of every figure: ``docs/reports.md``.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class StatusLine(BaseModel):
    status: str
    loans_count: int
    principal_minor: int
    interest_minor: int
    penalty_minor: int
    outstanding_minor: int
    """Principal + interest + penalty still owed."""


class ParLine(BaseModel):
    days_over: int
    """N of PAR N: loans with an amount more than N days past due."""
    loans_count: int
    principal_minor: int
    outstanding_minor: int
    """Whole outstanding balance (principal + interest + penalty) of those loans."""
    share_bp: int | None
    """``outstanding_minor`` / the portfolio's outstanding, in basis points (half up)."""


class DayLine(BaseModel):
    date: date
    disbursed_count: int
    disbursed_principal_minor: int
    repayments_count: int
    repaid_minor: int
    """Applied to debt (principal + interest + penalty); overpayments are not counted."""
    due_count: int
    due_principal_minor: int
    """Principal disbursed on the loans whose due date is this day."""
    repaid_on_time_principal_minor: int
    """Of that principal, what was repaid by the end of the due date."""
    repayment_rate_bp: int | None


class PortfolioReport(BaseModel):
    as_of: date
    portfolio_loans_count: int
    """Open loans (disbursing, active, defaulted) owing anything."""
    portfolio_principal_minor: int
    portfolio_outstanding_minor: int
    by_status: list[StatusLine]
    total: StatusLine
    par: list[ParLine]
    from_date: date
    to_date: date
    days: list[DayLine]
    days_total: DayLine
    """The window's sums; its ``date`` is ``to_date`` and its rate is over the whole window."""


class SavingsBook(BaseModel):
    borrowers_count: int
    savers_count: int
    """Borrowers with any long- or short-term savings."""
    long_minor: int
    short_minor: int
    short_held_minor: int
    """Short-term savings under lien (a loan in default): not withdrawable."""
    total_minor: int
    ledger_long_minor: int
    ledger_short_minor: int
    agrees_with_ledger: bool
    """The borrowers' balances sum to the ledger's savings accounts (2110, 2120)."""


class SaverLine(BaseModel):
    borrower_id: int
    status: str
    long_minor: int
    short_minor: int
    short_held_minor: int


class SaverPage(BaseModel):
    items: list[SaverLine]
    next_after_id: int | None


class TrialBalanceLine(BaseModel):
    code: str
    name: str
    type: str
    currency: str
    debit_minor: int
    credit_minor: int


class TrialBalanceReport(BaseModel):
    as_of: date
    lines: list[TrialBalanceLine]
    debit_total_minor: int
    credit_total_minor: int
    balanced: bool


class StatementLine(BaseModel):
    code: str
    name: str
    type: str
    amount_minor: int
    """In the account's normal direction: income and liabilities are positive when credit."""


class IncomeStatement(BaseModel):
    from_date: date
    to_date: date
    income: list[StatementLine]
    expenses: list[StatementLine]
    income_total_minor: int
    expense_total_minor: int
    net_result_minor: int
    net_assets_change_minor: int
    """Change over the period of assets - liabilities - equity (before the result)."""
    balanced: bool
    """``net_result_minor == net_assets_change_minor``: the period's postings balance."""


class BalanceSheet(BaseModel):
    as_of: date
    assets: list[StatementLine]
    liabilities: list[StatementLine]
    equity: list[StatementLine]
    assets_total_minor: int
    liabilities_total_minor: int
    equity_total_minor: int
    current_result_minor: int
    """Income - expenses to date (no period has been closed into equity)."""
    liabilities_and_equity_minor: int
    """Liabilities + equity + current result."""
    balanced: bool
    """``assets_total_minor == liabilities_and_equity_minor``."""


class AgeingLine(BaseModel):
    bucket: str
    """Days past due: ``current``, ``1-30``, ``31-60``, ``61-90``, ``91-180``, ``180+``."""
    loans_count: int
    principal_minor: int
    outstanding_minor: int
    """Whole outstanding balance (principal + interest + penalty) of those loans."""


class ProductAgeing(BaseModel):
    product_code: str
    buckets: list[AgeingLine]
    """Every bucket, zeros included, in order."""
    total: AgeingLine


class ArrearsAgeing(BaseModel):
    as_of: date
    products: list[ProductAgeing]
    """Products with open loans owing anything, by code."""
    total: ProductAgeing
    """All products (``product_code`` is ``total``)."""
