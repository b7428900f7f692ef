"""Inputs of the reconciliation benchmark: a ledger holding N provider movements, and the
provider's statement of the same N movements.

Movement ``i`` (1..N) of the day: every fifth a B2C payout (a payouts row, its hold and the
posted hold, float credited), the others paybill repayments (one entry, float debited,
``{"receipt", "channel", "loan_id"}`` in its metadata as ``apply_repayment`` writes them).
Receipt ``RB`` + 8 digits, amount KES 100 to 50,000 varied by ``i``, completed
``i * 86399 // N`` seconds into the day. The ledger rows are inserted with
``INSERT ... SELECT FROM generate_series`` in one transaction, with the ledger's triggers off
(``session_replication_role = replica``; a throwaway database) and the account balances set
to the sums of their postings; the statement is written row by row to a CSV file in the
simulator's format (preamble, the 13 headers, running balance).
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from app.clock import EAT
from bench.common.seed import AMOUNT_SQL, amount_minor, insert_borrowers
from integrations.mpesa.simulator import statement as sim

DAY_START = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)
"""2 March 2026, 00:00 in Nairobi."""
DAY_SECONDS = 86_399
PAYOUT_EVERY = 5
ACCOUNT_NUMBER = "MK00000019"
CAPITAL_MINOR = 10**14
"""A trillion shillings: more than every payout of the largest run."""

AT_SQL = "(%(start)s::timestamptz + make_interval(secs => (i::bigint * 86399 / %(n)s)))"
RECEIPT_SQL = "('RB' || lpad(i::text, 8, '0'))"


def completed_at(i: int, n: int) -> datetime:
    return DAY_START + timedelta(seconds=i * DAY_SECONDS // n)


def receipt(i: int) -> str:
    return f"RB{i:08d}"


def is_payout(i: int) -> bool:
    return i % PAYOUT_EVERY == 0


def seed_ledger(libpq_url: str, n: int, accounts: dict[str, int]) -> dict[str, int]:
    """The N movements in the ledger (and payouts table); returns the float's totals."""
    params: dict[str, Any] = {
        "n": n,
        "start": DAY_START,
        "every": PAYOUT_EVERY,
        "float": accounts["1010"],
        "principal": accounts["1200"],
        "income": accounts["4000"],
    }
    with psycopg.connect(libpq_url) as conn:
        conn.execute("SET session_replication_role = replica")  # ledger triggers off: bulk seed
        base = conn.execute("SELECT coalesce(max(id), 0) FROM ledger_entries").fetchone()
        params["base"] = int(base[0]) if base else 0
        _borrower(conn)
        _entries(conn, params)
        _postings(conn, params)
        _payouts(conn, params)
        totals = _balances(conn, params)
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), %s)",
            (params["base"] + 2 * n,),
        )
        conn.commit()
        conn.autocommit = True
        for table in ("ledger_entries", "ledger_postings", "payouts"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    return totals


def _borrower(conn: psycopg.Connection[Any]) -> None:
    """The one borrower the repayments' metadata names."""
    insert_borrowers(conn, 1, DAY_START, credit_limit_minor=0)
    conn.execute("SELECT setval(pg_get_serial_sequence('borrowers', 'id'), 1)")


def _entries(conn: psycopg.Connection[Any], params: dict[str, Any]) -> None:
    conn.execute(
        f"""
        INSERT INTO ledger_entries (id, idempotency_key, content_hash, kind, description, meta,
                                    effective_at, booked_at)
        SELECT %(base)s + i, 'bench:' || i, md5(i::text) || md5(i::text),
               CASE WHEN i %% %(every)s = 0 THEN 'pending' ELSE 'posted' END, 'benchmark',
               CASE WHEN i %% %(every)s = 0
                    THEN jsonb_build_object('originator_id', 'bench-' || i)
                    ELSE jsonb_build_object('receipt', {RECEIPT_SQL}, 'channel', 'c2b',
                                            'loan_id', 1) END,
               {AT_SQL}, {AT_SQL}
        FROM generate_series(1, %(n)s::bigint) AS i
        """,
        params,
    )
    conn.execute(
        f"""
        INSERT INTO ledger_entries (id, idempotency_key, content_hash, kind, description, meta,
                                    effective_at, booked_at, pending_entry_id)
        SELECT %(base)s + %(n)s + i, 'bench:post:' || i, md5(i::text) || md5('post'),
               'post_pending', 'benchmark', jsonb_build_object('originator_id', 'bench-' || i),
               {AT_SQL}, {AT_SQL}, %(base)s + i
        FROM generate_series(1, %(n)s::bigint) AS i WHERE i %% %(every)s = 0
        """,
        params,
    )


def _postings(conn: psycopg.Connection[Any], params: dict[str, Any]) -> None:
    conn.execute(
        f"""
        INSERT INTO ledger_postings (entry_id, account_id, currency, side, amount_minor, phase,
                                     effective_at)
        SELECT entry_id, account_id, 'KES', side, amount, phase, at FROM (
            SELECT i, {AMOUNT_SQL} AS amount, {AT_SQL} AS at FROM generate_series(1, %(n)s::bigint)
                AS i) AS m
        CROSS JOIN LATERAL (VALUES
            (%(base)s + i, CASE WHEN i %% %(every)s = 0 THEN %(principal)s ELSE %(float)s END,
             'D', CASE WHEN i %% %(every)s = 0 THEN 'pending' ELSE 'posted' END),
            (%(base)s + i, CASE WHEN i %% %(every)s = 0 THEN %(float)s ELSE %(income)s END,
             'C', CASE WHEN i %% %(every)s = 0 THEN 'pending' ELSE 'posted' END)
        ) AS p(entry_id, account_id, side, phase)
        """,
        params,
    )
    conn.execute(
        f"""
        INSERT INTO ledger_postings (entry_id, account_id, currency, side, amount_minor, phase,
                                     effective_at)
        SELECT %(base)s + %(n)s + i, account_id, 'KES', side, {AMOUNT_SQL}, 'posted', {AT_SQL}
        FROM generate_series(1, %(n)s::bigint) AS i
        CROSS JOIN (VALUES (%(principal)s, 'D'), (%(float)s, 'C')) AS p(account_id, side)
        WHERE i %% %(every)s = 0
        """,
        params,
    )


def _payouts(conn: psycopg.Connection[Any], params: dict[str, Any]) -> None:
    conn.execute(
        f"""
        INSERT INTO payouts (idempotency_key, originator_id, purpose, borrower_id, amount_minor,
                             principal_minor, savings_long_minor, savings_short_minor, status,
                             hold_entry_id, provider_receipt, attempts, created_at, resolved_at)
        SELECT 'bench-' || i, 'bench-' || i, 'loan', 1, {AMOUNT_SQL}, {AMOUNT_SQL}, 0, 0,
               'succeeded', %(base)s + i, {RECEIPT_SQL}, 1, {AT_SQL}, {AT_SQL}
        FROM generate_series(1, %(n)s::bigint) AS i WHERE i %% %(every)s = 0
        """,
        params,
    )


def _balances(conn: psycopg.Connection[Any], params: dict[str, Any]) -> dict[str, int]:
    """Each touched account's posted balance = its postings (as the write path keeps it)."""
    conn.execute(
        """
        UPDATE ledger_accounts a SET debits_posted = s.debits, credits_posted = s.credits
        FROM (SELECT account_id,
                     coalesce(sum(amount_minor) FILTER (WHERE side = 'D'), 0) AS debits,
                     coalesce(sum(amount_minor) FILTER (WHERE side = 'C'), 0) AS credits
              FROM ledger_postings WHERE phase = 'posted' GROUP BY account_id) AS s
        WHERE a.id = s.account_id
        """
    )
    row = conn.execute(
        "SELECT debits_posted, credits_posted FROM ledger_accounts WHERE id = %(float)s", params
    ).fetchone()
    assert row is not None
    return {"float_debits_minor": int(row[0]), "float_credits_minor": int(row[1])}


def write_statement(path: Path, n: int, opening_minor: int) -> int:
    """The provider's statement of the N movements; returns the closing balance."""
    balance = opening_minor
    paid_in = sum(amount_minor(i) for i in range(1, n + 1) if not is_payout(i))
    withdrawn = sum(amount_minor(i) for i in range(1, n + 1) if is_payout(i))
    heading = sim.StatementHeading(
        account_holder="Mkopo Fund",
        shortcode="600000",
        account=sim.ALL_ACCOUNTS,
        period_from=DAY_START,
        period_to=DAY_START + timedelta(seconds=DAY_SECONDS),
        operator="bench",
        reported_at=DAY_START + timedelta(days=1, hours=3),
        opening_balance_minor=opening_minor,
    )
    totals = [  # the preamble's totals only need the day's sums
        sim.Movement("IN", DAY_START, DAY_START, "", "", paid_in),
        sim.Movement("OUT", DAY_START, DAY_START, "", "", -withdrawn),
    ]
    with path.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerows(sim.preamble_rows(heading, totals))
        writer.writerow(sim.HEADERS)
        for i in range(1, n + 1):
            amount = -amount_minor(i) if is_payout(i) else amount_minor(i)
            balance += amount
            writer.writerow(_row(i, n, amount, balance))
    return balance


def _row(i: int, n: int, amount: int, balance: int) -> list[str]:
    moment = completed_at(i, n).astimezone(EAT).strftime(sim.TIME_FORMAT)
    if amount < 0:
        return [
            receipt(i),
            moment,
            moment,
            "Business Payment to 2547****5678 - PAYEE",
            "Completed",
            "",
            sim.money_text(amount),
            sim.money_text(balance),
            "true",
            sim.REASON_B2C,
            "2547****5678 - PAYEE",
            "",
            "",
        ]
    return [
        receipt(i),
        moment,
        moment,
        f"Pay Bill from 2547****5678 - Acc. {ACCOUNT_NUMBER}",
        "Completed",
        sim.money_text(amount),
        "",
        sim.money_text(balance),
        "true",
        sim.REASON_PAYBILL,
        "2547****5678 - PAYER",
        "",
        ACCOUNT_NUMBER,
    ]
