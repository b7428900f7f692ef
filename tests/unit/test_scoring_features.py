"""Scoring features worked by hand on a tiny statement, a thin file and the fund's own record."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest

from app.scoring.features import (
    FEATURE_DIRECTIONS,
    FEATURE_LABELS,
    FEATURE_NAMES,
    FundHistory,
    borrower_features,
    fund_history_features,
    mobile_money_features,
)
from integrations.mobile_money import MoneyTransaction, SimulatedMobileMoneyHistory
from integrations.mobile_money.port import Direction, TxKind
from integrations.mobile_money.wallet import EAT

AS_OF = date(2026, 3, 31)


def tx(
    day: date, kes: int, direction: Direction, kind: TxKind, who: str, balance_kes: int
) -> MoneyTransaction:
    at = datetime(day.year, day.month, day.day, 12, tzinfo=EAT)
    return MoneyTransaction(at, kes * 100, direction, kind, who, balance_kes * 100)


# January: paid 3,000 by an employer and 1,000 by a friend, pays a 1,500 bill.
# February: nothing. March: borrows 1,000 from a lender, repays 500, buys 400 at a till.
STATEMENT = [
    tx(date(2026, 1, 10), 3000, "in", "salary", "ORG-A", 3000),
    tx(date(2026, 1, 20), 1000, "in", "p2p", "P-B", 4000),
    tx(date(2026, 1, 31), 1500, "out", "paybill", "ORG-C", 2500),
    tx(date(2026, 3, 1), 1000, "in", "lender_disbursement", "LENDER-D", 3500),
    tx(date(2026, 3, 15), 500, "out", "lender_repayment", "LENDER-D", 3000),
    tx(date(2026, 3, 20), 400, "out", "till", "TILL-E", 2600),
]


def test_three_months_one_idle_worked_by_hand() -> None:
    features = mobile_money_features(STATEMENT, AS_OF)
    # Monthly inflows 400,000 / 0 / 100,000 cents: mean 166,666.67, population sd 169,967.32.
    assert features["inflow_monthly_mean_minor"] == pytest.approx(500_000 / 3)
    assert features["inflow_monthly_cv"] == pytest.approx(169_967.32 / (500_000 / 3), rel=1e-6)
    assert features["transactions_monthly_mean"] == 2.0
    assert features["outflow_inflow_ratio"] == pytest.approx(2400 / 5000)
    assert features["active_months_share"] == pytest.approx(2 / 3)
    assert features["tenure_days"] == 80.0  # 10 January to 31 March
    assert features["counterparties_distinct"] == 5.0
    assert features["paybill_till_share"] == pytest.approx(2 / 3)
    assert features["other_lender_disbursements"] == 1.0
    assert features["other_lender_repayment_ratio"] == 0.5
    assert features["balance_min_minor"] == 250_000.0  # 2,500 from 31 January to 28 February
    assert features["thin_file"] == "yes"  # active in 2 months, fewer than 3


def test_the_average_balance_is_over_day_ends_not_over_transactions() -> None:
    # 3,000 for 10 days, 4,000 for 11, 2,500 for 29, 3,500 for 14, 3,000 for 5, 2,600 for 12.
    day_ends_kes = [3000] * 10 + [4000] * 11 + [2500] * 29 + [3500] * 14 + [3000] * 5
    day_ends_kes += [2600] * 12
    features = mobile_money_features(STATEMENT, AS_OF)
    assert features["balance_mean_minor"] == pytest.approx(
        sum(day_ends_kes) * 100 / len(day_ends_kes)
    )


def test_transactions_after_the_as_of_date_are_ignored() -> None:
    later = tx(date(2026, 4, 2), 9000, "in", "p2p", "P-Z", 11_600)
    assert mobile_money_features([*STATEMENT, later], AS_OF) == mobile_money_features(
        STATEMENT, AS_OF
    )


def test_no_transactions_is_a_thin_file_with_zero_counts_and_missing_ratios() -> None:
    features = mobile_money_features([], AS_OF)
    assert features["thin_file"] == "yes"
    assert features["tenure_days"] == 0.0
    assert features["inflow_monthly_mean_minor"] == 0.0
    for ratio in ("inflow_monthly_cv", "outflow_inflow_ratio", "other_lender_repayment_ratio"):
        value = features[ratio]
        assert isinstance(value, float)
        assert math.isnan(value)
    assert features.keys() == mobile_money_features(STATEMENT, AS_OF).keys()


def test_a_year_of_a_simulated_trader_is_not_a_thin_file() -> None:
    statement = SimulatedMobileMoneyHistory(date(2026, 1, 1)).history(
        "0712345678", date(2025, 1, 1), date(2025, 12, 31)
    )
    features = mobile_money_features(statement, date(2025, 12, 31))
    assert features["thin_file"] == "no"
    assert features["active_months_share"] == 1.0
    assert 0 < float(features["paybill_till_share"]) < 1
    assert float(features["counterparties_distinct"]) > 100


def test_five_loans_four_on_time_nine_days_late_at_worst() -> None:
    history = FundHistory(
        loans_taken=5, loans_repaid_on_time=4, max_days_late=9, top_ups=2, savings_minor=125_000
    )
    assert fund_history_features(history) == {
        "fund_loans_taken": 5.0,
        "fund_on_time_rate": 0.8,
        "fund_max_days_late": 9.0,
        "fund_top_ups": 2.0,
        "fund_savings_minor": 125_000.0,
    }


def test_a_first_time_borrower_has_a_missing_on_time_rate() -> None:
    rate = fund_history_features(FundHistory())["fund_on_time_rate"]
    assert isinstance(rate, float)
    assert math.isnan(rate)


def test_one_row_holds_the_wallet_and_the_fund_features() -> None:
    row = borrower_features(STATEMENT, FundHistory(loans_taken=1), AS_OF)
    assert row["fund_loans_taken"] == 1.0
    assert row["counterparties_distinct"] == 5.0


@pytest.mark.parametrize("statement", [[], STATEMENT], ids=["empty", "three months"])
def test_every_feature_has_a_name_in_order_and_a_plain_words_label(
    statement: list[MoneyTransaction],
) -> None:
    row = borrower_features(statement, FundHistory(), AS_OF)
    assert tuple(row) == FEATURE_NAMES
    assert FEATURE_LABELS.keys() == row.keys()
    assert all(label and "_" not in label for label in FEATURE_LABELS.values())
    assert FEATURE_DIRECTIONS.keys() <= row.keys() - {"thin_file"}
