"""Maker-checker rules, whatever the kind of request: four eyes (in Python and in the
database), final decisions, one pending request per subject, withdrawal, replays."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.admin.approval_kinds import HANDLERS
from app.approvals import engine as approvals
from app.approvals.engine import ApprovalHandler, Decision
from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.audit.chain import verify_chain
from app.audit.log import Actor
from app.audit.models import AuditRecord
from app.db.engine import Database
from app.lending.limit_overrides import LIMIT_OVERRIDE
from ledger import Ledger
from tests.support.lending import KES, Fund

OFFICER = Actor("otieno", "credit_officer", "req-maker")
ADMIN = Actor("amina", "admin", "req-checker")
OTHER_ADMIN = Actor("baraka", "admin")


def make(
    fund: Fund,
    handler: ApprovalHandler,
    asked: dict[str, Any],
    maker: Actor = OFFICER,
    reason: str = "Reviewed the file",
    key: str | None = None,
) -> approvals.Submitted:
    with fund.sessions.unit_of_work() as session:
        ask = approvals.Ask(handler, asked, reason, key)
        return approvals.submit(session, Ledger(session, fund.clock), ask, maker, fund.clock())


def check(fund: Fund, approval_id: int, checker: Actor = ADMIN) -> Decision:
    with fund.sessions.unit_of_work() as session:
        return approvals.approve(
            session, Ledger(session, fund.clock), HANDLERS, approval_id, checker, fund.clock()
        )


def stored(fund: Fund, approval_id: int) -> ApprovalRequest:
    with fund.sessions.reader() as session:
        found = session.get(ApprovalRequest, approval_id)
        assert found is not None
        return found


def audit_trail(fund: Fund) -> list[tuple[str, str, str, str | None]]:
    """(action, actor, subject type, subject id) of every audit record, in order."""
    with fund.sessions.reader() as session:
        assert verify_chain(session).ok
        rows = session.scalars(select(AuditRecord).order_by(AuditRecord.id)).all()
        return [(r.action, r.actor, r.subject_type, r.subject_id) for r in rows]


def override(fund: Fund, borrower_id: int, limit_minor: int, **kw: Any) -> approvals.Submitted:
    return make(
        fund, LIMIT_OVERRIDE, {"borrower_id": borrower_id, "limit_minor": limit_minor}, **kw
    )


def test_the_maker_cannot_approve_or_reject_their_own_request(fund: Fund) -> None:
    borrower_id = fund.register()
    approval_id = override(fund, borrower_id, 5_000 * KES, maker=ADMIN).approval.id
    with pytest.raises(approvals.SameChecker):
        check(fund, approval_id, checker=ADMIN)
    with pytest.raises(approvals.SameChecker), fund.sessions.unit_of_work() as session:
        approvals.reject(session, approval_id, ADMIN, "changed my mind", fund.clock())
    assert stored(fund, approval_id).status == ApprovalStatus.PENDING
    assert check(fund, approval_id, checker=OTHER_ADMIN).failure is None
    assert fund.borrower(borrower_id).credit_limit_minor == 5_000 * KES


def test_the_database_refuses_a_checker_who_is_the_maker(fund: Fund, database: Database) -> None:
    approval_id = override(fund, fund.register(), 5_000 * KES).approval.id
    with pytest.raises(DBAPIError, match="four_eyes"), database.write_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE approval_requests SET status = 'approved', checker = maker, "
                "decided_at = created_at WHERE id = :id"
            ),
            {"id": approval_id},
        )
    with pytest.raises(DBAPIError, match="four_eyes"), database.write_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO approval_requests (kind, subject_type, subject_id, payload, reason, "
                "maker, maker_role, status, checker, created_at, decided_at) VALUES "
                "('write_off', 'loan', '1', '{}', 'x', 'amina', 'admin', 'approved', 'amina', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE approval_requests SET status = 'pending', checker = NULL, decided_at = NULL",
        "UPDATE approval_requests SET decision_note = 'edited later'",
        "DELETE FROM approval_requests",
    ],
)
def test_a_decision_is_final_in_the_database(
    fund: Fund, database: Database, statement: str
) -> None:
    approval_id = override(fund, fund.register(), 5_000 * KES).approval.id
    check(fund, approval_id)
    with (
        pytest.raises(DBAPIError, match=r"decisions are final|never deleted"),
        database.write_engine.begin() as c,
    ):
        c.execute(text(statement))
    assert stored(fund, approval_id).status == ApprovalStatus.APPROVED


def test_what_was_asked_cannot_be_edited_while_pending(fund: Fund, database: Database) -> None:
    approval_id = override(fund, fund.register(), 5_000 * KES).approval.id
    for statement in (
        "UPDATE approval_requests SET payload = '{\"limit_minor\": 1}'",
        "UPDATE approval_requests SET maker = 'someone'",
    ):
        with (
            pytest.raises(DBAPIError, match="only its decision"),
            database.write_engine.begin() as c,
        ):
            c.execute(text(statement))
    assert stored(fund, approval_id).payload["limit_minor"] == 5_000 * KES


def test_a_rejected_request_changes_nothing_and_is_audited(fund: Fund) -> None:
    borrower_id = fund.register()
    limit_before = fund.borrower(borrower_id).credit_limit_minor
    approval_id = override(fund, borrower_id, 5_000 * KES).approval.id
    with fund.sessions.unit_of_work() as session:
        approvals.reject(session, approval_id, ADMIN, "No income evidence", fund.clock())
    rejected = stored(fund, approval_id)
    assert (rejected.status, rejected.checker, rejected.decision_note) == (
        "rejected",
        "amina",
        "No income evidence",
    )
    assert fund.borrower(borrower_id).credit_limit_minor == limit_before
    with pytest.raises(approvals.ApprovalNotPending):
        check(fund, approval_id)
    assert audit_trail(fund) == [
        ("approval.request", "otieno", "approval", str(approval_id)),
        ("approval.reject", "amina", "approval", str(approval_id)),
    ]


def test_only_the_maker_withdraws_and_a_withdrawn_request_frees_the_subject(fund: Fund) -> None:
    borrower_id = fund.register()
    first = override(fund, borrower_id, 5_000 * KES).approval.id
    with pytest.raises(approvals.PendingRequestExists):
        override(fund, borrower_id, 6_000 * KES, maker=ADMIN)
    with pytest.raises(approvals.NotTheMaker), fund.sessions.unit_of_work() as session:
        approvals.withdraw(session, first, ADMIN, fund.clock())
    with fund.sessions.unit_of_work() as session:
        approvals.withdraw(session, first, OFFICER, fund.clock())
    withdrawn = stored(fund, first)
    assert (withdrawn.status, withdrawn.checker) == ("withdrawn", None)
    second = override(fund, borrower_id, 6_000 * KES, maker=ADMIN).approval.id
    assert check(fund, second, checker=OTHER_ADMIN).failure is None
    assert fund.borrower(borrower_id).credit_limit_minor == 6_000 * KES
    assert [a for a, *_ in audit_trail(fund)] == [
        "approval.request",
        "approval.withdraw",
        "approval.request",
        "approval.approve",
        "borrower.limit_override",
    ]


def test_an_idempotency_key_replays_the_same_request_and_refuses_another(fund: Fund) -> None:
    borrower_id = fund.register()
    first = override(fund, borrower_id, 5_000 * KES, key="k-1")
    again = override(fund, borrower_id, 5_000 * KES, key="k-1")
    assert (first.created, again.created, again.approval.id) == (True, False, first.approval.id)
    with pytest.raises(approvals.RequestKeyReused):
        override(fund, borrower_id, 7_000 * KES, key="k-1")
    with pytest.raises(approvals.RequestKeyReused):
        override(fund, borrower_id, 5_000 * KES, key="k-1", maker=ADMIN)
    assert len(audit_trail(fund)) == 1
