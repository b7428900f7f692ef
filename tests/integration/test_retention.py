"""The retention policy: an identity is erased five years after the relationship ended
(opted out, owing and owed nothing, last loan closed), never before; the books keep their
rows; the national ID and number are free to join again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.borrowers.models import Borrower
from app.lending.models import Loan
from app.notifications.models import SmsMessage
from app.onboarding.service import opt_out
from app.privacy.export import borrower_data
from app.privacy.retention import ERASED, RETENTION, erase_due
from tests.support.lending import KES, Fund
from tests.support.sme import open_business

OTHER_ID, OTHER_PHONE = "22345670", "0712345670"


def leave(fund: Fund, borrower_id: int) -> None:
    with fund.sessions.unit_of_work() as session:
        opt_out(session, borrower_id, fund.clock())


def erase(fund: Fund) -> list[int]:
    with fund.sessions.unit_of_work() as session:
        return erase_due(session, fund.clock())


def test_an_identity_is_erased_five_years_after_the_end_and_not_a_day_before(fund: Fund) -> None:
    leaver = fund.register()
    saver = fund.register(OTHER_ID, OTHER_PHONE)
    fund.borrow(saver, 500 * KES)
    loan = fund.loan_of(saver)
    fund.repay(loan.id, loan.outstanding_minor, "RKL00000001")
    leave(fund, leaver)
    leave(fund, saver)  # repaid, but their compulsory savings are still theirs
    fund.clock.advance(days=RETENTION.days - 1)
    assert erase(fund) == []
    fund.clock.advance(days=2)
    assert erase(fund) == [leaver]
    assert erase(fund) == []

    erased = fund.borrower(leaver)
    assert erased.erased_at is not None
    assert erased.adult_on is None
    stored = (erased.national_id_enc, erased.phone_enc, erased.full_name_enc, erased.pin_hash)
    assert stored == (ERASED,) * 4
    with fund.sessions.reader() as session:
        texts = set(
            session.scalars(select(SmsMessage.text).where(SmsMessage.borrower_id == leaver))
        )
        data = borrower_data(session, fund.ports.cipher, leaver, fund.clock())
    assert texts == {ERASED}
    assert data["profile"]["national_id"] == ERASED
    assert fund.borrower(saver).erased_at is None

    with fund.sessions.unit_of_work() as session:  # the saver withdraws everything
        session.execute(
            update(Borrower)
            .where(Borrower.id == saver)
            .values(savings_long_minor=0, savings_short_minor=0)
        )
    assert erase(fund) == [saver]
    with fund.sessions.reader() as session:
        assert session.scalars(select(Loan.status).where(Loan.borrower_id == saver)).all() == [
            "repaid"
        ]
    assert fund.register() != leaver  # the national ID joins again, as someone new


def test_a_recently_closed_loan_keeps_the_identity(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    leaver_loan = fund.loan_of(borrower_id)
    with fund.sessions.unit_of_work() as session:  # repaid and withdrawn long after opting in
        session.execute(
            update(Loan)
            .where(Loan.id == leaver_loan.id)
            .values(status="repaid", closed_at=fund.clock() + timedelta(days=400))
        )
        session.execute(
            update(Borrower)
            .where(Borrower.id == borrower_id)
            .values(
                status="opted_out",
                opted_out_at=fund.clock(),
                savings_long_minor=0,
                savings_short_minor=0,
            )
        )
    fund.clock.advance(days=RETENTION.days + 1)
    assert erase(fund) == []
    fund.clock.advance(days=400)
    assert erase(fund) == [borrower_id]


def test_the_export_holds_the_owners_business_and_nobody_elses(fund: Fund) -> None:
    owner = fund.register()
    other = fund.register(OTHER_ID, OTHER_PHONE)
    mine = open_business(fund, owner)
    with fund.sessions.reader() as session:
        data = borrower_data(session, fund.ports.cipher, owner, fund.clock())
        theirs = borrower_data(session, fund.ports.cipher, other, fund.clock())
    assert [row["id"] for row in data["tables"]["businesses"]] == [mine.id]
    decisions = data["tables"]["business_limit_decisions"]
    assert decisions
    assert {row["business_id"] for row in decisions} == {mine.id}
    assert theirs["tables"]["businesses"] == theirs["tables"]["business_limit_decisions"] == []
