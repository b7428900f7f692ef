"""Writing ``borrowers.adult_on`` for borrowers who opted in before migration 0024
(``mkopo borrowers backfill-adult-on``): the migration could not read the encrypted dates of
birth; this reads them with the field keys. Until it has run, the database gives such a
borrower no new loan (``app.lending.ddl``).

Rules: a borrower whose date of birth made them a minor, or is impossible, on the day they
first opted in is reported and left without ``adult_on`` (the database refuses the value: it
would break the rule the Auditor-General found broken), so they get no loan until staff
correct the record; one whose date does not decrypt is reported. Idempotent; a dry run
changes nothing. The service flushes; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.borrowers.ages import MAX_AGE_YEARS, MIN_AGE_YEARS, adult_on
from app.borrowers.models import Borrower
from app.clock import business_date
from app.security.fields import FieldCipher, UndecryptableField

BATCH = 500


@dataclass
class AdultBackfill:
    examined: int = 0
    written: int = 0
    not_adult_at_opt_in: list[int] = field(default_factory=list)
    undecryptable: list[int] = field(default_factory=list)

    def as_dict(self, dry_run: bool) -> dict[str, Any]:
        return {
            "dry_run": dry_run,
            "examined": self.examined,
            "written": self.written,
            "not_adult_at_opt_in": self.not_adult_at_opt_in,
            "undecryptable": self.undecryptable,
        }


def _eligible(adult: date, joined: date) -> bool:
    return adult <= joined and adult.year >= joined.year - (MAX_AGE_YEARS - MIN_AGE_YEARS)


def backfill_adult_on(session: Session, cipher: FieldCipher, *, dry_run: bool) -> AdultBackfill:
    report = AdultBackfill()
    after = 0
    while True:
        batch = session.scalars(
            select(Borrower)
            .where(Borrower.adult_on.is_(None), Borrower.id > after)
            .order_by(Borrower.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return report
        for borrower in batch:
            after = borrower.id
            report.examined += 1
            try:
                born = date.fromisoformat(cipher.decrypt(borrower.date_of_birth_enc))
            except (UndecryptableField, ValueError):
                report.undecryptable.append(borrower.id)
                continue
            adult = adult_on(born)
            if not _eligible(adult, business_date(borrower.created_at)):
                report.not_adult_at_opt_in.append(borrower.id)
                continue
            report.written += 1
            if not dry_run:
                borrower.adult_on = adult
        session.flush()
