"""The audit log is a hash chain the database keeps append-only; ``verify_chain`` names the
first record that was changed, removed or forged."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.audit import ddl
from app.audit.chain import record_hash, verify_chain
from app.audit.log import Actor, NotPlainJson, record
from app.audit.models import GENESIS_HASH, AuditChainHead, AuditRecord
from app.db.engine import Database
from app.db.session import Sessions
from tests.support.clock import FrozenClock

ADMIN = Actor("amina", "admin", "req-0001")
OFFICER = Actor("otieno", "credit_officer", None)


def append_five(sessions: Sessions, clock: FrozenClock) -> None:
    """Five records of the shapes the admin API writes (nested, dates, unicode, nulls)."""
    examples = [
        (ADMIN, "borrower.freeze", ("borrower", 7), {"frozen_at": None}, {"reason": "fraud"}),
        (OFFICER, "approval.request", ("approval", 1), None, {"payload": {"limit_minor": 5}}),
        (ADMIN, "product.change", ("product", "personal"), {"term_days": 14}, {"v": [1, 2]}),
        (OFFICER, "borrower.search", ("borrower", None), None, {"by": "phone", "found": False}),
        (ADMIN, "borrower.unfreeze", ("borrower", 7), {"at": clock()}, {"note": "Ruto – ok ✓"}),
    ]
    for actor, action, subject, before, after in examples:
        clock.advance(minutes=1)
        with sessions.unit_of_work() as session:
            record(session, actor, action, subject, clock(), before, after)


def report(sessions: Sessions) -> tuple[bool, int | None, str | None, int]:
    with sessions.reader() as session:
        found = verify_chain(session, batch=2)  # small batches: the walk crosses pages
    first = found.first_break
    return (
        found.ok,
        first.position if first else None,
        first.problem if first else None,
        found.records_checked,
    )


@pytest.mark.slow  # Hypothesis over a database: 1.8 s
def test_five_records_link_into_a_chain_that_verifies(
    sessions: Sessions, clock: FrozenClock
) -> None:
    append_five(sessions, clock)
    with sessions.reader() as session:
        rows = session.scalars(select(AuditRecord).order_by(AuditRecord.id)).all()
        head = session.get(AuditChainHead, 1)
    assert [r.id for r in rows] == [1, 2, 3, 4, 5]
    assert [r.prev_hash for r in rows] == [GENESIS_HASH] + [r.hash for r in rows[:-1]]
    assert rows[0].request_id == "req-0001"
    assert rows[0].role == "admin"
    assert rows[4].after == {"note": "Ruto – ok ✓"}
    assert rows[4].before == {"at": "2026-03-02T07:00:00.000000Z"}
    assert head is not None
    assert (head.length, head.last_hash) == (5, rows[-1].hash)
    assert report(sessions) == (True, None, None, 5)


def test_an_action_rolled_back_leaves_no_record(sessions: Sessions, clock: FrozenClock) -> None:
    append_five(sessions, clock)

    class Refused(Exception):
        pass

    def freeze_then_fail() -> None:
        with sessions.unit_of_work() as session:
            record(session, ADMIN, "borrower.freeze", ("borrower", 8), clock())
            raise Refused

    with pytest.raises(Refused):
        freeze_then_fail()
    with sessions.unit_of_work() as session:
        again = record(session, ADMIN, "borrower.freeze", ("borrower", 9), clock())
    assert again.id == 6  # the position was not used up: no gap
    assert report(sessions) == (True, None, None, 6)


def test_a_value_without_an_exact_json_form_is_refused(
    sessions: Sessions, clock: FrozenClock
) -> None:
    with pytest.raises(NotPlainJson), sessions.unit_of_work() as session:
        record(session, ADMIN, "x.y", ("x", 1), clock(), after={"rate": 0.08})


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("UPDATE audit_log SET actor = 'someone-else' WHERE id = 2", "append-only"),
        ("DELETE FROM audit_log WHERE id = 5", "append-only"),
        ("DELETE FROM audit_log", "append-only"),
        ("DELETE FROM audit_chain_head", "append-only"),
        ("UPDATE audit_chain_head SET length = 4", "only advance"),
        ("UPDATE audit_chain_head SET last_hash = 'abc'", "only advance"),
    ],
)
def test_the_database_refuses_to_rewrite_the_log_or_move_its_head(
    database: Database, sessions: Sessions, clock: FrozenClock, statement: str, refusal: str
) -> None:
    append_five(sessions, clock)
    with pytest.raises(DBAPIError, match=refusal), database.write_engine.begin() as conn:
        conn.execute(text(statement))
    assert report(sessions) == (True, None, None, 5)


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["audit_log", "audit_chain_head"])
def test_postgres_refuses_to_truncate_the_log(pg_database: Database, table: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), pg_database.write_engine.begin() as c:
        c.execute(text(f"TRUNCATE {table}"))


@contextmanager
def triggers_off(database: Database) -> Iterator[None]:
    """Play someone with write access to the database who turns the guards off."""
    if database.dialect == "postgresql":
        with database.write_engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        yield
        with database.write_engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        return
    with database.write_engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))
    yield
    with database.write_engine.begin() as conn:
        for statement in ddl.sqlite_append_only_triggers():
            conn.execute(text(statement))


def tamper(database: Database, *statements: str) -> None:
    with triggers_off(database), database.write_engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_a_record_edited_behind_the_triggers_is_named(
    database: Database, sessions: Sessions, clock: FrozenClock
) -> None:
    append_five(sessions, clock)
    tamper(database, "UPDATE audit_log SET actor = 'nobody' WHERE id = 2")
    assert report(sessions) == (False, 2, "content_changed", 1)


def test_a_record_edited_and_rehashed_breaks_the_link_of_the_next(
    database: Database, sessions: Sessions, clock: FrozenClock
) -> None:
    append_five(sessions, clock)
    with sessions.reader() as session:
        second = session.get(AuditRecord, 2)
        assert second is not None
        forged = record_hash(
            position=2,
            at=second.at,
            actor="nobody",
            role=second.role,
            action=second.action,
            subject_type=second.subject_type,
            subject_id=second.subject_id,
            before=second.before,
            after=second.after,
            request_id=second.request_id,
            prev_hash=second.prev_hash,
        )
    tamper(database, f"UPDATE audit_log SET actor = 'nobody', hash = '{forged}' WHERE id = 2")
    assert report(sessions) == (False, 3, "broken_link", 2)


def test_a_deleted_record_is_named(
    database: Database, sessions: Sessions, clock: FrozenClock
) -> None:
    append_five(sessions, clock)
    tamper(database, "DELETE FROM audit_log WHERE id = 3")
    assert report(sessions) == (False, 3, "missing_record", 2)


def test_a_deleted_last_record_is_caught_by_the_head(
    database: Database, sessions: Sessions, clock: FrozenClock
) -> None:
    append_five(sessions, clock)
    tamper(database, "DELETE FROM audit_log WHERE id = 5")
    assert report(sessions) == (False, None, "head_mismatch", 4)


_FORGED = (
    "INSERT INTO audit_log (id, at, actor, role, action, subject_type, subject_id, "
    "request_id, prev_hash, hash) VALUES (6, :at, 'ghost', 'admin', 'loan.write_off', 'loan', "
    "'1', NULL, :prev, :hash)"
)


def forge_sixth(database: Database, sessions: Sessions, correct_hash: bool) -> None:
    """Append a row with raw SQL (INSERT is allowed), linked to the last record."""
    with sessions.reader() as session:
        head = session.get(AuditChainHead, 1)
        assert head is not None
        prev = head.last_hash
    at = datetime(2026, 3, 3, tzinfo=UTC)
    digest = (
        record_hash(
            position=6,
            at=at,
            actor="ghost",
            role="admin",
            action="loan.write_off",
            subject_type="loan",
            subject_id="1",
            before=None,
            after=None,
            request_id=None,
            prev_hash=prev,
        )
        if correct_hash
        else "f" * 64
    )
    stored_at = at.replace(tzinfo=None) if database.dialect == "sqlite" else at
    with database.write_engine.begin() as conn:
        conn.execute(text(_FORGED), {"at": stored_at, "prev": prev, "hash": digest})


def test_a_row_inserted_with_a_made_up_hash_is_named(
    database: Database, sessions: Sessions, clock: FrozenClock
) -> None:
    append_five(sessions, clock)
    forge_sixth(database, sessions, correct_hash=False)
    assert report(sessions) == (False, 6, "content_changed", 5)


def test_a_well_forged_row_that_bypassed_the_head_is_caught_by_the_head(
    database: Database, sessions: Sessions, clock: FrozenClock
) -> None:
    append_five(sessions, clock)
    forge_sixth(database, sessions, correct_hash=True)
    assert report(sessions) == (False, None, "head_mismatch", 6)
    with pytest.raises(DBAPIError), sessions.unit_of_work() as session:
        # the next real append collides with the forged position: the chain cannot fork
        record(session, ADMIN, "borrower.view", ("borrower", 1), clock())
