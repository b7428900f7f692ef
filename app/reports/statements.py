"""Financial statements from the ledger: trial balance, income statement, balance sheet.

Each is built from ``Ledger.trial_balance(as_of)`` (one aggregate over posted postings by
value date) and carries a ``balanced`` flag that re-proves double entry for what it shows:
debits = credits; the period's result = the change in net assets; assets = liabilities +
equity + the result to date. Pending holds are not counted (they are not posted).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from app.reports.dates import DayRange, end_of
from app.reports.schemas import (
    BalanceSheet,
    IncomeStatement,
    StatementLine,
    TrialBalanceLine,
    TrialBalanceReport,
)
from ledger import AccountType, Ledger
from ledger.queries import TrialBalance


def trial_balance(ledger: Ledger, as_of: date) -> TrialBalanceReport:
    tb = ledger.trial_balance(end_of(as_of))
    lines = [
        TrialBalanceLine(
            code=x.code,
            name=x.name,
            type=x.type.value,
            currency=x.currency,
            debit_minor=x.debit_minor,
            credit_minor=x.credit_minor,
        )
        for x in tb.lines
    ]
    debits = sum(x.debit_minor for x in lines)
    credits = sum(x.credit_minor for x in lines)
    return TrialBalanceReport(
        as_of=as_of,
        lines=lines,
        debit_total_minor=debits,
        credit_total_minor=credits,
        balanced=debits == credits and all(v == 0 for v in tb.net_by_currency.values()),
    )


def _net_debits(tb: TrialBalance) -> dict[int, int]:
    return {x.account_id: x.debit_minor - x.credit_minor for x in tb.lines}


def _normal(account_type: AccountType, net_debit_minor: int) -> int:
    """A balance in its account's normal direction (assets and expenses debit, others credit)."""
    return net_debit_minor if account_type.debit_normal else -net_debit_minor


def _lines(tb: TrialBalance, nets: dict[int, int], kind: AccountType) -> list[StatementLine]:
    return [
        StatementLine(
            code=x.code,
            name=x.name,
            type=x.type.value,
            amount_minor=_normal(kind, nets[x.account_id]),
        )
        for x in tb.lines
        if x.type is kind
    ]


def _total(lines: Iterable[StatementLine]) -> int:
    return sum(x.amount_minor for x in lines)


def income_statement(ledger: Ledger, period: DayRange) -> IncomeStatement:
    """Income and expenses over ``period``: the closing balances less the opening ones."""
    closing = ledger.trial_balance(end_of(period.last))
    opening = _net_debits(ledger.trial_balance(end_of(period.first - timedelta(days=1))))
    moved = {k: v - opening.get(k, 0) for k, v in _net_debits(closing).items()}
    income = _lines(closing, moved, AccountType.INCOME)
    expenses = _lines(closing, moved, AccountType.EXPENSE)
    result = _total(income) - _total(expenses)
    # Assets are debit-normal and liabilities and equity credit-normal, so the change in
    # assets - liabilities - equity is the sum of their net-debit movements.
    net_assets_change = sum(
        moved[x.account_id]
        for x in closing.lines
        if x.type in (AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY)
    )
    return IncomeStatement(
        from_date=period.first,
        to_date=period.last,
        income=income,
        expenses=expenses,
        income_total_minor=_total(income),
        expense_total_minor=_total(expenses),
        net_result_minor=result,
        net_assets_change_minor=net_assets_change,
        balanced=result == net_assets_change,
    )


def balance_sheet(ledger: Ledger, as_of: date) -> BalanceSheet:
    tb = ledger.trial_balance(end_of(as_of))
    nets = _net_debits(tb)
    assets = _lines(tb, nets, AccountType.ASSET)
    liabilities = _lines(tb, nets, AccountType.LIABILITY)
    equity = _lines(tb, nets, AccountType.EQUITY)
    result = _total(_lines(tb, nets, AccountType.INCOME)) - _total(
        _lines(tb, nets, AccountType.EXPENSE)
    )
    right = _total(liabilities) + _total(equity) + result
    return BalanceSheet(
        as_of=as_of,
        assets=assets,
        liabilities=liabilities,
        equity=equity,
        assets_total_minor=_total(assets),
        liabilities_total_minor=_total(liabilities),
        equity_total_minor=_total(equity),
        current_result_minor=result,
        liabilities_and_equity_minor=right,
        balanced=_total(assets) == right,
    )
