"""Scoring features: a flat, named table row from a borrower's wallet statement and fund history.

Pure functions, no I/O. The statement is the ``MobileMoneyHistory`` port's transactions up to
``as_of``; the months counted run from the month of the first transaction to the month of
``as_of``, both included, with months without transactions counted as zero.

Thin file: a borrower active in fewer than ``THIN_FILE_MIN_ACTIVE_MONTHS`` months is flagged
``thin_file = "yes"``. With no transactions at all, counts and amounts are 0.0 and every ratio
that would divide by zero is NaN, which the scorecard's binning puts in its "missing" bin
rather than pretending it is a good or bad value. The same NaN rule covers a borrower with no
inflows (``outflow_inflow_ratio``), no other-lender loans (``other_lender_repayment_ratio``),
no outgoing payments (``paybill_till_share``) and no fund loans (``fund_on_time_rate``).
Amounts are in cents, as floats only because they are statistics (means), not money to book.

``FEATURE_LABELS`` names every feature ``borrower_features`` returns, in its order, in the plain
words a borrower reads in an adverse reason; ``FEATURE_DIRECTIONS`` declares, for the features
where it is obvious, how the risk (the bad rate, as ``binning.Direction``) moves as the value
grows. Invariant: ``tuple(borrower_features(...)) == FEATURE_NAMES`` for any statement.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.scoring.binning import Direction
from integrations.mobile_money import MoneyTransaction

THIN_FILE_MIN_ACTIVE_MONTHS = 3
MISSING = math.nan
"""The value of a feature that is undefined for this borrower (a ratio over nothing)."""

Features = dict[str, float | str]

FEATURE_LABELS: dict[str, str] = {
    "thin_file": "enough months of M-Pesa history",
    "inflow_monthly_mean_minor": "average money received per month",
    "inflow_monthly_cv": "how steady your monthly income is",
    "transactions_monthly_mean": "M-Pesa transactions per month",
    "outflow_inflow_ratio": "money spent compared with money received",
    "active_months_share": "months with M-Pesa activity",
    "balance_mean_minor": "average M-Pesa balance",
    "balance_min_minor": "lowest M-Pesa balance",
    "tenure_days": "how long you have used M-Pesa",
    "counterparties_distinct": "people and businesses you transact with",
    "paybill_till_share": "payments made to bills and shops",
    "other_lender_disbursements": "loans from other lenders",
    "other_lender_repayment_ratio": "other lenders' loans repaid",
    "fund_loans_taken": "loans taken with us",
    "fund_on_time_rate": "loans repaid on time with us",
    "fund_max_days_late": "most days late on a loan with us",
    "fund_top_ups": "loan top-ups with us",
    "fund_savings_minor": "savings with us",
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURE_LABELS)
"""Every feature of ``borrower_features``, in the order it returns them."""
FEATURE_DIRECTIONS: dict[str, Direction] = {
    "inflow_monthly_mean_minor": "decreasing",
    "inflow_monthly_cv": "increasing",
    "active_months_share": "decreasing",
    "balance_mean_minor": "decreasing",
    "balance_min_minor": "decreasing",
    "tenure_days": "decreasing",
    "other_lender_repayment_ratio": "decreasing",
    "fund_on_time_rate": "decreasing",
    "fund_max_days_late": "increasing",
    "fund_savings_minor": "decreasing",
}
"""How the bad rate moves as the value grows, where that is not in doubt. Left to the data:
activity counts, spending ratios, counterparties, bill share, other lenders' loans, loans and
top-ups with us (each can point either way: busy traders and over-borrowers both transact a
lot)."""


@dataclass(frozen=True)
class FundHistory:
    """The borrower's own record with the fund."""

    loans_taken: int = 0
    loans_repaid_on_time: int = 0
    max_days_late: int = 0
    top_ups: int = 0
    savings_minor: int = 0


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else MISSING


def _day_end_balances(last_by_day: dict[int, int], first: date, as_of: date) -> list[int]:
    """The balance at the end of each day from ``first`` to ``as_of`` (day ordinals as keys)."""
    balance, balances = 0, []
    for day in range(first.toordinal(), as_of.toordinal() + 1):
        balance = last_by_day.get(day, balance)
        balances.append(balance)
    return balances


def mobile_money_features(transactions: Sequence[MoneyTransaction], as_of: date) -> Features:
    """Features of a wallet statement (transactions after ``as_of`` are ignored).

    One pass over the statement (a busy trader's two years hold over 5,000 transactions):
    each transaction's day is read once.
    """
    inflow_by_month: dict[int, int] = defaultdict(int)
    active_months: set[int] = set()
    counterparties: set[str] = set()
    last_at_by_day: dict[int, tuple[datetime, int]] = {}
    last_balance_by_day: dict[int, int] = {}
    first_day: date | None = None
    count = outflows = shop_and_bill = lender_loans = 0
    money_in = money_out = lent = repaid = 0
    for position, t in enumerate(transactions):
        day = t.at.date()
        if day > as_of:
            continue
        count += 1
        first_day = day if first_day is None or day < first_day else first_day
        month = _month_index(day)
        active_months.add(month)
        counterparties.add(t.counterparty)
        ordinal = day.toordinal()
        stamp = (t.at, position)  # the day's last transaction; equal times: the later listed
        if ordinal not in last_at_by_day or stamp > last_at_by_day[ordinal]:
            last_at_by_day[ordinal] = stamp
            last_balance_by_day[ordinal] = t.balance_after_minor
        if t.direction == "in":
            money_in += t.amount_minor
            inflow_by_month[month] += t.amount_minor
            if t.kind == "lender_disbursement":
                lent += t.amount_minor
                lender_loans += 1
        else:
            outflows += 1
            money_out += t.amount_minor
            if t.kind == "lender_repayment":
                repaid += t.amount_minor
            elif t.kind in ("paybill", "till"):
                shop_and_bill += 1
    if first_day is None:
        return _thin_file_defaults()
    months = range(_month_index(first_day), _month_index(as_of) + 1)
    monthly_inflows = [inflow_by_month[m] for m in months]
    inflow_mean = statistics.fmean(monthly_inflows)
    balances = _day_end_balances(last_balance_by_day, first_day, as_of)
    return {
        "thin_file": "yes" if len(active_months) < THIN_FILE_MIN_ACTIVE_MONTHS else "no",
        "inflow_monthly_mean_minor": inflow_mean,
        "inflow_monthly_cv": _ratio(statistics.pstdev(monthly_inflows), inflow_mean),
        "transactions_monthly_mean": count / len(months),
        "outflow_inflow_ratio": _ratio(money_out, money_in),
        "active_months_share": len(active_months) / len(months),
        "balance_mean_minor": statistics.fmean(balances),
        "balance_min_minor": float(min(balances)),
        "tenure_days": float((as_of - first_day).days),
        "counterparties_distinct": float(len(counterparties)),
        "paybill_till_share": _ratio(shop_and_bill, outflows),
        "other_lender_disbursements": float(lender_loans),
        "other_lender_repayment_ratio": _ratio(repaid, lent),
    }


def _thin_file_defaults() -> Features:
    return {
        "thin_file": "yes",
        "inflow_monthly_mean_minor": 0.0,
        "inflow_monthly_cv": MISSING,
        "transactions_monthly_mean": 0.0,
        "outflow_inflow_ratio": MISSING,
        "active_months_share": 0.0,
        "balance_mean_minor": 0.0,
        "balance_min_minor": 0.0,
        "tenure_days": 0.0,
        "counterparties_distinct": 0.0,
        "paybill_till_share": MISSING,
        "other_lender_disbursements": 0.0,
        "other_lender_repayment_ratio": MISSING,
    }


def fund_history_features(history: FundHistory) -> Features:
    """Features of the borrower's own loans and savings with the fund."""
    return {
        "fund_loans_taken": float(history.loans_taken),
        "fund_on_time_rate": _ratio(history.loans_repaid_on_time, history.loans_taken),
        "fund_max_days_late": float(history.max_days_late),
        "fund_top_ups": float(history.top_ups),
        "fund_savings_minor": float(history.savings_minor),
    }


def borrower_features(
    transactions: Sequence[MoneyTransaction], history: FundHistory, as_of: date
) -> Features:
    """All features of one borrower: the wallet's and the fund's, in one row."""
    return mobile_money_features(transactions, as_of) | fund_history_features(history)
