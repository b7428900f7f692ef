"""What the guard on the accounts' totals costs a write (migration 0014), per entry.

Run: ``.venv/bin/python -m bench.ledger.guard_cost [--entries 2000] [--rounds 5]``

Two scratch databases per backend, one migrated to 0012 (the write path moved the totals
itself, unguarded) and one to head (PostgreSQL: the database moves them from the inserted
postings and refuses any other UPDATE; SQLite: a trigger lets only the write path's UPDATE
through). On each, in alternating rounds so that drift of the machine hits both alike:

- ``commit``: one two-posting entry per transaction (the shape of a repayment or callback);
- ``batched``: ``post_many`` of 100 entries per transaction over 200 accounts;
- ``server`` (PostgreSQL only): the same single entries as ``ledger_write`` calls in one
  ``DO`` block, each committed (``synchronous_commit`` off, so no disk flush): the write
  function and its triggers alone, without Python or the network, where the guard's cost is
  not lost in the noise.

Then, with ``EXPLAIN ANALYZE`` on PostgreSQL, what moving one entry's two totals costs the
server: before, the two UPDATEs ``ledger_write`` ran; after, the trigger of the postings'
INSERT (its aggregated UPDATE and the guard's row trigger on each account).

(Many entries in one transaction are no measure: every UPDATE of an account leaves a row
version the transaction itself cannot prune, so each write gets slower than the last.)

Prints the median per-entry time of each case and backend, before and after. Figures to
read, never pass/fail; a shared machine makes single runs noisy, hence the rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config

from app.db.engine import make_database
from app.db.session import Sessions
from app.settings import Settings
from bench.common.databases import Scratch, admin_url, create_database, drop_database
from bench.common.report import ROOT
from ledger import AccountSpec, AccountType, EntryRequest, Ledger, PostingLine
from tests.support.clock import FrozenClock

ACCOUNTS = 200
BATCH = 100
CASES = ("commit", "batched")


def migrate(url: str, revision: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, revision)


class Books:
    def __init__(self, url: str) -> None:
        self.database = make_database(Settings(database_url=url))
        self.sessions = Sessions(self.database)
        self.clock = FrozenClock()
        self.serial = 0
        with self.sessions.unit_of_work() as session:
            ledger = Ledger(session, self.clock)
            self.ids = [
                ledger.open_account(AccountSpec(f"A{i}", f"Account {i}", AccountType.ASSET)).id
                for i in range(ACCOUNTS)
            ]

    def request(self) -> EntryRequest:
        self.serial += 1
        a, b = self.ids[self.serial % ACCOUNTS], self.ids[(self.serial * 7 + 1) % ACCOUNTS]
        if a == b:
            b = self.ids[(self.serial + 1) % ACCOUNTS]
        lines = [PostingLine.debit(a, 100), PostingLine.credit(b, 100)]
        return EntryRequest(f"e{self.serial}", lines)

    def commit(self, n: int) -> None:
        for _ in range(n):
            with self.sessions.unit_of_work() as session:
                Ledger(session, self.clock).post(self.request())

    def batched(self, n: int) -> None:
        for _ in range(n // BATCH):
            with self.sessions.unit_of_work() as session:
                Ledger(session, self.clock).post_many([self.request() for _ in range(BATCH)])

    def server(self, n: int) -> None:
        """n two-posting entries through ``ledger_write``, in one statement (PostgreSQL)."""
        start = self.serial
        self.serial += n
        loop = _SERVER_LOOP.format(
            ids=",".join(map(str, self.ids)), first=start + 1, last=start + n
        )
        url = self.database.write_engine.url.set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute("SET synchronous_commit = off")
            conn.execute(loop)  # type: ignore[arg-type]


_SERVER_LOOP = """
DO $$
DECLARE
    ids bigint[] := ARRAY[{ids}]::bigint[];
    k int := array_length(ids, 1);
    a bigint; b bigint;
BEGIN
    FOR i IN {first} .. {last} LOOP
        a := ids[1 + mod(i, k)];
        b := ids[1 + mod(i * 7 + 1, k)];
        IF a = b THEN b := ids[1 + mod(i + 1, k)]; END IF;
        PERFORM ledger_write(jsonb_build_object(
            'booked_at', now(), 'line_count', 2,
            'items', jsonb_build_array(jsonb_build_object(
                'key', 's' || i, 'hash', 'h', 'kind', 'posted', 'description', '',
                'reference', null, 'meta', '{{}}'::jsonb, 'effective_at', now(),
                'expires_at', null, 'pending_entry_id', null, 'reversed_entry_id', null,
                'lines', jsonb_build_array(jsonb_build_array(a, 'D', 100, 'posted'),
                                           jsonb_build_array(b, 'C', 100, 'posted')))),
            'deltas', jsonb_build_array(jsonb_build_array(a, 100, 0, 0, 0),
                                        jsonb_build_array(b, 0, 100, 0, 0))));
        COMMIT;
    END LOOP;
END $$
"""


def per_entry_us(run: Callable[[int], None], n: int) -> float:
    started = time.perf_counter()
    run(n)
    return (time.perf_counter() - started) / n * 1e6


def measure(
    books: dict[str, Books], entries: int, rounds: int, cases: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    samples: dict[str, dict[str, list[float]]] = {v: {c: [] for c in cases} for v in books}
    for _ in range(rounds):
        for case in cases:
            for version, b in books.items():
                samples[version][case].append(per_entry_us(getattr(b, case), entries))
    return {
        version: {case: round(statistics.median(s), 1) for case, s in by_case.items()}
        for version, by_case in samples.items()
    }


def explained_ms(url: str, version: str, samples: int = 30) -> float:
    """Server time to move one two-posting entry's totals (median), as described above."""
    times = []
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        for i in range(samples):
            a, b = 1 + i % ACCOUNTS, 1 + (i + 1) % ACCOUNTS
            if version == "before":
                times.append(
                    sum(
                        _explain(conn, f"UPDATE ledger_accounts SET {c} = {c} + 100 WHERE id = {x}")
                        for x, c in ((a, "debits_posted"), (b, "credits_posted"))
                    )
                )
                continue
            entry = conn.execute(
                "INSERT INTO ledger_entries (idempotency_key, content_hash, kind, description, "
                "meta, effective_at, booked_at) VALUES (%s, 'h', 'posted', '', '{}', now(), "
                "now()) RETURNING id",
                (f"explain:{i}",),
            ).fetchone()
            assert entry is not None
            plan = _plan(
                conn,
                "INSERT INTO ledger_postings (entry_id, account_id, currency, side, "
                f"amount_minor, phase, effective_at) VALUES ({entry[0]}, {a}, 'KES', 'D', 100, "
                f"'posted', now()), ({entry[0]}, {b}, 'KES', 'C', 100, 'posted', now())",
            )
            times.append(
                next(
                    t["Time"]
                    for t in plan["Triggers"]
                    if t["Trigger Name"] == "ledger_postings_move_balances"
                )
            )
        conn.rollback()
    return round(statistics.median(times), 3)


def _plan(conn: psycopg.Connection[Any], sql: str) -> dict[str, Any]:
    row = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}").fetchone()  # type: ignore[arg-type]
    assert row is not None
    plan: dict[str, Any] = row[0][0]
    return plan


def _explain(conn: psycopg.Connection[Any], sql: str) -> float:
    return float(_plan(conn, sql)["Execution Time"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    admin = admin_url()
    names = {v: f"guard_{v}_{uuid.uuid4().hex[:8]}" for v in ("before", "after")}
    try:
        pg = {}
        for version, revision in (("before", "0012"), ("after", "head")):
            create_database(admin, names[version])
            migrate(Scratch(admin, names[version]).url, revision)
            pg[version] = Books(Scratch(admin, names[version]).url)
        results["postgresql"] = measure(pg, args.entries, args.rounds, (*CASES, "server"))
        for b in pg.values():
            b.database.dispose()
        results["postgresql_move_totals_ms"] = {
            version: explained_ms(Scratch(admin, name).url, version)
            for version, name in names.items()
        }
    finally:
        for name in names.values():
            drop_database(admin, name)
    with tempfile.TemporaryDirectory() as tmp:
        lite = {}
        for version, revision in (("before", "0012"), ("after", "head")):
            url = f"sqlite:///{Path(tmp) / version}.sqlite3"
            migrate(url, revision)
            lite[version] = Books(url)
        results["sqlite"] = measure(lite, args.entries, args.rounds, CASES)
        for b in lite.values():
            b.database.dispose()
    print(json.dumps({"per_entry_us_median": results, **vars(args)}, indent=2))


if __name__ == "__main__":
    main()
