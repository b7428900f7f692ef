"""Two admins approving the same float transfer at the same moment on PostgreSQL: real
threads, each with its own connection and transaction; the money moves once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.accounting.float_transfers import FLOAT_TRANSFER
from app.approvals import engine as approvals
from app.approvals.models import ApprovalStatus
from app.audit.log import Actor
from app.errors import DomainError
from tests.integration.test_float_transfers import floats, transfer, transfer_entries
from tests.integration.test_maker_checker import check, make, stored
from tests.support.lending import CAPITAL_MINOR, KES, Fund

pytestmark = pytest.mark.postgres
CHECKERS = [Actor(f"admin-{n}", "admin") for n in range(4)]


def test_four_admins_approving_at_once_move_the_float_once(pg_fund: Fund) -> None:
    asked = make(pg_fund, FLOAT_TRANSFER, transfer(3_000_000 * KES), maker=Actor("amina", "admin"))
    start = threading.Barrier(len(CHECKERS))

    def approve(checker: Actor) -> str:
        start.wait()
        try:
            decision = check(pg_fund, asked.approval.id, checker=checker)
        except DomainError as refused:
            return refused.code
        return "applied" if decision.applied else "not applied"

    with ThreadPoolExecutor(len(CHECKERS)) as pool:
        outcomes = sorted(pool.map(approve, CHECKERS))

    assert outcomes == ["applied"] + ["approval_not_pending"] * (len(CHECKERS) - 1)
    assert stored(pg_fund, asked.approval.id).status == ApprovalStatus.APPROVED
    assert len(transfer_entries(pg_fund)) == 1
    assert floats(pg_fund) == (CAPITAL_MINOR - 3_000_000 * KES, 3_000_000 * KES)
    with pytest.raises(approvals.ApprovalNotPending):
        check(pg_fund, asked.approval.id, checker=CHECKERS[0])
    pg_fund.assert_books_agree()
