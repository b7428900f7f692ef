"""Writing off an instalment loan under four eyes clears its instalments: the open ones end
``written_off`` (the paid ones stay paid), and the database keeps an open instalment off a
written-off loan (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.lending.models import InstalmentStatus, Loan, LoanInstalment, LoanStatus
from app.lending.write_off_requests import WRITE_OFF
from tests.integration.test_maker_checker import check, make
from tests.support.instalments import instalment_rows, open_group_loan, travel_to
from tests.support.lending import Fund

INSTALMENT_1 = 4_047_14


def _defaulted(fund: Fund, paid_first: bool = False) -> int:
    _, loan_id = open_group_loan(fund)
    if paid_first:
        travel_to(fund, date(2026, 4, 2))
        fund.repay(loan_id, INSTALMENT_1, "FIRST1")
    travel_to(fund, date(2026, 6, 2) if paid_first else date(2026, 5, 2))  # 30 days past due
    with fund.sessions.reader() as session:
        assert session.get(Loan, loan_id).status == LoanStatus.DEFAULTED  # type: ignore[union-attr]
    return loan_id


def test_a_written_off_instalment_loan_ends_its_open_instalments_written_off(fund: Fund) -> None:
    loan_id = _defaulted(fund, paid_first=True)
    approval_id = make(fund, WRITE_OFF, {"loan_id": loan_id}, reason="Unreachable").approval.id
    assert check(fund, approval_id).failure is None
    rows = instalment_rows(fund, loan_id)
    assert [row.status for row in rows] == ["paid", "written_off", "written_off"]
    with fund.sessions.reader() as session:
        loan = session.get(Loan, loan_id)
        assert loan is not None
        assert (loan.status, loan.outstanding_minor) == (LoanStatus.WRITTEN_OFF, 0)
    fund.assert_books_agree()


def test_the_database_keeps_an_open_instalment_off_a_written_off_loan(fund: Fund) -> None:
    loan_id = _defaulted(fund)
    assert check(fund, make(fund, WRITE_OFF, {"loan_id": loan_id}).approval.id).failure is None
    reopen = (
        update(LoanInstalment)
        .where(LoanInstalment.loan_id == loan_id, LoanInstalment.number == 2)
        .values(status=InstalmentStatus.OPEN)
    )
    with pytest.raises(IntegrityError), fund.sessions.unit_of_work() as session:
        session.execute(reopen)


def test_the_database_refuses_a_loan_written_off_while_an_instalment_is_open(fund: Fund) -> None:
    loan_id = _defaulted(fund)
    with fund.sessions.reader() as session:
        statuses = session.scalars(
            select(LoanInstalment.status).where(LoanInstalment.loan_id == loan_id)
        ).all()
    assert set(statuses) == {"open"}
    with pytest.raises(IntegrityError), fund.sessions.unit_of_work() as session:
        session.execute(update(Loan).where(Loan.id == loan_id).values(status="written_off"))
