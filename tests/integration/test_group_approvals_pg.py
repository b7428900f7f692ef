"""The five approvers of a group application approving at the same instant on PostgreSQL:
real threads, each with its own connection and transaction. Every approval is counted once,
the request is approved exactly once, and the payout gate is asked exactly once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.approvals.models import ApprovalDecision, ApprovalRequest
from app.errors import DomainError
from tests.support.groups import application, apply_for, decide, form_group
from tests.support.lending import Fund

pytestmark = pytest.mark.postgres


def test_five_approvers_at_once_approve_the_application_exactly_once(pg_fund: Fund) -> None:
    group = form_group(pg_fund)
    applied = apply_for(pg_fund, group)
    start = threading.Barrier(len(applied.approvers))

    def approve(borrower_id: int) -> str:
        start.wait()
        try:
            decision = decide(pg_fund, borrower_id, applied.approval_request_id)
        except DomainError as refused:
            return refused.code
        return "applied" if decision.applied else "counted"

    with ThreadPoolExecutor(len(applied.approvers)) as pool:
        outcomes = sorted(pool.map(approve, applied.approvers))

    assert outcomes == ["applied"] + ["counted"] * 4
    after = application(pg_fund, applied.id)
    assert after.status == "pending_payout_approval"
    with pg_fund.sessions.reader() as session:
        decisions = session.scalar(
            select(func.count()).where(ApprovalDecision.request_id == applied.approval_request_id)
        )
        payout_gates = session.scalar(
            select(func.count()).where(ApprovalRequest.kind == "group_payout")
        )
        request = session.get(ApprovalRequest, applied.approval_request_id)
        assert request is not None
        assert request.status == "approved"
    assert (decisions, payout_gates) == (5, 1)
    assert after.payout_request_id is not None
