"""The one four-eyes engine, whatever the kind: the maker never decides (Python and both
databases), k approvals of different deciders with any rejection rejecting, expiry, the
audit trail, and every kind of request decided through it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.admin.approval_kinds import HANDLERS
from app.approvals import engine as approvals
from app.approvals.kinds import DecisionPolicy
from app.approvals.models import (
    ApprovalDecision,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    Verdict,
)
from app.audit.log import Actor
from app.db.engine import Database
from app.lending.limit_overrides import LimitOverrideHandler
from ledger import Ledger
from tests.integration.test_maker_checker import (
    ADMIN,
    OFFICER,
    OTHER_ADMIN,
    audit_trail,
    check,
    make,
    override,
    stored,
)
from tests.support.lending import KES, Fund


class TwoApprovalsOverride(LimitOverrideHandler):
    """A test kind: a limit override that needs two approvals, from admins only (the shape
    group loans will use with their own eligibility rule)."""

    policy = DecisionPolicy(approvals_needed=2, decider_roles=frozenset({"admin"}))


TWO = TwoApprovalsOverride()
TWO_HANDLERS = {TWO.kind.value: TWO}


def decide(fund: Fund, approval_id: int, who: Actor, verdict: str) -> approvals.Decision:
    with fund.sessions.unit_of_work() as session:
        ruling = approvals.Ruling(who, Verdict(verdict), "noted")
        ledger = Ledger(session, fund.clock)
        return approvals.decide(session, ledger, TWO_HANDLERS, approval_id, ruling, fund.clock())


def test_every_kind_is_registered_with_the_one_engine() -> None:
    assert set(HANDLERS) == {k.value for k in ApprovalKind}


def test_the_database_refuses_a_decision_by_the_maker(fund: Fund, database: Database) -> None:
    approval_id = override(fund, fund.register(), 5_000 * KES).approval.id
    with pytest.raises(DBAPIError, match="four_eyes"), database.write_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO approval_decisions (request_id, decider, decider_role, verdict, "
                "decided_at) VALUES (:id, 'otieno', 'credit_officer', 'approve', :at)"
            ),
            {"id": approval_id, "at": fund.clock()},
        )
    with pytest.raises(DBAPIError, match="enough approving"), database.write_engine.begin() as c:
        c.execute(
            text(
                "UPDATE approval_requests SET status = 'approved', checker = 'amina', "
                "decided_at = created_at WHERE id = :id"
            ),
            {"id": approval_id},
        )
    assert stored(fund, approval_id).status == ApprovalStatus.PENDING


def test_a_decision_is_one_per_decider_and_never_rewritten(fund: Fund, database: Database) -> None:
    approval_id = override(fund, fund.register(), 5_000 * KES).approval.id
    assert check(fund, approval_id).failure is None
    for statement in (
        "UPDATE approval_decisions SET verdict = 'reject'",
        "DELETE FROM approval_decisions",
    ):
        with pytest.raises(DBAPIError, match="never changed"), database.write_engine.begin() as c:
            c.execute(text(statement))
    with pytest.raises(DBAPIError), database.write_engine.begin() as conn:  # decided: closed
        conn.execute(
            text(
                "INSERT INTO approval_decisions (request_id, decider, decider_role, verdict, "
                "decided_at) VALUES (:id, 'baraka', 'admin', 'approve', :at)"
            ),
            {"id": approval_id, "at": fund.clock()},
        )


def test_two_approvals_of_two_deciders_apply_the_change_once(fund: Fund) -> None:
    borrower_id = fund.register()
    before = fund.borrower(borrower_id).credit_limit_minor
    asked = {"borrower_id": borrower_id, "limit_minor": 5_000 * KES}
    approval_id_ = make(fund, TWO, asked).approval.id
    assert stored(fund, approval_id_).approvals_needed == 2
    first = decide(fund, approval_id_, ADMIN, "approve")
    assert (first.approval.status, first.applied) == ("pending", False)
    assert fund.borrower(borrower_id).credit_limit_minor == before
    with pytest.raises(approvals.AlreadyDecided):
        decide(fund, approval_id_, ADMIN, "approve")
    with pytest.raises(approvals.NotEligible):  # the kind admits admins only
        decide(fund, approval_id_, Actor("wanjiru", "credit_officer"), "approve")
    second = decide(fund, approval_id_, OTHER_ADMIN, "approve")
    assert (second.approval.status, second.approval.checker) == ("approved", "baraka")
    assert fund.borrower(borrower_id).credit_limit_minor == 5_000 * KES
    assert [a for a, *_ in audit_trail(fund)] == [
        "approval.request",
        "approval.decide",
        "approval.approve",
        "borrower.limit_override",
    ]


def test_any_rejection_rejects_even_after_an_approval(fund: Fund) -> None:
    borrower_id = fund.register()
    before = fund.borrower(borrower_id).credit_limit_minor
    approval_id = make(
        fund, TWO, {"borrower_id": borrower_id, "limit_minor": 5_000 * KES}
    ).approval.id
    decide(fund, approval_id, ADMIN, "approve")
    rejected = decide(fund, approval_id, OTHER_ADMIN, "reject")
    assert (rejected.approval.status, rejected.approval.checker) == ("rejected", "baraka")
    with pytest.raises(approvals.ApprovalNotPending):
        decide(fund, approval_id, Actor("chebet", "admin"), "approve")
    assert fund.borrower(borrower_id).credit_limit_minor == before
    with fund.sessions.reader() as session:
        verdicts = session.execute(
            select(ApprovalDecision.decider, ApprovalDecision.verdict)
            .where(ApprovalDecision.request_id == approval_id)
            .order_by(ApprovalDecision.id)
        ).all()
    assert [tuple(v) for v in verdicts] == [("amina", "approve"), ("baraka", "reject")]


def test_a_request_not_decided_in_time_expires_and_cannot_be_approved(
    fund: Fund, database: Database
) -> None:
    borrower_id = fund.register()
    before = fund.borrower(borrower_id).credit_limit_minor
    approval_id = override(fund, borrower_id, 5_000 * KES).approval.id
    expires_at = stored(fund, approval_id).expires_at
    assert expires_at - fund.clock() == timedelta(days=3)  # the limit override's policy
    fund.clock.advance(days=3)
    with pytest.raises(DBAPIError, match="before it expires"), database.write_engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO approval_decisions (request_id, decider, decider_role, verdict, "
                "decided_at) VALUES (:id, 'amina', 'admin', 'approve', :at)"
            ),
            {"id": approval_id, "at": fund.clock()},
        )
    decision = check(fund, approval_id)
    assert isinstance(decision.failure, approvals.ApprovalExpired)
    assert stored(fund, approval_id).status == ApprovalStatus.EXPIRED
    assert fund.borrower(borrower_id).credit_limit_minor == before
    assert [a for a, *_ in audit_trail(fund)] == ["approval.request", "approval.expire"]
    override(fund, borrower_id, 6_000 * KES)  # the subject is free again


def test_the_sweep_expires_what_nobody_touched(fund: Fund) -> None:
    approval_id = override(fund, fund.register(), 5_000 * KES).approval.id
    with fund.sessions.unit_of_work() as session:
        assert approvals.expire_due(session, fund.clock()) == 0
    fund.clock.advance(days=4)
    with fund.sessions.unit_of_work() as session:
        assert approvals.expire_due(session, fund.clock()) == 1
    assert stored(fund, approval_id).status == ApprovalStatus.EXPIRED
    with fund.sessions.reader() as session:
        pending = session.scalar(
            select(func.count()).where(ApprovalRequest.status == ApprovalStatus.PENDING.value)
        )
    assert pending == 0
    assert OFFICER.username == stored(fund, approval_id).maker
