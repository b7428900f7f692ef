"""``mkopo borrowers backfill-adult-on``: borrowers from before migration 0024 get the day
they turned 18 from their encrypted date of birth; a minor at opt-in is listed, never written."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from app.borrowers.adult_backfill import backfill_adult_on
from app.borrowers.models import Borrower
from tests.support.lending import Fund


def _as_before_0024(fund: Fund, borrower_id: int, date_of_birth_enc: str) -> None:
    with fund.sessions.unit_of_work() as session:
        session.execute(
            update(Borrower)
            .where(Borrower.id == borrower_id)
            .values(adult_on=None, date_of_birth_enc=date_of_birth_enc)
        )


def test_the_backfill_writes_adults_and_lists_minors_and_unreadable_dates(fund: Fund) -> None:
    adult = fund.register()
    minor = fund.register(national_id="22345670", phone="0712345670")
    unreadable = fund.register(national_id="32345670", phone="0712345671")
    cipher = fund.ports.cipher
    _as_before_0024(fund, adult, cipher.encrypt("2000-02-29"))
    _as_before_0024(fund, minor, cipher.encrypt("2019-05-01"))
    _as_before_0024(fund, unreadable, "not-a-fernet-token")

    with fund.sessions.unit_of_work() as session:
        dry = backfill_adult_on(session, cipher, dry_run=True)
    assert dry.as_dict(True) == {
        "dry_run": True,
        "examined": 3,
        "written": 1,
        "not_adult_at_opt_in": [minor],
        "undecryptable": [unreadable],
    }
    assert fund.borrower(adult).adult_on is None

    with fund.sessions.unit_of_work() as session:
        done = backfill_adult_on(session, cipher, dry_run=False)
    assert done.written == 1
    assert fund.borrower(adult).adult_on == date(2018, 3, 1)  # 29 February: 1 March in 2018
    assert fund.borrower(minor).adult_on is None
    with fund.sessions.unit_of_work() as session:
        again = backfill_adult_on(session, cipher, dry_run=False)
    assert (again.examined, again.written) == (2, 0)
