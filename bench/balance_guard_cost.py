"""What the guard on the accounts' totals costs a write (migration 0014), per entry.

Run: ``.venv/bin/python -m bench.balance_guard_cost [--entries 2000] [--rounds 5]``

Two scratch databases per backend, one migrated to 0012 (the write path moved the totals
itself, unguarded) and one to head (PostgreSQL: the database moves them from the inserted
postings and refuses any other UPDATE; SQLite: a trigger lets only the write path's UPDATE
through). On each, in alternating rounds so that drift of the machine hits both alike:

- ``commit``: one two-posting entry per transaction (the shape of a repayment or callback);
- ``in_tx``: the same entries all in one transaction (no commit: the write's own work);
- ``batched``: ``post_many`` of 100 entries per transaction over 200 accounts.

Prints the median per-entry time of each case and backend, before and after. Figures to
read, never pass/fail; a shared machine makes single runs noisy, hence the rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config

from app.db.engine import make_database
from app.db.session import Sessions
from app.settings import Settings
from bench.common import ROOT, admin_url, create_database, drop_database, scratch_name
from bench.common import sqlalchemy_url as pg_url
from ledger import AccountSpec, AccountType, EntryRequest, Ledger, PostingLine
from tests.support.clock import FrozenClock

ACCOUNTS = 200
BATCH = 100


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

    def in_tx(self, n: int) -> None:
        with self.sessions.unit_of_work() as session:
            ledger = Ledger(session, self.clock)
            for _ in range(n):
                ledger.post(self.request())

    def batched(self, n: int) -> None:
        for _ in range(n // BATCH):
            with self.sessions.unit_of_work() as session:
                Ledger(session, self.clock).post_many([self.request() for _ in range(BATCH)])


def per_entry_us(run: Callable[[int], None], n: int) -> float:
    started = time.perf_counter()
    run(n)
    return (time.perf_counter() - started) / n * 1e6


def measure(books: dict[str, Books], entries: int, rounds: int) -> dict[str, dict[str, float]]:
    cases = ("commit", "in_tx", "batched")
    samples: dict[str, dict[str, list[float]]] = {v: {c: [] for c in cases} for v in books}
    for _ in range(rounds):
        for case in cases:
            for version, b in books.items():
                samples[version][case].append(per_entry_us(getattr(b, case), entries))
    return {
        version: {case: round(statistics.median(s), 1) for case, s in by_case.items()}
        for version, by_case in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results = {}
    admin = admin_url()
    names = {v: scratch_name(f"guard_{v}") for v in ("before", "after")}
    try:
        pg = {}
        for version, revision in (("before", "0012"), ("after", "head")):
            create_database(admin, names[version])
            migrate(pg_url(admin, names[version]), revision)
            pg[version] = Books(pg_url(admin, names[version]))
        results["postgresql"] = measure(pg, args.entries, args.rounds)
        for b in pg.values():
            b.database.dispose()
    finally:
        for name in names.values():
            drop_database(admin, name)
    with tempfile.TemporaryDirectory() as tmp:
        lite = {}
        for version, revision in (("before", "0012"), ("after", "head")):
            url = f"sqlite:///{Path(tmp) / version}.sqlite3"
            migrate(url, revision)
            lite[version] = Books(url)
        results["sqlite"] = measure(lite, args.entries, args.rounds)
        for b in lite.values():
            b.database.dispose()
    print(json.dumps({"per_entry_us_median": results, **vars(args)}, indent=2))


if __name__ == "__main__":
    main()
