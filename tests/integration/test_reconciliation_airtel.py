"""Airtel Money statements reconciled against the Airtel float (1011), never M-Pesa's.

A day: an Airtel borrower is paid KES 475 (the payout) and repays KES 200 by USSD push.
Airtel exports two files, written by the simulator's own ``statement_csv``: the
disbursement account (the payout) and the collection account (the repayment). Each is
reconciled as its own statement; the float check compares their closing balances together
with 1011 once both are reconciled.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.accounting.chart import Acct
from app.payments.payouts import submit_payout
from app.reconciliation.exceptions.models import FloatCheck, ReconException
from app.reconciliation.models import Result, Run, Statement, StatementLine
from app.reconciliation.runs import execute_run, start_statement_run
from app.reconciliation.statements.reader import StatementRejected
from integrations.airtel.simulator import statement as sim
from integrations.mpesa.simulator import statement as mpesa_sim
from tests.integration.test_airtel_app import (
    AIRTEL_CAPITAL_MINOR,
    AIRTEL_MSISDN,
    airtel_borrower,
    airtel_push,
    callback,
    deliver,
    float_minor,
)
from tests.support.lending import KES, Fund


@dataclass
class AirtelDay:
    fund: Fund
    disbursements: list[sim.Movement] = field(default_factory=list)
    collections: list[sim.Movement] = field(default_factory=list)

    def csv(self, account: str) -> bytes:
        if account == sim.ACCOUNTS[0]:
            return sim.statement_csv(self.collections, 0, "KES").encode()
        return sim.statement_csv(self.disbursements, AIRTEL_CAPITAL_MINOR, "KES").encode()


def airtel_day(fund: Fund) -> AirtelDay:
    day = AirtelDay(fund)
    borrower_id = airtel_borrower(fund)
    fund.clock.advance(hours=1)
    payout = fund.request(borrower_id, 500 * KES, "airtel-loan-1")
    submit_payout(fund.sessions, fund.ports, fund.clock, payout.id)
    fund.airtel.deliver(drop=True)
    paid = fund.airtel.paid[payout.originator_id].receipt
    assert paid is not None
    deliver(fund, "airtel/disbursement", callback(payout.originator_id, "TS", paid))
    day.disbursements.append(
        sim.Movement(
            "disbursement",
            paid,
            payout.originator_id,
            fund.clock(),
            "Disbursement",
            AIRTEL_MSISDN,
            -payout.amount_minor,
            "loan",
        )
    )
    fund.clock.advance(hours=3)
    push = airtel_push(fund, borrower_id, 200 * KES)
    result = fund.airtel.query_collection(str(push.checkout_id))
    assert result is not None
    assert result.receipt is not None
    deliver(fund, "airtel/collection", callback(str(push.checkout_id), "TS", result.receipt))
    day.collections.append(
        sim.Movement(
            "collection",
            result.receipt,
            str(push.checkout_id),
            fund.clock(),
            "Merchant Payment",
            AIRTEL_MSISDN,
            200 * KES,
            "repay",
        )
    )
    return day


def reconcile(fund: Fund, body: bytes, name: str, network: str = "airtel") -> int:
    with fund.sessions.unit_of_work() as session:
        run = start_statement_run(
            session, io.BytesIO(body), name, "auditor", fund.clock(), network=network
        ).run
        run_id = run.id
    assert execute_run(fund.sessions, fund.clock, run_id) == "done"
    return run_id


def outcomes(fund: Fund, run_id: int) -> list[tuple[str, str]]:
    with fund.sessions.reader() as session:
        rows = session.execute(
            select(Result.outcome, Result.rule).where(Result.run_id == run_id).order_by(Result.id)
        ).all()
    return [(row[0], row[1]) for row in rows]


def test_an_airtel_day_reconciles_with_no_exception_and_the_float_check_holds_on_1011(
    fund: Fund,
) -> None:
    day = airtel_day(fund)
    first = reconcile(fund, day.csv("disbursement"), "airtel-disbursement.csv")
    assert outcomes(fund, first) == [("matched", "receipt")]
    with fund.sessions.reader() as session:
        assert session.scalar(select(func.count()).select_from(FloatCheck)) == 0  # one file
    second = reconcile(fund, day.csv("collection"), "airtel-collection.csv")
    assert outcomes(fund, second) == [("matched", "receipt")]
    with fund.sessions.reader() as session:
        assert session.scalar(select(func.count()).select_from(ReconException)) == 0
        check = session.scalars(select(FloatCheck)).one()
        statements = session.scalars(select(Statement).order_by(Statement.id)).all()
        run = session.get(Run, second)
        assert run is not None
        assert run.summary is not None
    airtel_float = AIRTEL_CAPITAL_MINOR - 475 * KES + 200 * KES
    assert float_minor(fund, Acct.AIRTEL_FLOAT) == airtel_float
    assert (check.provider_minor, check.ledger_minor) == (airtel_float, airtel_float)
    assert (check.difference_minor, check.explained_minor) == (0, 0)
    assert check.source_ref == f"statement:{statements[0].id}+{statements[1].id}"
    assert [(s.network, s.account_name) for s in statements] == [
        ("airtel", "disbursement"),
        ("airtel", "collection"),
    ]
    assert run.network == "airtel"
    assert run.summary["float_check"]["unexplained_minor"] == 0


def test_an_airtel_line_with_no_movement_of_ours_opens_an_exception(fund: Fund) -> None:
    day = airtel_day(fund)
    day.collections.append(
        sim.Movement(
            "collection",
            "CI260301.STRANGER",
            "nobody",
            fund.clock() + timedelta(minutes=5),
            "Merchant Payment",
            AIRTEL_MSISDN,
            90 * KES,
            "x",
        )
    )
    reconcile(fund, day.csv("disbursement"), "d.csv")
    run_id = reconcile(fund, day.csv("collection"), "c.csv")
    assert sorted(outcomes(fund, run_id)) == [
        ("matched", "receipt"),
        ("missing_in_ledger", "receipt"),
    ]
    with fund.sessions.reader() as session:
        exceptions = session.scalars(select(ReconException)).all()
        check = session.scalars(select(FloatCheck)).one()
    assert [(e.kind, e.receipt) for e in exceptions] == [("missing_in_ledger", "CI260301.STRANGER")]
    assert (check.difference_minor, check.explained_minor) == (90 * KES, 90 * KES)


def test_an_mpesa_movement_is_never_matched_by_an_airtel_line(fund: Fund) -> None:
    """An M-Pesa payout's receipt on an Airtel statement is Airtel's line, not M-Pesa's."""
    payout = fund.borrow(fund.register(), 500 * KES)
    mpesa_receipt = fund.provider.paid[payout.originator_id].receipt
    assert mpesa_receipt is not None
    line = sim.Movement(
        "disbursement",
        mpesa_receipt,
        payout.originator_id,
        fund.clock(),
        "Disbursement",
        AIRTEL_MSISDN,
        -payout.amount_minor,
        "loan",
    )
    body = sim.statement_csv([line], AIRTEL_CAPITAL_MINOR, "KES").encode()
    run_id = reconcile(fund, body, "airtel.csv")
    assert outcomes(fund, run_id) == [("missing_in_ledger", "receipt")]
    assert float_minor(fund, Acct.AIRTEL_FLOAT) == 0


MPESA_DAY = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)


def mpesa_csv() -> bytes:
    heading = mpesa_sim.StatementHeading(
        account_holder="Mkopo Fund",
        shortcode="600000",
        account=mpesa_sim.ALL_ACCOUNTS,
        period_from=MPESA_DAY,
        period_to=MPESA_DAY + timedelta(hours=1),
        operator="auditor",
        reported_at=MPESA_DAY + timedelta(hours=2),
        opening_balance_minor=0,
    )
    return mpesa_sim.statement_csv(heading, []).encode()


@pytest.mark.parametrize(
    ("which", "uploaded_as", "named"),
    [("airtel", "safaricom", "Airtel Money"), ("mpesa", "airtel", "M-Pesa")],
)
def test_a_file_uploaded_as_the_other_provider_is_refused_and_nothing_imported(
    fund: Fund, which: str, uploaded_as: str, named: str
) -> None:
    body = airtel_day(fund).csv("disbursement") if which == "airtel" else mpesa_csv()
    with pytest.raises(StatementRejected) as refused, fund.sessions.unit_of_work() as session:
        start_statement_run(
            session, io.BytesIO(body), "x.csv", "auditor", fund.clock(), network=uploaded_as
        )
    assert refused.value.http_status == 422
    assert refused.value.line_no is not None
    assert named in str(refused.value)
    with fund.sessions.reader() as session:
        assert session.scalar(select(func.count()).select_from(Statement)) == 0
        assert session.scalar(select(func.count()).select_from(StatementLine)) == 0


@pytest.mark.parametrize(
    ("broken", "line_no", "problem"),
    [
        (("Credit", "2OO.00"), 3, "Credit is not an amount"),
        (("Balance", "1.00"), 3, "Balance does not follow from the line before"),
    ],
)
def test_a_malformed_airtel_row_rejects_the_file_with_its_line(
    fund: Fund, broken: tuple[str, str], line_no: int, problem: str
) -> None:
    day = airtel_day(fund)
    day.collections.insert(0, _extra(day, fund))
    lines = day.csv("collection").decode().split("\r\n")
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index(broken[0])] = broken[1]
    lines[2] = ",".join(cells)
    body = "\r\n".join(lines).encode()
    with pytest.raises(StatementRejected) as refused, fund.sessions.unit_of_work() as session:
        start_statement_run(
            session, io.BytesIO(body), "c.csv", "auditor", fund.clock(), network="airtel"
        )
    assert (refused.value.line_no, refused.value.problem.startswith(problem)) == (line_no, True)
    with fund.sessions.reader() as session:
        assert session.scalar(select(func.count()).select_from(StatementLine)) == 0


def _extra(day: AirtelDay, fund: Fund) -> sim.Movement:
    return sim.Movement(
        "collection",
        "CI260301.EARLIER1",
        "ours-1",
        fund.clock() - timedelta(hours=5),
        "Merchant Payment",
        AIRTEL_MSISDN,
        10 * KES,
        "x",
    )


VALID_ROW = b"CI1.OK12,ref,2026-03-02 09:00:00,Merchant Payment,TS,733****56,5.00,,5.00,KES,r\r\n"


@pytest.mark.slow
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tail=st.binary(max_size=200), valid_first=st.booleans())
def test_arbitrary_bytes_as_an_airtel_statement_import_whole_or_not_at_all(
    fund: Fund, tail: bytes, valid_first: bool
) -> None:
    body = ",".join(sim.HEADERS).encode() + b"\r\n" + (VALID_ROW if valid_first else b"") + tail
    with fund.sessions.reader() as session:
        before = session.scalar(select(func.count()).select_from(StatementLine))
    try:
        with fund.sessions.unit_of_work() as session:
            started = start_statement_run(
                session, io.BytesIO(body), "x.csv", "auditor", fund.clock(), network="airtel"
            )
            imported = started.imported
            assert imported is not None
    except StatementRejected:
        with fund.sessions.reader() as session:
            after = session.scalar(select(func.count()).select_from(StatementLine))
        assert after == before  # nothing of a refused file stays
        return
    with fund.sessions.reader() as session:
        statement = session.get(Statement, imported.statement_id)
        assert statement is not None
        stored = session.scalar(
            select(func.count()).where(StatementLine.statement_id == statement.id)
        )
    assert stored == imported.lines_new
