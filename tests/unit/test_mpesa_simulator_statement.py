"""The organisation statement export (reference §11): the simulator's CSV read back with the
csv module, and the pure row builder a reconciliation test can reuse."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from integrations.mpesa.simulator.keys import SimulatorKeys, generate_keys
from integrations.mpesa.simulator.statement import (
    HEADERS,
    Movement,
    StatementHeading,
    statement_csv,
)
from integrations.payments.port import PayoutOrder
from tests.support.clock import FrozenClock
from tests.unit.test_mpesa_simulator_harness import (
    SHORTCODE,
    STK,
    Harness,
    running_simulator,
)

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 10:00 EAT
STATEMENT = "/__sim__/statement.csv"
TIME = re.compile(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}")


@pytest.fixture(scope="module")
def keys() -> SimulatorKeys:
    return generate_keys(NOW)


@pytest.fixture
def sim(keys: SimulatorKeys) -> Iterator[Harness]:
    """Day 1 (2 March): a C2B paybill payment of 500 and an STK repayment of 300; a cancelled
    STK prompt. Day 2: a payout of 1,500, a timed-out payout, and the STK repayment reversed."""
    with running_simulator(keys, clock=FrozenClock(NOW)) as harness:
        harness.pay_by_c2b("254712345678", 500, "LN12345")
        harness.clock.advance(minutes=30)
        stk_receipt = harness.pay_by_stk("254712345600", 300)
        harness.http.post(STK, json=harness.stk_body("254712345601"), headers=harness.headers())
        harness.clock.advance(days=1)
        with harness.daraja() as daraja:
            daraja.submit_payout(PayoutOrder("payout-1", "0712345611", 1_500_00, "Disburse"))
            daraja.submit_payout(PayoutOrder("payout-2", "0712345606", 1_000_00, "Disburse"))
            harness.clock.advance(hours=2)
            assert daraja.reversal(stk_receipt, 300_00, "Paid twice").accepted
        yield harness


def read(text: str) -> tuple[list[list[str]], list[dict[str, str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[6] == list(HEADERS)
    return rows[:6], [dict(zip(HEADERS, row, strict=True)) for row in rows[7:]]


def amount(cell: str) -> Decimal:
    return Decimal(cell.replace(",", "") or "0")


def test_the_statement_has_the_preamble_the_headers_and_one_row_per_movement(
    sim: Harness,
) -> None:
    answer = sim.http.get(STATEMENT)
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="ORG_600992_All_Accounts.csv"' in answer.headers["content-disposition"]
    preamble, rows = read(answer.text)
    assert preamble[0] == ["Account Holder", "MKOPO SIM FUND"]
    assert preamble[1] == ["Short Code", SHORTCODE]
    assert preamble[2] == ["Account", "All Accounts"]
    assert preamble[3] == [
        "Time Period:",
        "",
        "From 02-03-2026 10:00:00",
        "",
        "To 03-03-2026 12:30:00",
    ]
    assert preamble[4] == ["Operator: testapi", "", "Date of Report: 03-03-2026 12:30:00"]
    assert preamble[5][0::2] == [
        "Opening Balance",
        "Closing Balance",
        "Available Balance",
        "Total Paid In",
        "Total Withdrawn",
    ]
    # The cancelled prompt and the timed-out payout moved no money: no rows.
    assert [row["Reason Type"] for row in rows] == [
        "Pay Utility",
        "Pay Bill Online",
        "Business Payment to Customer via API",
        "Reversal",
    ]
    c2b, stk, payout, reversal = rows
    assert c2b["Details"] == "Pay Bill from 2547****5678 - Acc. LN12345"
    assert c2b["A/C No."] == "LN12345"
    assert (c2b["Paid In"], c2b["Withdrawn"]) == ("500.00", "")
    assert c2b["Completion Time"] == "02-03-2026 10:00:00"  # EAT
    assert stk["Other Party Info"] == "2547****5600 - SIM CUSTOMER"
    assert stk["A/C No."] == "LN12345"
    assert (payout["Paid In"], payout["Withdrawn"]) == ("", "-1,500.00")
    assert payout["Other Party Info"] == "2547****5611 - SIM CUSTOMER"
    assert reversal["Linked Transaction ID"] == stk["Receipt No."]
    assert reversal["Withdrawn"] == "-300.00"
    for row in rows:
        assert TIME.fullmatch(row["Completion Time"])
        assert TIME.fullmatch(row["Initiation Time"])
        assert row["Transaction Status"] == "Completed"
        assert row["Balance Confirmed"] == "true"
        assert re.fullmatch(r"[A-Z0-9]{10}", row["Receipt No."])


def test_every_balance_follows_from_the_one_before_and_closes_on_the_accounts(
    sim: Harness,
) -> None:
    preamble, rows = read(sim.http.get(STATEMENT).text)
    opening, closing = amount(preamble[5][1]), amount(preamble[5][3])
    balance = opening
    for row in rows:
        balance += amount(row["Paid In"]) - abs(amount(row["Withdrawn"]))
        assert amount(row["Balance"]) == balance
    assert opening == Decimal("1000000.00")  # the utility account's float, nothing else yet
    assert (
        closing
        == balance
        == Decimal(sim.state.org.utility_minor + sim.state.org.working_minor) / 100
    )
    assert amount(preamble[5][7]) == Decimal("800.00")
    assert amount(preamble[5][9]) == Decimal("-1800.00")


def test_a_period_keeps_its_rows_and_opens_on_the_balance_before_it(sim: Harness) -> None:
    _, everything = read(sim.http.get(STATEMENT).text)
    preamble, day_two = read(sim.http.get(STATEMENT, params={"from": "2026-03-03"}).text)
    assert [row["Receipt No."] for row in day_two] == [r["Receipt No."] for r in everything[2:]]
    assert amount(preamble[5][1]) == amount(everything[1]["Balance"])
    assert preamble[3][2] == "From 03-03-2026 00:00:00"
    _, day_one = read(sim.http.get(STATEMENT, params={"to": "2026-03-02"}).text)
    assert len(day_one) == 2
    _, morning = read(
        sim.http.get(STATEMENT, params={"to": "2026-03-02T10:15:00"}).text  # EAT
    )
    assert [row["Reason Type"] for row in morning] == ["Pay Utility"]


def test_one_account_at_a_time(sim: Harness) -> None:
    preamble, utility = read(sim.http.get(STATEMENT, params={"account": "utility"}).text)
    assert preamble[2] == ["Account", "Utility Account"]
    assert [row["Reason Type"] for row in utility] == ["Business Payment to Customer via API"]
    assert utility[0]["Balance"] == "998,500.00"
    preamble, working = read(sim.http.get(STATEMENT, params={"account": "working"}).text)
    assert amount(preamble[5][1]) == 0
    assert [row["Balance"] for row in working] == ["500.00", "800.00", "500.00"]


@pytest.mark.parametrize("params", [{"from": "yesterday"}, {"account": "savings"}])
def test_a_bad_statement_parameter_is_refused(sim: Harness, params: dict[str, str]) -> None:
    answer = sim.http.get(STATEMENT, params=params)
    assert answer.status_code == 400
    assert answer.json()["errorMessage"] == f"Bad Request - Invalid {next(iter(params))}"


def test_the_pure_builder_writes_a_statement_for_a_reconciliation_test() -> None:
    start = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    movements = [
        Movement(
            "UA5AAAAAA2", start + timedelta(hours=2), start, "Pay Utility", "Pay Utility", 2_000_00
        ),
        Movement(
            "UA5AAAAAA1",
            start + timedelta(hours=1),
            start,
            "Business Payment",
            "B2C",
            -1_250_000_50,
        ),
        Movement(
            "UA5AAAAAA3",
            start + timedelta(hours=3),
            start,
            "Pay Bill",
            "Pay Utility",
            9_00,
            status="Failed",
        ),
    ]
    heading = StatementHeading(
        account_holder="MKOPO FUND",
        shortcode="600000",
        account="Utility Account",
        period_from=start,
        period_to=start + timedelta(days=1),
        operator="recon",
        reported_at=start + timedelta(days=1),
        opening_balance_minor=2_000_000_00,
    )
    preamble, rows = read(statement_csv(heading, movements, signed_withdrawals=False))
    assert [row["Receipt No."] for row in rows] == ["UA5AAAAAA1", "UA5AAAAAA2", "UA5AAAAAA3"]
    assert rows[0]["Withdrawn"] == "1,250,000.50"  # unsigned when asked
    assert [row["Balance"] for row in rows] == ["749,999.50", "751,999.50", "751,999.50"]
    assert rows[2]["Transaction Status"] == "Failed"  # listed, but the balance does not move
    assert preamble[5][1:4] == ["2,000,000.00", "Closing Balance", "751,999.50"]
    assert rows[0]["Completion Time"] == "05-01-2026 10:00:00"
