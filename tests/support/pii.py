"""The PII scan: every column of every row of every table, and every log line, searched for
personal data in clear — any full Kenyan mobile number (2547/2541/+254/07/01 forms), and the
phone numbers, national IDs and names of the borrowers the run created (decrypted from their
rows) and the names the payment simulator gave its customers.

Matches are bounded (no digit, or for the generic pattern no letter or digit, on either
side), so a keyed hash's hex or a provider id that merely contains digits is not a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Engine, MetaData, select

from app.borrowers.models import Borrower
from app.db.session import Sessions
from app.security.fields import FieldCipher

FULL_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\+?254[17][0-9]{8}|0[17][0-9]{8})(?![0-9A-Za-z])")
SIMULATED_CUSTOMER_NAMES = ("SIM CUSTOMER",)
MAX_FINDINGS = 20


@dataclass
class Secrets:
    numbers: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    def patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        found = [("a full phone number", FULL_NUMBER)]
        found += [
            ("a borrower's number or ID", re.compile(rf"(?<![0-9]){re.escape(n)}(?![0-9])"))
            for n in sorted(self.numbers)
        ]
        found += [("a name", re.compile(re.escape(n), re.IGNORECASE)) for n in sorted(self.names)]
        return found


def borrower_secrets(sessions: Sessions, cipher: FieldCipher) -> Secrets:
    secrets = Secrets(names=set(SIMULATED_CUSTOMER_NAMES))
    with sessions.reader() as session:
        for borrower in session.scalars(select(Borrower)):
            phone = cipher.decrypt(borrower.phone_enc)
            secrets.numbers |= {phone, "0" + phone[3:], cipher.decrypt(borrower.national_id_enc)}
            secrets.names.add(cipher.decrypt(borrower.full_name_enc))
    return secrets


def every_row(engine: Engine) -> Iterator[tuple[str, str]]:
    """(table, one row's columns joined) for every row of every table."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                yield table.name, " | ".join(str(value) for value in row)


def findings(texts: Iterable[tuple[str, str]], secrets: Secrets) -> tuple[int, list[str]]:
    """(texts scanned, what was found where: the kind of secret, never the secret)."""
    patterns = secrets.patterns()
    scanned, found = 0, []
    for where, text in texts:
        scanned += 1
        for what, pattern in patterns:
            if pattern.search(text) and len(found) < MAX_FINDINGS:
                found.append(f"{what} in {where}")
    return scanned, found
