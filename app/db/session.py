"""Sessions and the unit of work.

Commits happen in exactly two kinds of places: the request boundary (an API route's
``unit_of_work``) and the task boundary (a worker task's ``unit_of_work``). Services and the
ledger only flush. One use case = one transaction.

A request holds at most one database connection at a time (``RequestSessions``): a request
that held one while waiting for a second could, with as many such requests as the pool has
connections, leave every connection held by a request waiting for another.

Every session asks the ledger gate before each ledger write (``app.db.ledger_gate``): in a
staff request whose route does not move money, the write is refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from app.db.engine import Database
from app.db.ledger_gate import ledger_write_refusal
from ledger import WRITE_GUARD


class SecondConnection(RuntimeError):
    """A request's read began inside its own unit of work: a bug (read through the unit
    of work's session instead), refused so it cannot starve the pool."""


class Sessions:
    def __init__(self, database: Database, info: Mapping[str, object] | None = None) -> None:
        """``info`` goes into every session's ``info`` (e.g. the task queue its commits send
        through: ``app.tasks.queue``)."""
        self.database = database
        guarded = {**(info or {}), WRITE_GUARD: ledger_write_refusal}
        self._write = sessionmaker(database.write_engine, expire_on_commit=False, info=guarded)
        self._read = sessionmaker(database.read_engine, expire_on_commit=False, info=guarded)
        snapshot_engine = database.read_engine
        if snapshot_engine.dialect.name == "postgresql":
            snapshot_engine = snapshot_engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        self._snapshot = sessionmaker(snapshot_engine, info=guarded)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A write transaction: committed if the block ends normally, rolled back otherwise."""
        with self._write() as session:
            self._opened(session, writes=True)
            try:
                with session.begin():
                    yield session
            finally:
                self._closed(session)

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only transaction, always rolled back; objects read stay usable after it."""
        with self._reading(self._read()) as session:
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only transaction on one snapshot (repeatable read on PostgreSQL), for
        reports whose figures must agree with each other; never committed."""
        with self._reading(self._snapshot()) as session:
            yield session

    @contextmanager
    def _reading(self, session: Session) -> Iterator[Session]:
        self._opened(session, writes=False)
        try:
            yield session
        finally:
            session.close()  # ends the transaction; detaches objects without expiring them
            self._closed(session)

    def _opened(self, session: Session, writes: bool) -> None:
        """A hook for ``RequestSessions``; plain sessions (workers, the CLI) track nothing."""

    def _closed(self, session: Session) -> None:
        """A hook for ``RequestSessions``."""


class RequestSessions(Sessions):
    """The sessions of one HTTP request, of which at most one holds a connection.

    Whenever one of them begins a transaction, every other one holding a connection gives
    it back first: a read session is closed (what it read stays usable, detached; used
    again, it begins anew). So the read that authenticated the caller makes way for the
    route's unit of work, whichever route it is. A unit of work is never interrupted: a
    read beginning inside one raises ``SecondConnection``.
    """

    def __init__(self, sessions: Sessions) -> None:  # shares the app's session factories
        self.database = sessions.database
        self._write = sessions._write
        self._read = sessions._read
        self._snapshot = sessions._snapshot
        self._open: list[Session] = []
        self._writer: Session | None = None

    def _opened(self, session: Session, writes: bool) -> None:
        self._open.append(session)
        if writes:
            self._writer = session

        def make_way(_session: Session, transaction: SessionTransaction) -> None:
            if transaction.parent is None:  # the session is about to take a connection
                self._release_all_but(session)

        event.listen(session, "after_transaction_create", make_way)

    def _closed(self, session: Session) -> None:
        self._open.remove(session)
        if session is self._writer:
            self._writer = None

    def _release_all_but(self, beginning: Session) -> None:
        for other in self._open:
            if other is beginning or not other.in_transaction():
                continue
            if other is self._writer:
                raise SecondConnection(
                    "A request read outside its unit of work while it was open; "
                    "read through the unit of work's session"
                )
            other.close()
