"""A borrower disputes a loan's bureau record: the next files flag it; staff uphold it under
four eyes and the listing is lifted in the next file, or reject it and nothing changes; one
open dispute per loan; only one's own, paid-out loans."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from app.crb.dispute_kind import CRB_DISPUTE, DisputeClosed, NothingToLift
from app.crb.disputes import Complaint, DisputeAlreadyOpen, LoanNotReported, open_dispute
from app.crb.models import (
    CrbDispute,
    CrbListing,
    DisputeChannel,
    DisputeReason,
    DisputeStatus,
    ListingState,
)
from app.lending.errors import LoanNotFound
from tests.integration.test_crb_listing import defaulted_borrower, todays_accounts
from tests.integration.test_maker_checker import check, make, stored
from tests.integration.test_scoring_decisions import sms_texts
from tests.support.crb import listing_of, run_day
from tests.support.lending import KES, Fund


def dispute(fund: Fund, borrower_id: int, loan_id: int, reason: str = "paid") -> CrbDispute:
    complaint = Complaint(borrower_id, loan_id, DisputeReason(reason), None, DisputeChannel.APP)
    with fund.sessions.unit_of_work() as session:
        return open_dispute(session, complaint, fund.clock())


def stored_dispute(fund: Fund, dispute_id: int) -> CrbDispute:
    with fund.sessions.reader() as session:
        found = session.get(CrbDispute, dispute_id)
        assert found is not None
        return found


def listed_loan(fund: Fund, root: Path) -> tuple[int, int]:
    borrower_id = defaulted_borrower(fund)
    loan = fund.loan_of(borrower_id)
    run_day(fund, root)
    fund.days_pass(30)
    run_day(fund, root)
    listing = listing_of(fund, loan.id)
    assert listing is not None
    assert listing.state == ListingState.LISTED
    return borrower_id, loan.id


def test_an_upheld_dispute_flags_then_lifts_the_listing_in_the_next_file(
    fund: Fund, tmp_path: Path
) -> None:
    borrower_id, loan_id = listed_loan(fund, tmp_path)
    account = fund.loan_of(borrower_id).account_number
    opened = dispute(fund, borrower_id, loan_id)
    assert "we will reply by" in sms_texts(fund, borrower_id)[-1]
    fund.days_pass(1)
    run_day(fund, tmp_path)
    flagged = todays_accounts(tmp_path, fund)[account]
    assert (flagged["account_status"], flagged["dispute_flag"]) == ("LISTED", "Y")

    asked = make(fund, CRB_DISPUTE, {"dispute_id": opened.id, "outcome": "upheld"})
    assert asked.approval.payload["listing_state"] == "listed"
    check(fund, asked.approval.id)
    resolved = stored_dispute(fund, opened.id)
    assert (resolved.status, resolved.correction) == ("upheld", "lift_listing")
    assert resolved.approval_id == asked.approval.id
    assert resolved.resolution_note == "Reviewed the file"
    listing = listing_of(fund, loan_id)
    assert listing is not None
    assert listing.state == ListingState.LIFTED
    assert "is upheld" in sms_texts(fund, borrower_id)[-1]

    fund.days_pass(1)
    run_day(fund, tmp_path)
    corrected = todays_accounts(tmp_path, fund)[account]
    assert (corrected["account_status"], corrected["dispute_flag"]) == ("ARREARS", "N")
    fund.days_pass(40)  # a lifted listing is never noticed again
    run_day(fund, tmp_path)
    assert (listing := listing_of(fund, loan_id)) is not None
    assert listing.state == ListingState.LIFTED
    assert todays_accounts(tmp_path, fund)[account]["account_status"] == "ARREARS"


def test_a_rejected_dispute_changes_nothing_but_its_flag(fund: Fund, tmp_path: Path) -> None:
    borrower_id, loan_id = listed_loan(fund, tmp_path)
    opened = dispute(fund, borrower_id, loan_id, "wrong_amount")
    asked = make(fund, CRB_DISPUTE, {"dispute_id": opened.id, "outcome": "rejected"})
    check(fund, asked.approval.id)
    assert stored_dispute(fund, opened.id).status == DisputeStatus.REJECTED
    assert (listing := listing_of(fund, loan_id)) is not None
    assert listing.state == ListingState.LISTED
    assert "not upheld" in sms_texts(fund, borrower_id)[-1]
    fund.days_pass(1)
    run_day(fund, tmp_path)
    row = todays_accounts(tmp_path, fund)[fund.loan_of(borrower_id).account_number]
    assert (row["account_status"], row["dispute_flag"]) == ("LISTED", "N")
    # the borrower may dispute again (a new dispute: the first is closed)
    assert dispute(fund, borrower_id, loan_id, "other").status == DisputeStatus.OPEN


def test_nothing_to_lift_cannot_be_upheld_and_a_closed_dispute_is_not_resolved_twice(
    fund: Fund,
) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    loan_id = fund.loan_of(borrower_id).id
    opened = dispute(fund, borrower_id, loan_id, "wrong_amount")
    with pytest.raises(NothingToLift):
        make(fund, CRB_DISPUTE, {"dispute_id": opened.id, "outcome": "upheld"})
    asked = make(fund, CRB_DISPUTE, {"dispute_id": opened.id, "outcome": "rejected"})
    check(fund, asked.approval.id)
    with pytest.raises(DisputeClosed):
        make(fund, CRB_DISPUTE, {"dispute_id": opened.id, "outcome": "rejected"})


def test_an_upheld_request_fails_if_the_listing_was_withdrawn_meanwhile(
    fund: Fund, tmp_path: Path
) -> None:
    borrower_id = defaulted_borrower(fund)
    loan = fund.loan_of(borrower_id)
    run_day(fund, tmp_path)  # notice sent
    opened = dispute(fund, borrower_id, loan.id)
    asked = make(fund, CRB_DISPUTE, {"dispute_id": opened.id, "outcome": "upheld"})
    with fund.sessions.unit_of_work() as session:  # as the job does for a loan repaid in time
        session.execute(
            update(CrbListing).where(CrbListing.loan_id == loan.id).values(state="withdrawn")
        )
    check(fund, asked.approval.id)
    assert stored(fund, asked.approval.id).status == "failed"
    assert stored_dispute(fund, opened.id).status == DisputeStatus.OPEN


def test_one_open_dispute_per_loan_and_only_ones_own_paid_out_loans(fund: Fund) -> None:
    borrower_id = fund.register()
    other = fund.register(national_id="22345670", phone="0712345670")
    payout = fund.request(borrower_id, 500 * KES, "in-flight")
    loan_id = fund.loan_of(borrower_id).id
    with pytest.raises(LoanNotReported):
        dispute(fund, borrower_id, loan_id)
    fund.settle(payout.id)
    with pytest.raises(LoanNotFound):
        dispute(fund, other, loan_id)
    dispute(fund, borrower_id, loan_id)
    with pytest.raises(DisputeAlreadyOpen):
        dispute(fund, borrower_id, loan_id, "other")
    columns = "borrower_id, loan_id, reason, channel, status, opened_at, respond_by"
    refused = [
        f"INSERT INTO crb_disputes ({columns}) SELECT {columns} FROM crb_disputes",
        "UPDATE crb_disputes SET status = 'upheld'",  # closed without a time and a correction
    ]
    for sql in refused:
        with pytest.raises(IntegrityError), fund.sessions.database.write_engine.begin() as conn:
            conn.execute(text(sql))
