"""The scheduled jobs: the nightly reconciliation of dropped statements, the pending-B2C/STK
sweep, and the float check from the provider's balances in the callback inbox."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounting.chart import Acct
from app.audit.log import Actor
from app.mpesa.inbox import Delivery, store_callback
from app.mpesa.models import StkRequest
from app.mpesa.stk import request_stk_repayment, send_stk
from app.payments.models import Payout, PayoutStatus
from app.payments.payouts import submit_payout
from app.reconciliation.exceptions import resolutions
from app.reconciliation.exceptions.models import FloatCheck, ReconException
from app.reconciliation.jobs import float_check, nightly
from app.reconciliation.models import Run
from app.reconciliation.pending import resolve_pending
from app.reconciliation.statements.importer import import_statement
from integrations.mpesa.simulator import statement as sim
from ledger import Ledger
from tests.integration.test_mpesa_processing import c2b, deliver
from tests.integration.test_reconciliation_day import script_day, scripted_fund
from tests.support.lending import KES, Fund

BALANCE_RESULT = {
    "Result": {
        "ResultType": "0",
        "ResultCode": "0",
        "ResultDesc": "The service request is processed successfully",
        "OriginatorConversationID": "16917-22577599-3",
        "ConversationID": "AG_20260302_00005e091a8ec6b9eac5",
        "TransactionID": "OA90000000",
        "ResultParameters": {
            "ResultParameter": [
                {
                    "Key": "AccountBalance",
                    "Value": "Working Account|KES|700000.00|700000.00|0.00|0.00"
                    "&Float Account|KES|0.00|0.00|0.00|0.00"
                    "&Utility Account|KES|228037.00|228037.00|0.00|0.00"
                    "&Charges Paid Account|KES|-1540.00|-1540.00|0.00|0.00",
                },
                {"Key": "BOCompletedTime", "Value": "20260302125710"},
            ]
        },
    }
}


def test_the_float_check_reads_org_balance_and_the_balance_api_once_each(fund: Fund) -> None:
    deliver(fund, "c2b/confirmation", c2b("NOBODY", "250.00", "TC2B0000F1"))
    with fund.sessions.unit_of_work() as session:
        raw = json.dumps(BALANCE_RESULT).encode()
        store_callback(
            session,
            Delivery("balance/result", raw, "127.0.0.1"),
            fund.clock(),
            fund.ports.blind_index,
        )
    assert float_check(fund.sessions, fund.clock) == 2
    assert float_check(fund.sessions, fund.clock) == 0
    with fund.sessions.reader() as session:
        checks = {c.source: c for c in session.scalars(select(FloatCheck))}
        float_now = Ledger(session, fund.clock).balance(fund.accounts[Acct.FLOAT]).posted_minor
    assert checks["org_balance"].provider_minor == 1_000 * KES  # c2b(): OrgAccountBalance
    assert checks["balance_api"].provider_minor == (700_000 + 228_037) * KES
    assert checks["balance_api"].ledger_minor == float_now
    assert checks["balance_api"].difference_minor == (928_037 * KES) - float_now


def _statement(fund: Fund, movements: list[sim.Movement], until: datetime) -> None:
    heading = sim.StatementHeading(
        "Mkopo Fund", "600000", sim.ALL_ACCOUNTS, until - timedelta(days=1), until, "op", until, 0
    )
    data = sim.statement_csv(heading, movements).encode()
    with fund.sessions.unit_of_work() as session:
        import_statement(session, io.BytesIO(data), "day.csv", "auditor1", fund.clock())


def _prompt(fund: Fund, borrower_id: int, key: str) -> StkRequest:
    with fund.sessions.unit_of_work() as session:
        prompt = request_stk_repayment(session, borrower_id, 100 * KES, key, fund.clock())
    send_stk(fund.sessions, fund.ports, fund.clock, prompt.id)
    with fund.sessions.unit_of_work() as session:
        found = session.get(StkRequest, prompt.id)
        assert found is not None
        found.status = "unknown"  # its callback never came and the queries gave up
        return found


def test_unknown_stk_prompts_are_settled_from_the_statement_without_moving_money(
    fund: Fund,
) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    loan = fund.loan_of(borrower_id)
    paid = _prompt(fund, borrower_id, "stk-paid")
    unpaid = _prompt(fund, borrower_id, "stk-unpaid")
    at = fund.clock() + timedelta(minutes=1)
    # The payment of the first prompt reached the ledger by its C2B confirmation.
    deliver(fund, "c2b/confirmation", c2b(loan.account_number, "100.00", "RSTK000001"))
    line = sim.paid_in(
        sim.Transfer(
            receipt="RSTK000001",
            msisdn="254712345678",
            party_name="ATIENO",
            amount_minor=100 * KES,
            initiated_at=at,
            completed_at=at,
        ),
        account_reference=loan.account_number,
        reason_type=sim.REASON_STK,
    )
    fund.clock.advance(hours=2)
    _statement(fund, [line], fund.clock())
    report = resolve_pending(fund.sessions, fund.ports, fund.clock)
    assert (report.prompts_succeeded, report.prompts_failed) == (1, 1)
    with fund.sessions.reader() as session:
        done = {p.id: (p.status, p.receipt) for p in session.scalars(select(StkRequest))}
    assert done[paid.id] == ("succeeded", "RSTK000001")
    assert done[unpaid.id] == ("failed", None)
    fund.assert_books_agree()


def _lost_payout(fund: Fund, phone: str, national_id: str, key: str) -> Payout:
    borrower_id = fund.register(national_id, phone)
    payout = fund.request(borrower_id, 500 * KES, key)
    submit_payout(fund.sessions, fund.ports, fund.clock, payout.id)
    fund.provider.deliver(drop=True)
    return payout


def test_a_stuck_payout_is_asked_again_then_settled_from_the_statement_under_four_eyes(
    fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered = _lost_payout(fund, "0712345678", "12345670", "loan-answered")
    paid = _lost_payout(fund, "0712345611", "23456780", "loan-paid")
    unpaid = _lost_payout(fund, "0712345622", "30001234", "loan-unpaid")
    receipt = fund.provider.paid[paid.originator_id].receipt or ""
    at = fund.clock() + timedelta(seconds=20)
    line = sim.business_payment(
        sim.Transfer(
            receipt=receipt,
            msisdn="254712345611",
            party_name="WANJIRU",
            amount_minor=paid.amount_minor,
            initiated_at=at,
            completed_at=at,
        ),
    )
    fund.clock.advance(hours=2)
    _statement(fund, [line], fund.clock())
    real_query = fund.provider.query_payout
    monkeypatch.setattr(
        fund.provider,
        "query_payout",
        lambda originator_id: (
            real_query(originator_id) if originator_id == answered.originator_id else None
        ),
    )
    report = resolve_pending(fund.sessions, fund.ports, fund.clock)
    assert (report.payouts_resolved, report.payout_exceptions) == (1, 2)
    assert resolve_pending(fund.sessions, fund.ports, fund.clock).payout_exceptions == 0
    with fund.sessions.reader() as session:
        found = {x.payout_id: x for x in session.scalars(select(ReconException))}
        assert session.get(Payout, answered.id).status == PayoutStatus.SUCCEEDED  # type: ignore[union-attr]
    assert (found[paid.id].suggested_action, found[paid.id].receipt) == ("record_payout", receipt)
    assert found[unpaid.id].suggested_action == "fail_payout"
    for payout in (paid, unpaid):
        exception = found[payout.id]
        with fund.sessions.unit_of_work() as session:
            proposal = resolutions.Proposal(exception.suggested_action or "", "per statement")
            made = resolutions.propose(
                session, exception.id, proposal, Actor("officer1", "credit_officer"), fund.clock()
            )
        with fund.sessions.unit_of_work() as session:
            decided = resolutions.approve(
                session,
                Ledger(session, fund.clock),
                None,
                made.id,
                Actor("admin1", "admin"),
                fund.clock(),
            )
            assert decided.status == "approved", decided.outcome
    with fund.sessions.reader() as session:
        assert session.get(Payout, paid.id).status == PayoutStatus.SUCCEEDED  # type: ignore[union-attr]
        assert session.get(Payout, unpaid.id).status == PayoutStatus.FAILED  # type: ignore[union-attr]
    fund.assert_books_agree()


@pytest.mark.slow  # a night of imports and a run: 1.4 s
def test_the_nightly_job_imports_dropped_files_and_reconciles_yesterday(
    sessions: object, tmp_path: Path
) -> None:
    day = script_day(scripted_fund(sessions, tmp_path))  # type: ignore[arg-type]
    drop = tmp_path / "statements"
    drop.mkdir()
    (drop / "ORG_600000_All.csv").write_bytes(day.statement_csv())
    (drop / "broken.csv").write_text("Receipt No.,Completion Time\nRCT1,now\n")
    report = nightly(day.fund.sessions, day.fund.clock, day.fund.ports.cipher, drop)
    assert report.rejected == ["broken.csv"]
    assert (drop / "imported" / "ORG_600000_All.csv").is_file()
    assert "no Paid In" in (drop / "rejected" / "broken.csv.error.txt").read_text()
    with day.fund.sessions.reader() as session:
        runs = session.scalars(select(Run).order_by(Run.id)).all()
    assert [(r.kind, r.status) for r in runs] == [("statement", "done"), ("period", "done")]
    again = nightly(day.fund.sessions, day.fund.clock, day.fund.ports.cipher, drop)
    assert again.run_ids == [runs[1].id]  # nothing new dropped; yesterday's run is the same
