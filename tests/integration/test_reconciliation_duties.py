"""Segregation of duties in the resolution workflow, below HTTP: auditors and support never
propose, approve or reject a resolution, in Python (``OperationsOnly``) and in the database
(the triggers of ``app/reconciliation/ddl.py``), and what was proposed never changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from app.audit.log import Actor
from app.db.session import Sessions
from app.reconciliation import ddl as recon_ddl
from app.reconciliation.errors import OperationsOnly
from app.reconciliation.exceptions import resolutions
from app.reconciliation.exceptions.models import ReconException, Resolution
from app.reconciliation.exceptions.resolutions import Proposal
from ledger.schema import JournalEntry
from tests.integration.test_reconciliation_day import Day, reconcile, script_day, scripted_fund
from tests.integration.test_reconciliation_resolutions import (
    MAKER,
    _charge_receipt,
    approve,
    exception_for,
    propose,
)

pytestmark = pytest.mark.slow  # a scripted day on a whole fund: 1-4 s per test

READERS = [Actor("auditor1", "auditor"), Actor("support1", "support")]


@pytest.fixture
def day(sessions: Sessions, tmp_path: Path) -> Day:
    day = script_day(scripted_fund(sessions, tmp_path))
    reconcile(day)
    return day


def entries(day: Day) -> int:
    with day.fund.sessions.reader() as session:
        return int(session.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def charge(day: Day) -> ReconException:
    return exception_for(day, "charge", _charge_receipt(day))


def proposed_by_an_auditor(day: Day, found: ReconException, note: str) -> Resolution:
    return Resolution(
        exception_id=found.id,
        action="book_charge",
        amount_minor=15_00,
        note=note,
        status="proposed",
        proposed_by="auditor1",
        proposed_role="auditor",
        proposed_at=day.fund.clock(),
    )


@pytest.mark.parametrize("reader", READERS, ids=lambda a: a.role)
def test_auditors_and_support_never_propose_approve_or_reject(day: Day, reader: Actor) -> None:
    found = charge(day)
    for action in ("book_charge", "explain"):
        with pytest.raises(OperationsOnly), day.fund.sessions.unit_of_work() as session:
            resolutions.propose(
                session, found.id, Proposal(action, "from the statement"), reader, day.fund.clock()
            )
    resolution_id = propose(day, found, "book_charge")
    before = entries(day)
    with pytest.raises(OperationsOnly):
        approve(day, resolution_id, reader)
    with pytest.raises(OperationsOnly), day.fund.sessions.unit_of_work() as session:
        resolutions.reject(session, resolution_id, "not me", reader, day.fund.clock())
    assert entries(day) == before
    assert approve(day, resolution_id).status == "approved"
    assert entries(day) == before + 1


def test_the_database_refuses_a_proposal_outside_operations(day: Day) -> None:
    found = charge(day)
    with (
        pytest.raises(IntegrityError, match="proposed by an admin or credit officer"),
        day.fund.sessions.unit_of_work() as session,
    ):
        session.add(proposed_by_an_auditor(day, found, "raw"))


@pytest.mark.parametrize(
    "change",
    [
        {"status": "approved", "decided_by": "auditor2", "decided_role": "auditor"},
        {"status": "approved", "decided_by": "admin1", "decided_role": None},
        {"amount_minor": 5_000_000},
        {"action": "write_off"},
        {"proposed_by": "admin9"},
    ],
    ids=["approved-by-auditor", "approver-role-unknown", "amount", "action", "proposer"],
)
def test_the_database_refuses_an_approval_outside_operations_or_a_changed_proposal(
    day: Day, change: dict[str, object]
) -> None:
    resolution_id = propose(day, charge(day), "book_charge")
    with (
        pytest.raises(IntegrityError, match=r"approved by an admin|only its decision may change"),
        day.fund.sessions.unit_of_work() as session,
    ):
        session.execute(
            update(Resolution)
            .where(Resolution.id == resolution_id)
            .values(decided_at=day.fund.clock(), **change)
        )


def test_a_proposal_an_auditor_made_before_the_rule_is_never_approved(day: Day) -> None:
    found = charge(day)
    with day.fund.sessions.unit_of_work() as session:  # as migration 0012 allowed
        dialect = session.connection().dialect.name
        for statement in recon_ddl.uninstall_statements(dialect):
            session.execute(text(statement))
        session.add(proposed_by_an_auditor(day, found, "legacy"))
        for statement in recon_ddl.install_statements(dialect):
            session.execute(text(statement))
    with day.fund.sessions.reader() as session:
        legacy = session.scalar(select(Resolution.id).where(Resolution.note == "legacy"))
    assert legacy is not None
    before = entries(day)
    with pytest.raises(OperationsOnly, match=r"proposed by auditor1 \(auditor\): reject it"):
        approve(day, legacy)
    with day.fund.sessions.unit_of_work() as session:
        rejected = resolutions.reject(
            session, legacy, "Auditors do not move money", MAKER, day.fund.clock()
        )
    assert (rejected.status, rejected.decided_role, entries(day)) == (
        "rejected",
        "credit_officer",
        before,
    )
