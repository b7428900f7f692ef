"""Borrowers for the USSD benchmark: opted in, no loan, one PIN, found by their phone.

Bulk-inserted through psycopg (no identity checks: the registration path is not what is
measured), each with the blind index of a distinct phone number so the API finds them as it
would a real borrower, and the same scrypt PIN hash (hashing 20,000 PINs would take
minutes). The fund's chart is opened and capital put into the float, so every loan the
benchmark books is a real ledger hold. Invariant after seeding: the books balance.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import psycopg

from app.accounting.chart import Acct, open_chart
from app.borrowers.service import TERMS_VERSION
from app.db.session import Sessions
from app.security.fields import BlindIndex
from ledger import EntryRequest, Ledger, PostingLine

CREDIT_LIMIT_MINOR = 5_000 * 100
CAPITAL_MINOR = 1_000_000_000 * 100
FIRST_SUBSCRIBER = 10_000_000
"""Phones are ``+2547`` and eight digits from here: one per borrower."""


def phone_of(number: int) -> str:
    return f"+2547{FIRST_SUBSCRIBER + number:08d}"


def seed_borrowers(
    libpq_url: str,
    sessions: Sessions,
    clock: Callable[[], datetime],
    blind_index: BlindIndex,
    count: int,
    pin_hash: str,
) -> list[str]:
    """Open the chart, fund the float, insert ``count`` borrowers; their phone numbers."""
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        accounts = open_chart(ledger)
        ledger.post(
            EntryRequest(
                "bench:ussd:capital",
                [
                    PostingLine.debit(accounts[Acct.FLOAT], CAPITAL_MINOR),
                    PostingLine.credit(accounts[Acct.CAPITAL], CAPITAL_MINOR),
                ],
                "Benchmark fund: capital into the M-Pesa float",
            )
        )
    phones = [phone_of(i) for i in range(1, count + 1)]
    indexes = [blind_index.digest("msisdn", phone.removeprefix("+")) for phone in phones]
    with psycopg.connect(libpq_url) as conn:
        conn.execute(
            """
            INSERT INTO borrowers (
                national_id_index, national_id_enc, phone_index, phone_enc, full_name_enc,
                date_of_birth_enc, status, terms_version, opted_in_at, pin_hash,
                pin_failed_attempts, credit_limit_minor, score_band, loans_repaid_on_time,
                savings_long_minor, savings_short_minor, savings_short_held_minor,
                credit_balance_minor, created_at)
            SELECT 'bench-nid-idx-' || n, 'bench-nid-enc-' || n, idx, 'bench-phone-enc-' || n,
                   'bench-name-enc-' || n, 'bench-dob-enc-' || n, 'active', %(terms)s,
                   %(now)s, %(pin_hash)s, 0, %(limit)s, 'B2', 0, 0, 0, 0, 0, %(now)s
            FROM unnest(%(indexes)s::text[]) WITH ORDINALITY AS v(idx, n)
            """,
            {
                "indexes": indexes,
                "terms": TERMS_VERSION,
                "now": clock(),
                "pin_hash": pin_hash,
                "limit": CREDIT_LIMIT_MINOR,
            },
        )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE) borrowers")
    return phones
