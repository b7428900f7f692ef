"""Written-off loans in the bureau files: still owed, reported WRITTEN_OFF with what was
written off, from the day of the write-off; at or under KES 1,000 never negative."""

from __future__ import annotations

from pathlib import Path

from app.clock import business_date
from app.lending.write_off_requests import WRITE_OFF
from tests.integration.test_crb_listing import defaulted_borrower, todays_accounts
from tests.integration.test_maker_checker import check, make
from tests.support.crb import run_day
from tests.support.lending import KES, Fund


def write_off(fund: Fund, loan_id: int) -> None:
    asked = make(fund, WRITE_OFF, {"loan_id": loan_id})
    check(fund, asked.approval.id)


def test_a_written_off_loan_is_reported_written_off_with_what_is_owed(
    fund: Fund, tmp_path: Path
) -> None:
    borrower_id = defaulted_borrower(fund)
    loan = fund.loan_of(borrower_id)
    owed = loan.outstanding_minor
    write_off(fund, loan.id)
    assert fund.loan_of(borrower_id).written_off_minor == owed
    fund.days_pass(1)
    run_day(fund, tmp_path)
    row = todays_accounts(tmp_path, fund)[loan.account_number]
    assert row["account_status"] == "WRITTEN_OFF"
    assert row["current_balance"] == row["amount_in_arrears"] == f"{owed // 100}.{owed % 100:02d}"
    assert row["date_closed"] == ""
    closed_at = fund.loan_of(borrower_id).closed_at
    assert closed_at is not None
    assert row["account_status_date"] == f"{business_date(closed_at):%Y%m%d}"
    assert int(row["days_in_arrears"]) > 0


def test_a_write_off_at_or_under_kes_1000_is_never_negative(fund: Fund, tmp_path: Path) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 900 * KES)
    fund.days_pass(30)
    loan = fund.loan_of(borrower_id)
    assert loan.status == "defaulted"
    assert loan.outstanding_minor <= 1_000 * KES
    write_off(fund, loan.id)
    fund.days_pass(1)
    run_day(fund, tmp_path)
    row = todays_accounts(tmp_path, fund)[loan.account_number]
    assert row["account_status"] == "ARREARS"
