"""A restructure approved while a repayment of the same loan arrives, on PostgreSQL: real
threads, each with its own connection and transaction. Both lock the loan first, so one
waits for the other: either the repayment lands first and the restructure fails (the
principal moved since it was asked), or the restructure lands first and the repayment pays
the new schedule. Either way the instalments and the books agree afterwards."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import select

from app.approvals.models import ApprovalStatus
from app.lending.models import InstalmentStatus, LoanInstalment
from app.lending.restructure_requests import LOAN_RESTRUCTURE, LoanChanged
from tests.integration.test_maker_checker import check, make, stored
from tests.support.instalments import checked_loan, open_group_loan, travel_to
from tests.support.lending import KES, Fund

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("run", range(3))
def test_a_restructure_racing_a_repayment_leaves_one_consistent_loan(
    pg_fund: Fund, run: int
) -> None:
    _, loan_id = open_group_loan(pg_fund)
    travel_to(pg_fund, date(2026, 4, 20))
    asked = {"loan_id": loan_id, "instalments": 4, "asked_on": "2026-04-20"}
    approval_id = make(pg_fund, LOAN_RESTRUCTURE, asked).approval.id
    start = threading.Barrier(2)

    def approve() -> str:
        start.wait()
        failure = check(pg_fund, approval_id).failure
        return "restructured" if failure is None else type(failure).__name__

    def repay() -> str:
        start.wait()
        pg_fund.repay(loan_id, 2_000 * KES, f"RACE{run}")
        return "repaid"

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(approve), pool.submit(repay)]
        outcomes = {future.result() for future in futures}

    assert outcomes in ({"restructured", "repaid"}, {LoanChanged.__name__, "repaid"})
    status = stored(pg_fund, approval_id).status
    loan = checked_loan(pg_fund, loan_id)
    with pg_fund.sessions.reader() as session:
        superseded = session.scalars(
            select(LoanInstalment.number).where(
                LoanInstalment.loan_id == loan_id,
                LoanInstalment.status == InstalmentStatus.SUPERSEDED,
            )
        ).all()
    if "restructured" in outcomes:
        assert (status, loan.restructure_count, len(superseded)) == (ApprovalStatus.APPROVED, 1, 3)
    else:
        assert (status, loan.restructure_count, superseded) == (ApprovalStatus.FAILED, 0, [])
    assert loan.principal_outstanding_minor < 12_000 * KES
