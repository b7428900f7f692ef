"""Sessions and the unit of work.

Commits happen in exactly two kinds of places: the request boundary (an API route's
``unit_of_work``) and the task boundary (a worker task's ``unit_of_work``). Services and the
ledger only flush. One use case = one transaction.

Every session asks the ledger gate before each ledger write (``app.db.ledger_gate``): in a
staff request whose route does not move money, the write is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import Database
from app.db.ledger_gate import ledger_write_refusal
from ledger import WRITE_GUARD


class Sessions:
    def __init__(self, database: Database) -> None:
        self.database = database
        guarded = {WRITE_GUARD: ledger_write_refusal}
        self._write = sessionmaker(database.write_engine, expire_on_commit=False, info=guarded)
        self._read = sessionmaker(database.read_engine, expire_on_commit=False, info=guarded)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A write transaction: committed if the block ends normally, rolled back otherwise."""
        with self._write() as session, session.begin():
            yield session

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only transaction, always rolled back; objects read stay usable after it."""
        session = self._read()
        try:
            yield session
        finally:
            session.close()  # ends the transaction; detaches objects without expiring them
