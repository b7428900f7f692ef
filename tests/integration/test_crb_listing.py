"""Negative listing by the rules: notice, 30 days, listing, repayment, cleared; never at
KES 1,000 or less; the job run twice sends nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from app.crb.models import CrbListing, ListingState
from tests.support.crb import account_rows, crb_sms, listing_of, run_day, submissions
from tests.support.lending import KES, Fund

SECOND_ID, SECOND_PHONE = "30000010", "0712345612"


def defaulted_borrower(fund: Fund, national_id: str = "12345670", phone: str = "0712345678") -> int:
    """A borrower whose KES 2,000 loan defaulted today (day 30)."""
    borrower_id = fund.register(national_id, phone)
    fund.borrow(borrower_id, 2_000 * KES)
    fund.days_pass(30)
    assert fund.loan_of(borrower_id).status == "defaulted"
    return borrower_id


def todays_accounts(root: Path, fund: Fund) -> dict[str, dict[str, str]]:
    day = f"{fund.clock():%Y%m%d}"
    path = root / "bureaus" / "metropol" / "inbox" / f"MKOPO_METROPOL_ACCOUNT_DAILY_{day}.txt"
    return account_rows(path)


def test_notice_then_listed_on_day_30_then_cleared_by_repayment(fund: Fund, tmp_path: Path) -> None:
    borrower_id = defaulted_borrower(fund)
    loan = fund.loan_of(borrower_id)
    run_day(fund, tmp_path)
    notice = listing_of(fund, loan.id)
    assert notice is not None
    assert notice.state == ListingState.NOTICE_SENT
    assert notice.noticed_amount_minor == loan.outstanding_minor > 1_000 * KES
    assert (notice.listing_on - notice.notice_on).days == 30
    assert crb_sms(fund, borrower_id) == [f"crb:notice:loan:{loan.id}"]
    assert todays_accounts(tmp_path, fund)[loan.account_number]["account_status"] == "ARREARS"

    fund.days_pass(29)
    run_day(fund, tmp_path)
    assert (listing := listing_of(fund, loan.id)) is not None
    assert listing.state == ListingState.NOTICE_SENT
    assert todays_accounts(tmp_path, fund)[loan.account_number]["account_status"] == "ARREARS"

    fund.days_pass(1)
    run_day(fund, tmp_path)
    assert (listing := listing_of(fund, loan.id)) is not None
    assert (listing.state, listing.listed_on) == (ListingState.LISTED, notice.listing_on)
    assert crb_sms(fund, borrower_id)[-1] == f"crb:listed:loan:{loan.id}"
    listed = todays_accounts(tmp_path, fund)[loan.account_number]
    assert (listed["account_status"], listed["account_status_date"]) == (
        "LISTED",
        f"{notice.listing_on:%Y%m%d}",
    )

    fund.repay(loan.id, fund.loan_of(borrower_id).outstanding_minor, "RKL00000001")
    fund.days_pass(1)
    run_day(fund, tmp_path)
    assert (listing := listing_of(fund, loan.id)) is not None
    assert listing.state == ListingState.CLEARED
    cleared = todays_accounts(tmp_path, fund)[loan.account_number]
    assert (cleared["account_status"], cleared["current_balance"]) == ("CLEARED", "0.00")
    assert cleared["date_closed"] != ""
    assert {s.status for s in submissions(fund)} == {"accepted"}


def test_a_loan_repaid_before_the_listing_date_is_never_listed(fund: Fund, tmp_path: Path) -> None:
    borrower_id = defaulted_borrower(fund)
    loan = fund.loan_of(borrower_id)
    run_day(fund, tmp_path)
    fund.repay(loan.id, fund.loan_of(borrower_id).outstanding_minor, "RKL00000002")
    fund.days_pass(1)
    run_day(fund, tmp_path)
    assert todays_accounts(tmp_path, fund)[loan.account_number]["account_status"] == "CLOSED"
    fund.days_pass(29)
    run_day(fund, tmp_path)
    assert (listing := listing_of(fund, loan.id)) is not None
    assert (listing.state, listing.listed_on) == (ListingState.WITHDRAWN, None)
    assert loan.account_number not in todays_accounts(tmp_path, fund)  # closed 29 days ago
    assert crb_sms(fund, borrower_id) == [f"crb:notice:loan:{loan.id}"]


def test_at_exactly_kes_1000_no_notice_and_no_listing(fund: Fund, tmp_path: Path) -> None:
    borrower_id = defaulted_borrower(fund, SECOND_ID, SECOND_PHONE)
    loan = fund.loan_of(borrower_id)
    fund.repay(loan.id, loan.outstanding_minor - 1_000 * KES, "RKL00000003")
    assert fund.loan_of(borrower_id).outstanding_minor == 1_000 * KES
    run_day(fund, tmp_path)
    assert listing_of(fund, loan.id) is None
    assert crb_sms(fund, borrower_id) == []
    row = todays_accounts(tmp_path, fund)[loan.account_number]
    assert (row["account_status"], row["current_balance"]) == ("ARREARS", "1000.00")
    below = CrbListing(
        loan_id=loan.id,
        borrower_id=borrower_id,
        state=ListingState.NOTICE_SENT,
        noticed_amount_minor=1_000 * KES,
        notice_on=fund.clock().date(),
        listing_on=fund.clock().date(),
        created_at=fund.clock(),
    )
    with fund.sessions.unit_of_work() as session:
        session.add(below)
        with pytest.raises(IntegrityError), session.begin_nested():
            session.flush()


def test_the_job_run_twice_the_same_day_sends_one_sms_and_each_file_once(
    fund: Fund, tmp_path: Path
) -> None:
    borrower_id = defaulted_borrower(fund)
    first = run_day(fund, tmp_path)
    second = run_day(fund, tmp_path)
    assert crb_sms(fund, borrower_id) == [f"crb:notice:loan:{fund.loan_of(borrower_id).id}"]
    assert first["sent"] == len(submissions(fund)) > 0
    assert second["sent"] == 0
    assert second["listings"] == dict.fromkeys(first["listings"], 0)  # type: ignore[arg-type]


def test_a_listed_loan_paid_down_to_kes_1000_is_delisted_and_reported_in_arrears(
    fund: Fund, tmp_path: Path
) -> None:
    borrower_id = defaulted_borrower(fund)
    loan = fund.loan_of(borrower_id)
    run_day(fund, tmp_path)
    fund.days_pass(30)
    run_day(fund, tmp_path)
    owing = fund.loan_of(borrower_id).outstanding_minor
    fund.repay(loan.id, owing - 1_000 * KES, "RKL00000004")
    run_day(fund, tmp_path)
    assert (listing := listing_of(fund, loan.id)) is not None
    assert (listing.state, listing.closed_on) == (ListingState.DELISTED, fund.clock().date())
    fund.days_pass(1)
    run_day(fund, tmp_path)
    row = todays_accounts(tmp_path, fund)[loan.account_number]
    assert row["account_status"] == "ARREARS"


def test_one_cent_above_kes_1000_gets_the_notice(fund: Fund, tmp_path: Path) -> None:
    borrower_id = defaulted_borrower(fund)
    loan = fund.loan_of(borrower_id)
    fund.repay(loan.id, loan.outstanding_minor - (1_000 * KES + 1), "RKL00000005")
    run_day(fund, tmp_path)
    assert (listing := listing_of(fund, loan.id)) is not None
    assert (listing.state, listing.noticed_amount_minor) == (
        ListingState.NOTICE_SENT,
        1_000 * KES + 1,
    )
