"""The admin reports on a worked example: nine borrowers, loans in every state, 114 days.

Day 0 is Monday 2 March 2026 (10:00 in Nairobi); the reports are read on day 114,
Wednesday 24 June 2026. Personal Loan terms: 14 days at 8% a year, 9.5% from day 15,
default on day 30; 5% of each loan withheld as savings (70% long-term, 30% short-term).

| who | lends (KES) | on day | then                                    | on day 114          |
|-----|-------------|--------|-----------------------------------------|---------------------|
| A   | 1,000       | 0      | repays 300 on day 10, defaults day 30   | defaulted, 100 DPD  |
| B   | 2,000       | 0      | defaults day 30, written off day 45     | written off         |
| C   | 3,000       | 60     | defaults on day 90                      | defaulted, 40 DPD   |
| D   | 4,000       | 90     |                                         | active, 10 DPD      |
| F   | 500         | 96     | repays 501.53 + 10 over on its due date | repaid              |
| E   | 1,000       | 98     | repays 400 on day 105                   | active, 2 DPD       |
| H   | 1,500       | 99     |                                         | active, 1 DPD       |
| G   | 2,500       | 110    |                                         | active, not yet due |
| J   | 700         | 114    | not yet confirmed by M-Pesa             | disbursing          |

Interest, in cents, is ``floor(sum of principal x rate / 3,650,000)`` over the days accrued,
on the principal outstanding each day (``app.loan_math.interest``); each figure below says how.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.borrowers.models import Borrower
from app.db.engine import make_database
from app.db.session import Sessions
from app.lending.writeoffs import write_off
from app.settings import Settings
from app.staff.models import Role
from ledger import Ledger
from tests.support.api import app_for, bearer, staff_token
from tests.support.clock import FrozenClock
from tests.support.lending import KES, Fund, open_fund

DAY_0 = date(2026, 3, 2)
REPORT_DAY = 114
TODAY = DAY_0 + timedelta(days=REPORT_DAY)  # 2026-06-24
PEOPLE = {  # national ID (a valid adult), phone (an old SIM with M-Pesa)
    "A": ("12345670", "0712345678"),
    "B": ("23456780", "0712345611"),
    "C": ("30001234", "0712345612"),
    "D": ("30001235", "0712345613"),
    "E": ("30001236", "0712345614"),
    "F": ("30001241", "0712345615"),
    "G": ("30001242", "0712345616"),
    "H": ("30001243", "0712345617"),
    "J": ("30001244", "0712345618"),
}


@dataclass
class Book:
    fund: Fund
    client: TestClient
    loans: dict[str, int]
    headers: dict[str, str]

    def get(self, path: str, **params: Any) -> Any:
        answer = self.client.get(f"/admin/v1/reports/{path}", params=params, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def csv(self, path: str, **params: Any) -> list[dict[str, str]]:
        answer = self.client.get(
            f"/admin/v1/reports/{path}", params={**params, "format": "csv"}, headers=self.headers
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert answer.headers["content-disposition"].startswith('attachment; filename="')
        return list(csv.DictReader(io.StringIO(answer.text)))


def build_book(fund: Fund) -> dict[str, int]:
    """Run the fund from day 0 to day 114 as in the table above; returns loan ids."""
    day = 0

    def go_to(target: int) -> None:
        nonlocal day
        fund.days_pass(target - day)
        day = target

    who = {name: fund.register(nid, phone) for name, (nid, phone) in PEOPLE.items()}
    with fund.sessions.unit_of_work() as session:
        for borrower_id in who.values():
            session.get_one(Borrower, borrower_id).credit_limit_minor = 5_000 * KES
    loans: dict[str, int] = {}

    def borrow(name: str, amount_kes: int) -> None:
        fund.borrow(who[name], amount_kes * KES, key=f"borrow-{name}")
        loans[name] = fund.loan_of(who[name]).id

    borrow("A", 1_000)
    borrow("B", 2_000)
    go_to(10)
    fund.repay(loans["A"], 300 * KES, "RA00000010")
    go_to(45)
    with fund.sessions.unit_of_work() as session:
        write_off(session, Ledger(session, fund.clock), loans["B"], "gone", "admin", fund.clock())
    go_to(60)
    borrow("C", 3_000)
    go_to(90)
    borrow("D", 4_000)
    go_to(96)
    borrow("F", 500)
    go_to(98)
    borrow("E", 1_000)
    go_to(99)
    borrow("H", 1_500)
    go_to(105)
    fund.repay(loans["E"], 400 * KES, "RE00000105")
    go_to(110)
    fund.repay(loans["F"], 511_53, "RF00000110")
    borrow("G", 2_500)
    go_to(REPORT_DAY)
    fund.request(who["J"], 700 * KES, "borrow-J")  # never settled: still disbursing
    loans["J"] = fund.loan_of(who["J"]).id
    return loans


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def book(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Book]:
    """The worked example, built once per database; the reports only read it."""
    factory = request.getfixturevalue(f"{request.param}_factory")
    name, url = factory.create()
    database = make_database(Settings(database_url=url, database_pool_size=20))
    keys = tmp_path_factory.mktemp("keys")
    try:
        fund = open_fund(Sessions(database), FrozenClock(), keys)
        loans = build_book(fund)
        fund.assert_books_agree()
        token = staff_token(fund.sessions, fund.clock, "auditor", Role.AUDITOR)
        with TestClient(app_for(database, fund.clock, Path(keys) / "seal.pem")) as client:
            yield Book(fund, client, loans, bearer(token))
    finally:
        database.dispose()
        factory.drop(name)


# --- expected figures -------------------------------------------------------------------
# Outstanding on day 114 (principal, interest, penalty), cents:
#   A: 1,000 lent; day 10: 2.19 interest (10 x 8% on 1,000), so 300 pays 2.19 + 297.81 of
#      principal -> 702.19 left; 0.61 more interest to day 14 and 18.28 penalty (days 15-114
#      at 9.5% on 702.19).                                     A = 70_219 + 61 + 1_828
#   C: 3,000 for 54 days: 9.20 interest, 31.23 penalty.        C = 300_000 + 920 + 3_123
#   D: 4,000 for 24 days: 12.27 interest, 10.41 penalty.       D = 400_000 + 1_227 + 1_041
#   E: 1,000; day 7: 1.53 interest, so 400 pays 1.53 + 398.47 of principal -> 601.53 left;
#      0.92 more interest to day 14, 0.32 penalty for days 15-16. E = 60_153 + 92 + 32
#   H: 1,500 for 15 days: 4.60 interest, 0.39 penalty.         H = 150_000 + 460 + 39
#   G: 2,500 for 4 days: 2.19 interest.                        G = 250_000 + 219
#   B: 2,000 for 45 days, written off: 6.13 + 16.14 -> loss 2,022.27 (nothing outstanding).
#   F: 500 for 14 days: 1.53 interest; paid 511.53 -> 501.53 applied, 10.00 to credit balance.
A_OWES, C_OWES, D_OWES, E_OWES = 72_108, 304_043, 402_268, 60_277
H_OWES, G_OWES = 150_499, 250_219
PORTFOLIO_OWES = A_OWES + C_OWES + D_OWES + E_OWES + H_OWES + G_OWES  # 1_239_414

BY_STATUS = [  # status, loans, principal, interest, penalty, outstanding
    ("disbursing", 1, 0, 0, 0, 0),  # J: nothing is owed until M-Pesa confirms
    ("active", 4, 860_153, 1_998, 1_112, 863_263),  # D, E, H, G
    ("repaid", 1, 0, 0, 0, 0),  # F
    ("defaulted", 2, 370_219, 981, 4_951, 376_151),  # A, C
    ("written_off", 1, 0, 0, 0, 0),  # B: its receivables moved to loan losses
    ("cancelled", 0, 0, 0, 0, 0),
    ("total", 9, 1_230_372, 2_979, 6_063, 1_239_414),
]
PAR = [  # more than N days past due: loans, principal, outstanding, share (bp, half up)
    (1, 4, 830_372, 838_696, 6_767),  # A (100), C (40), D (10), E (2); not H (1), not G
    (7, 3, 770_219, 778_419, 6_281),  # A, C, D
    (30, 2, 370_219, 376_151, 3_035),  # A, C
    (90, 1, 70_219, 72_108, 582),  # A
]
# Days 85-114 (the default window: 30 days to today) that moved; every other day is zeros.
# date: disbursed (count, principal), repaid (count, applied), due (count, principal),
#       repaid on time (principal), rate (bp)
DAYS = {
    date(2026, 5, 31): (1, 400_000, 0, 0, 0, 0, 0, None),  # D borrows
    date(2026, 6, 6): (1, 50_000, 0, 0, 0, 0, 0, None),  # F borrows
    date(2026, 6, 8): (1, 100_000, 0, 0, 0, 0, 0, None),  # E borrows
    date(2026, 6, 9): (1, 150_000, 0, 0, 0, 0, 0, None),  # H borrows
    date(2026, 6, 14): (0, 0, 0, 0, 1, 400_000, 0, 0),  # D due, nothing paid
    date(2026, 6, 15): (0, 0, 1, 40_000, 0, 0, 0, None),  # E pays 400
    # F pays 501.53 (+10.00 overpaid, not counted) on its due date; G borrows.
    date(2026, 6, 20): (1, 250_000, 1, 50_153, 1, 50_000, 50_000, 10_000),
    date(2026, 6, 22): (0, 0, 0, 0, 1, 100_000, 39_847, 3_985),  # E due: 398.47 of 1,000
    date(2026, 6, 23): (0, 0, 0, 0, 1, 150_000, 0, 0),  # H due, nothing paid
}
# 898.47 of 7,000 principal due came back by its due date: 12.835...% -> 1,284 bp.
WINDOW_TOTAL = (5, 950_000, 2, 90_153, 4, 700_000, 89_847, 1_284)

FLOAT = 1_000_000_000 - 1_472_500 + 121_153  # capital - 95% of 15,500 lent + 1,211.53 repaid
TRIAL_BALANCE = [  # code, debit, credit
    ("1010", FLOAT, 0),
    ("1011", 0, 0),  # the Airtel Money float: opened, never used here
    ("1200", 1_230_372, 0),
    ("1210", 2_979, 0),
    ("1220", 6_063, 0),
    ("1230", 0, 0),  # group loans (principal, interest, penalty): opened, none lent here
    ("1240", 0, 0),
    ("1250", 0, 0),
    ("2110", 0, 54_250),  # 3.5% of 15,500
    ("2120", 0, 23_250),  # 1.5% of 15,500
    ("2130", 0, 0),  # group savings
    ("2200", 0, 1_000),  # F's overpayment
    ("2900", 0, 0),
    ("3000", 0, 1_000_000_000),
    ("4000", 0, 4_117),  # interest: A 2.80, B 6.13, C 9.20, D 12.27, E 2.45, F 1.53, H 4.60, G 2.19
    ("4010", 0, 7_677),  # penalty: A 18.28, B 16.14, C 31.23, D 10.41, E 0.32, H 0.39
    ("5100", 202_227, 0),  # B written off
]
TB_TOTAL = 1_000_090_294
RESULT = 4_117 + 7_677 - 202_227  # -190,433: B's loss outweighs the interest so far


def cents(text: str) -> int:
    """A CSV amount (KES, two decimals, no separators) back to cents."""
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text)
    shillings, point, hundredths = digits.partition(".")
    assert shillings.isdigit(), text
    assert (point, len(hundredths)) == (".", 2), text
    return sign * (int(shillings) * 100 + int(hundredths))


def optional(text: str) -> int | None:
    return None if text == "" else int(text)


def test_outstanding_by_status_and_par_1_7_30_90_on_24_june(book: Book) -> None:
    report = book.get("portfolio")
    assert report["as_of"] == "2026-06-24"
    assert (
        report["portfolio_loans_count"],
        report["portfolio_principal_minor"],
        report["portfolio_outstanding_minor"],
    ) == (6, 1_230_372, PORTFOLIO_OWES)
    keys = ["status", "loans_count", "principal_minor", "interest_minor", "penalty_minor"]
    keys.append("outstanding_minor")
    lines = [*report["by_status"], report["total"]]
    assert [tuple(x[k] for k in keys) for x in lines] == BY_STATUS
    keys = ["days_over", "loans_count", "principal_minor", "outstanding_minor", "share_bp"]
    assert [tuple(x[k] for k in keys) for x in report["par"]] == PAR
    assert report["par"][0]["outstanding_minor"] == A_OWES + C_OWES + D_OWES + E_OWES


DAY_KEYS = [
    "disbursed_count",
    "disbursed_principal_minor",
    "repayments_count",
    "repaid_minor",
    "due_count",
    "due_principal_minor",
    "repaid_on_time_principal_minor",
    "repayment_rate_bp",
]


def test_disbursed_repaid_and_repayment_rate_per_day_for_the_last_30_days(book: Book) -> None:
    report = book.get("portfolio")
    assert (report["from_date"], report["to_date"]) == ("2026-05-26", "2026-06-24")
    days = report["days"]
    assert [d["date"] for d in days] == [
        (date(2026, 5, 26) + timedelta(days=n)).isoformat() for n in range(30)
    ]
    quiet = (0, 0, 0, 0, 0, 0, 0, None)
    for day in days:
        expected = DAYS.get(date.fromisoformat(day["date"]), quiet)
        assert tuple(day[k] for k in DAY_KEYS) == expected, day["date"]
    assert report["days_total"]["date"] == "2026-06-24"
    assert tuple(report["days_total"][k] for k in DAY_KEYS) == WINDOW_TOTAL


def test_the_march_cohort_repaid_9_93_percent_of_its_principal_on_time(book: Book) -> None:
    report = book.get("portfolio", **{"from": "2026-03-02", "to": "2026-04-16"})
    total = report["days_total"]
    # A and B (3,000) fell due on 16 March; only A's 297.81 of principal came back by then.
    assert tuple(total[k] for k in DAY_KEYS) == (2, 300_000, 1, 30_000, 2, 300_000, 29_781, 993)
    by_day = {d["date"]: d for d in report["days"]}
    assert by_day["2026-03-02"]["disbursed_principal_minor"] == 300_000
    assert by_day["2026-03-12"]["repaid_minor"] == 30_000
    assert by_day["2026-03-16"]["repayment_rate_bp"] == 993
    assert len(report["days"]) == 46


def test_each_portfolio_csv_table_says_what_the_json_says(book: Book) -> None:
    report = book.get("portfolio")
    status = book.csv("portfolio", table="status")
    assert list(status[0]) == [
        "status",
        "loans_count",
        "principal_kes",
        "interest_kes",
        "penalty_kes",
        "outstanding_kes",
    ]
    assert [
        (
            r["status"],
            int(r["loans_count"]),
            cents(r["principal_kes"]),
            cents(r["interest_kes"]),
            cents(r["penalty_kes"]),
            cents(r["outstanding_kes"]),
        )
        for r in status
    ] == BY_STATUS
    assert status[-1]["outstanding_kes"] == "12394.14"
    par = book.csv("portfolio", table="par")
    assert [
        (
            int(r["days_over"]),
            int(r["loans_count"]),
            cents(r["principal_kes"]),
            cents(r["outstanding_kes"]),
            int(r["share_bp"]),
        )
        for r in par
    ] == PAR
    daily = book.csv("portfolio", table="daily")
    assert [r["date"] for r in daily] == [d["date"] for d in report["days"]] + ["total"]
    for row, day in zip(daily, [*report["days"], report["days_total"]], strict=True):
        assert (
            int(row["disbursed_count"]),
            cents(row["disbursed_principal_kes"]),
            int(row["repayments_count"]),
            cents(row["repaid_kes"]),
            int(row["due_count"]),
            cents(row["due_principal_kes"]),
            cents(row["repaid_on_time_principal_kes"]),
            optional(row["repayment_rate_bp"]),
        ) == tuple(day[k] for k in DAY_KEYS)


def test_savings_book_holds_5_percent_of_15_500_lent_and_agrees_with_the_ledger(
    book: Book,
) -> None:
    savings = book.get("savings")
    assert savings == {
        "borrowers_count": 9,
        "savers_count": 8,  # J's savings arrive with the money
        "long_minor": 54_250,
        "short_minor": 23_250,
        "short_held_minor": 9_000,  # A, B and C defaulted: 15.00 + 30.00 + 45.00 under lien
        "total_minor": 77_500,
        "ledger_long_minor": 54_250,
        "ledger_short_minor": 23_250,
        "agrees_with_ledger": True,
    }
    (row,) = book.csv("savings")
    assert (row["savers_count"], row["long_kes"], row["short_kes"]) == ("8", "542.50", "232.50")
    assert (row["short_held_kes"], row["total_kes"], row["agrees_with_ledger"]) == (
        "90.00",
        "775.00",
        "true",
    )


def test_savers_come_in_pages_without_personal_data(book: Book) -> None:
    first = book.get("savings/savers", limit=5)
    assert len(first["items"]) == 5
    second = book.get("savings/savers", limit=5, after_id=first["next_after_id"])
    assert second["next_after_id"] is None
    savers = first["items"] + second["items"]
    assert len(savers) == 8
    assert sum(s["long_minor"] for s in savers) == 54_250
    assert sum(s["short_held_minor"] for s in savers) == 9_000
    assert set(savers[0]) == {
        "borrower_id",
        "status",
        "long_minor",
        "short_minor",
        "short_held_minor",
    }
    rows = book.csv("savings/savers", limit=5)
    assert [int(r["borrower_id"]) for r in rows] == [s["borrower_id"] for s in first["items"]]
    assert [cents(r["short_kes"]) for r in rows] == [s["short_minor"] for s in first["items"]]


def test_trial_balance_on_24_june_balances_at_1_000_902_94_a_side(book: Book) -> None:
    report = book.get("trial-balance", as_of="2026-06-24")
    assert [(x["code"], x["debit_minor"], x["credit_minor"]) for x in report["lines"]] == (
        TRIAL_BALANCE
    )
    assert (report["debit_total_minor"], report["credit_total_minor"]) == (TB_TOTAL, TB_TOTAL)
    assert report["balanced"] is True
    assert book.get("trial-balance") == report  # as_of defaults to today
    rows = book.csv("trial-balance", as_of="2026-06-24")
    assert [(r["code"], cents(r["debit_kes"]), cents(r["credit_kes"])) for r in rows] == [
        *TRIAL_BALANCE,
        ("total", TB_TOTAL, TB_TOTAL),
    ]
    assert rows[0]["debit_kes"] == "9986486.53"


def test_trial_balance_before_the_write_off_shows_no_loss_and_balances(book: Book) -> None:
    report = book.get("trial-balance", as_of="2026-04-15")  # day 44, the eve of the write-off
    lines = {x["code"]: (x["debit_minor"], x["credit_minor"]) for x in report["lines"]}
    assert lines["5100"] == (0, 0)
    assert lines["1200"] == (270_219, 0)  # A's 702.19 and B's 2,000
    assert report["balanced"] is True
    assert report["debit_total_minor"] == report["credit_total_minor"]


def test_balance_sheet_assets_equal_liabilities_equity_and_the_result(book: Book) -> None:
    report = book.get("balance-sheet", as_of="2026-06-24")
    amounts = {
        section: [(x["code"], x["amount_minor"]) for x in report[section]]
        for section in ("assets", "liabilities", "equity")
    }
    assert amounts == {
        "assets": [
            ("1010", FLOAT),
            ("1011", 0),
            ("1200", 1_230_372),
            ("1210", 2_979),
            ("1220", 6_063),
            ("1230", 0),
            ("1240", 0),
            ("1250", 0),
        ],
        "liabilities": [
            ("2110", 54_250),
            ("2120", 23_250),
            ("2130", 0),
            ("2200", 1_000),
            ("2900", 0),
        ],
        "equity": [("3000", 1_000_000_000)],
    }
    assets = FLOAT + 1_230_372 + 2_979 + 6_063
    assert (
        report["assets_total_minor"],
        report["liabilities_total_minor"],
        report["equity_total_minor"],
        report["current_result_minor"],
        report["liabilities_and_equity_minor"],
        report["balanced"],
    ) == (assets, 78_500, 1_000_000_000, RESULT, 78_500 + 1_000_000_000 + RESULT, True)
    assert assets == 999_888_067
    rows = book.csv("balance-sheet", as_of="2026-06-24")
    assert [(r["section"], r["code"], cents(r["amount_kes"])) for r in rows] == [
        *[("asset", code, amount) for code, amount in amounts["assets"]],
        ("assets_total", "", assets),
        *[("liability", code, amount) for code, amount in amounts["liabilities"]],
        ("liabilities_total", "", 78_500),
        *[("equity", code, amount) for code, amount in amounts["equity"]],
        ("equity_total", "", 1_000_000_000),
        ("current_result", "", RESULT),
        ("liabilities_and_equity", "", assets),
    ]
    assert rows[-2]["amount_kes"] == "-1904.33"
    past = book.get("balance-sheet", as_of="2026-03-16")  # A and B's due date
    assert past["balanced"] is True
    assert past["current_result_minor"] == 280 + 613  # 14 days' interest on A and B


def test_income_statement_for_april_is_b_s_loss_less_penalty_interest(book: Book) -> None:
    report = book.get("income-statement", **{"from": "2026-04-01", "to": "2026-04-30"})
    # April is days 30-59: only penalty interest accrues (A all month on 702.19, B until its
    # write-off on day 45); the cumulative floor of each loan's accrual moves A 5.54 -> 11.03
    # and B 13.94 -> 22.27 (charged on day 45's morning, before the write-off).
    assert [(x["code"], x["amount_minor"]) for x in report["income"]] == [
        ("4000", 0),
        ("4010", 549 + 833),
    ]
    assert [(x["code"], x["amount_minor"]) for x in report["expenses"]] == [("5100", 202_227)]
    assert (
        report["income_total_minor"],
        report["expense_total_minor"],
        report["net_result_minor"],
        report["net_assets_change_minor"],
        report["balanced"],
    ) == (1_382, 202_227, 1_382 - 202_227, 1_382 - 202_227, True)
    rows = book.csv("income-statement", **{"from": "2026-04-01", "to": "2026-04-30"})
    assert [(r["section"], r["code"], cents(r["amount_kes"])) for r in rows] == [
        ("income", "4000", 0),
        ("income", "4010", 1_382),
        ("income_total", "", 1_382),
        ("expense", "5100", 202_227),
        ("expense_total", "", 202_227),
        ("net_result", "", -200_845),
    ]


def test_income_statement_since_day_0_is_the_balance_sheet_result(book: Book) -> None:
    report = book.get("income-statement", **{"from": "2026-03-02", "to": "2026-06-24"})
    assert (report["income_total_minor"], report["net_result_minor"]) == (4_117 + 7_677, RESULT)
    assert report["balanced"] is True
    june = book.get("income-statement")  # default: the month to date
    assert (june["from_date"], june["to_date"]) == ("2026-06-01", "2026-06-24")
    assert june["balanced"] is True
