"""Exceptions resolved under four eyes, each through the path its money normally takes, once;
after them the same day reconciles with nothing left over."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.approvals.models import ApprovalRequest
from app.audit.log import Actor
from app.audit.models import AuditRecord
from app.lending.models import Repayment
from app.mpesa.models import MpesaCallback, UnmatchedReceipt
from app.payments.models import Payout, PayoutStatus
from app.reconciliation.errors import ActionNotAllowed, ResolutionPending, SameChecker
from app.reconciliation.exceptions import resolutions
from app.reconciliation.exceptions.models import ReconException, Resolution
from app.reconciliation.exceptions.resolutions import Proposal
from app.reconciliation.models import Run
from app.reconciliation.runs import execute_run, start_period_run
from ledger import Ledger
from tests.integration.test_mpesa_processing import c2b, deliver
from tests.integration.test_reconciliation_day import Day, reconcile, script_day, scripted_fund
from tests.support.lending import KES

pytestmark = pytest.mark.slow  # a scripted day on a whole fund: 1-4 s per test

MAKER = Actor("officer1", "credit_officer")
CHECKER = Actor("admin1", "admin")


@pytest.fixture
def day(sessions: object, tmp_path: Path) -> Day:
    day = script_day(scripted_fund(sessions, tmp_path))  # type: ignore[arg-type]
    reconcile(day)
    return day


def exception_for(day: Day, kind: str, receipt: str) -> ReconException:
    with day.fund.sessions.reader() as session:
        found = session.scalar(
            select(ReconException).where(
                ReconException.kind == kind, ReconException.receipt == receipt
            )
        )
    assert found is not None, (kind, receipt)
    return found


def propose(day: Day, exception: ReconException, action: str, loan: str | None = None) -> int:
    loan_id = day.loans[loan].id if loan else None
    with day.fund.sessions.unit_of_work() as session:
        proposal = Proposal(action, f"{action} after checking the statement", loan_id)
        return resolutions.propose(session, exception.id, proposal, MAKER, day.fund.clock()).id


def approve(day: Day, resolution_id: int, checker: Actor = CHECKER) -> Resolution:
    fund = day.fund
    with fund.sessions.unit_of_work() as session:
        return resolutions.approve(
            session,
            Ledger(session, fund.clock),
            fund.ports.blind_index,
            resolution_id,
            checker,
            fund.clock(),
        )


def resolve(day: Day, kind: str, receipt: str, action: str, loan: str | None = None) -> None:
    resolution = approve(day, propose(day, exception_for(day, kind, receipt), action, loan))
    assert resolution.status == "approved", resolution.outcome


def repayments_of(day: Day, receipt: str) -> int:
    with day.fund.sessions.reader() as session:
        return int(
            session.scalar(select(func.count()).where(Repayment.provider_receipt == receipt))  # type: ignore[arg-type]
            or 0
        )


def test_a_lost_confirmation_is_posted_through_the_inbox_once_under_four_eyes(day: Day) -> None:
    lost = exception_for(day, "missing_in_ledger", "RC2B000002")
    zawadi = day.loans["zawadi"]
    resolution_id = propose(day, lost, "post_callback")
    with pytest.raises(SameChecker):
        approve(day, resolution_id, MAKER)
    with pytest.raises(ResolutionPending):
        propose(day, lost, "write_off")
    before = day.fund.loan_of(zawadi.borrower_id).outstanding_minor
    assert approve(day, resolution_id).status == "approved"
    after = day.fund.loan_of(zawadi.borrower_id).outstanding_minor
    credit = day.fund.borrower(zawadi.borrower_id).credit_balance_minor
    assert (after, credit) == (0, 700 * KES - before)  # repaid in full, the rest in credit
    # The real confirmation turns up late: a redelivery, not a second repayment.
    deliver(day.fund, "c2b/confirmation", c2b(zawadi.account_number, "700.00", "RC2B000002"))
    assert repayments_of(day, "RC2B000002") == 1
    assert day.fund.loan_of(zawadi.borrower_id).outstanding_minor == after
    assert day.fund.borrower(zawadi.borrower_id).credit_balance_minor == credit
    with day.fund.sessions.reader() as session:
        inbox = session.scalar(
            select(MpesaCallback).where(MpesaCallback.natural_key == "RC2B000002")
        )
        assert inbox is not None
        assert (inbox.status, inbox.deliveries) == ("processed", 2)
        closed = session.get(ReconException, lost.id)
        assert closed is not None
        assert closed.state == "resolved"
        audit = session.scalars(
            select(AuditRecord.action).where(
                AuditRecord.subject_type == "recon_exception",
                AuditRecord.subject_id == str(lost.id),
            )
        ).all()
    # the engine's record of the applied change, then the workflow's own
    assert audit == ["reconciliation.propose", "reconciliation.apply", "reconciliation.approve"]
    day.fund.assert_books_agree()


def test_the_database_refuses_a_resolution_approved_by_its_proposer(day: Day) -> None:
    resolution_id = propose(day, exception_for(day, "charge", _charge_receipt(day)), "book_charge")
    with (
        pytest.raises(IntegrityError, match="four_eyes"),
        day.fund.sessions.unit_of_work() as session,
    ):
        session.execute(
            update(Resolution)
            .where(Resolution.id == resolution_id)
            .values(
                status="approved",
                decided_by=MAKER.username,
                decided_role=MAKER.role,
                decided_at=day.fund.clock(),
            )
        )


def _charge_receipt(day: Day) -> str:
    payout = day.payouts["atieno"]
    return day.fund.provider.paid[payout.originator_id].receipt or ""


def test_actions_that_do_not_fit_and_explanations_by_one_person(day: Day) -> None:
    mismatch = exception_for(day, "amount_mismatch", "RC2B000004")
    with pytest.raises(ActionNotAllowed):
        propose(day, mismatch, "book_charge")
    with pytest.raises(ActionNotAllowed):
        propose(day, exception_for(day, "suspense", "RC2B000005"), "assign_to_loan")  # no loan
    with day.fund.sessions.unit_of_work() as session:
        resolutions.investigate(session, mismatch.id, "Asked Safaricom", MAKER, day.fund.clock())
        explained = resolutions.propose(
            session, mismatch.id, Proposal("explain", "Provider confirmed"), MAKER, day.fund.clock()
        )
    assert explained.status == "applied"
    assert exception_for(day, "amount_mismatch", "RC2B000004").state == "resolved"


def test_a_resolution_the_ledger_overtook_fails_and_moves_nothing(day: Day) -> None:
    lost = exception_for(day, "missing_in_ledger", "RC2B000002")
    resolution_id = propose(day, lost, "assign_to_loan", "zawadi")
    zawadi = day.loans["zawadi"]
    deliver(day.fund, "c2b/confirmation", c2b(zawadi.account_number, "700.00", "RC2B000002"))
    failed = approve(day, resolution_id)
    assert failed.status == "failed"
    assert "run it again" in (failed.outcome or "")
    assert repayments_of(day, "RC2B000002") == 1
    assert exception_for(day, "missing_in_ledger", "RC2B000002").state == "investigating"
    day.fund.assert_books_agree()


def test_every_exception_resolved_leaves_the_day_reconciled(day: Day) -> None:
    receipts = {
        who: day.fund.provider.paid[p.originator_id].receipt or "" for who, p in day.payouts.items()
    }
    resolve(day, "missing_in_ledger", receipts["baraka"], "record_payout")
    resolve(day, "missing_in_ledger", "RC2B000002", "post_callback")
    resolve(day, "duplicate", "RC2B000003", "assign_to_loan", "atieno")
    resolve(day, "amount_mismatch", "RC2B000004", "write_off")
    resolve(day, "suspense", "RC2B000005", "assign_to_loan", "wanjiru")
    resolve(day, "missing_at_provider", "RC2B000006", "write_off")
    resolve(day, "missing_in_ledger", "RREV000001", "assign_to_loan", "atieno")
    resolve(day, "charge", receipts["atieno"], "book_charge")
    resolve(day, "charge", receipts["wanjiru"], "book_charge")
    resolve(day, "settlement", "RSET000001", "book_settlement")
    with day.fund.sessions.reader() as session:
        states = dict(
            session.execute(
                select(ReconException.state, func.count()).group_by(ReconException.state)
            ).all()
        )
        payout = session.get(Payout, day.payouts["baraka"].id)
        unmatched = session.scalars(select(UnmatchedReceipt.status)).all()
    assert states == {"resolved": 8, "written_off": 2}
    assert payout is not None
    assert payout.status == PayoutStatus.SUCCEEDED
    assert set(unmatched) == {"resolved"}
    day.fund.assert_books_agree()
    with day.fund.sessions.unit_of_work() as session:
        started = start_period_run(
            session, (date(2026, 3, 2), date(2026, 3, 2)), "auditor1", day.fund.clock(), again=True
        )
    execute_run(day.fund.sessions, day.fund.clock, started.run.id, day.fund.ports.cipher)
    with day.fund.sessions.reader() as session:
        run = session.get(Run, started.run.id)
        assert run is not None
        assert run.summary is not None
        outcomes = {k: v["count"] for k, v in run.summary["outcomes"].items()}
        assert outcomes == {"matched": 14, "no_movement": 1}  # every line of the statement
        assert run.summary["exceptions"]["opened"] == 0
        assert session.scalar(select(func.count()).select_from(ReconException)) == 10


def test_a_resolution_is_decided_by_the_one_four_eyes_engine(day: Day) -> None:
    found = exception_for(day, "charge", _charge_receipt(day))
    resolution = approve(day, propose(day, found, "book_charge"))
    assert resolution.status == "approved", resolution.outcome
    with day.fund.sessions.reader() as session:
        request = session.get(ApprovalRequest, resolution.approval_id)
        assert request is not None
        assert (request.kind, request.subject_id, request.status, request.maker) == (
            "recon_resolution",
            str(found.id),
            "approved",
            MAKER.username,
        )
        assert [(d.decider, d.decider_role) for d in request.decisions] == [("admin1", "admin")]


def test_a_resolution_proposed_long_ago_expires_instead_of_moving_money(day: Day) -> None:
    found = exception_for(day, "charge", _charge_receipt(day))
    resolution_id = propose(day, found, "book_charge")
    day.fund.clock.advance(days=8)
    expired = approve(day, resolution_id)
    assert (expired.status, expired.entry_id) == ("expired", None)
    again = propose(day, found, "book_charge")  # the exception is open for a new proposal
    assert approve(day, again).status == "approved"
