"""The Alembic history builds exactly the models' schema, and walks down and up again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, create_engine, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from app.db.migrations_state import alembic_config, head_revision
from app.security.fields import generate_field_keys_file, load_field_crypto
from integrations.redaction import hash_token
from tests.support.databases import SqliteFactory

pytestmark = pytest.mark.slow  # each test runs every migration from an empty database: 1-3 s


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest) -> object:
    factory = request.getfixturevalue(f"{request.param}_factory")
    name, url = factory.create(empty=True)
    yield url
    factory.drop(name)


def table_names(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_match_the_models_and_round_trip(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    command.upgrade(config, "heads")
    command.check(config)  # raises if the models and the migrations disagree
    built = table_names(empty_database_url)
    assert {"ledger_accounts", "ledger_entries", "ledger_postings", "staff_users"} <= built
    command.downgrade(config, "base")
    assert table_names(empty_database_url) == set()
    command.upgrade(config, "heads")
    assert table_names(empty_database_url) == built
    assert head_revision()


def test_borrowers_from_before_scoring_are_due_for_a_first_scoring(
    empty_database_url: str,
) -> None:
    """Migration 0012 marks every opted-in borrower due at their opt-in time (oldest first)."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0011")
    engine = create_engine(empty_database_url, poolclass=NullPool)
    opted_in = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    borrowers = Table("borrowers", MetaData(), autoload_with=engine)
    row = {
        "national_id_index": "i" * 64,
        "national_id_enc": "x",
        "phone_index": "p" * 64,
        "phone_enc": "x",
        "full_name_enc": "x",
        "date_of_birth_enc": "x",
        "status": "active",
        "terms_version": "2023-11",
        "opted_in_at": opted_in,
        "pin_hash": "x",
        "pin_failed_attempts": 0,
        "credit_limit_minor": 50_000,
        "loans_repaid_on_time": 0,
        "savings_long_minor": 0,
        "savings_short_minor": 0,
        "savings_short_held_minor": 0,
        "credit_balance_minor": 0,
        "created_at": opted_in,
    }
    try:
        with engine.begin() as connection:
            connection.execute(
                borrowers.insert().values(**{k: v for k, v in row.items() if k in borrowers.c})
            )
        command.upgrade(config, "heads")
        with engine.connect() as connection:
            same, trigger = connection.execute(
                text("SELECT rescore_due_at = opted_in_at, rescore_trigger FROM borrowers")
            ).one()
    finally:
        engine.dispose()
    assert (bool(same), trigger) == (True, "scheduled")


def test_callback_bodies_stored_before_redaction_lose_numbers_and_names(
    empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0015 rewrites every stored body: masks and keyed hashes (the field keys of
    MKOPO_FIELD_KEYS_PATH), JSON or not."""
    keys = tmp_path / "field-keys.json"
    generate_field_keys_file(keys)
    monkeypatch.setenv("MKOPO_FIELD_KEYS_PATH", str(keys))
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0012")
    engine = create_engine(empty_database_url, poolclass=NullPool)
    callbacks = Table("mpesa_callbacks", MetaData(), autoload_with=engine)
    c2b = {"TransID": "RK1", "BillRefNumber": "0712345678", "FirstName": "ATIENO"}
    bodies = [json.dumps(c2b), '{"MSISDN": "254712345678", "LastName": "AWUOR", broken']
    now = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    try:
        with engine.begin() as connection:
            for n, body in enumerate(bodies):
                connection.execute(
                    callbacks.insert().values(
                        kind="c2b/confirmation",
                        natural_key=f"k{n}",
                        body=body,
                        status="processed",
                        deliveries=1,
                        received_at=now,
                    )
                )
        command.upgrade(config, "heads")
        with engine.connect() as connection:
            stored = connection.execute(select(callbacks.c.body).order_by(callbacks.c.id)).all()
    finally:
        engine.dispose()
    digest = load_field_crypto(keys).blind_index.digest("msisdn", "254712345678")
    for (body,) in stored:
        for secret in ("712345678", "ATIENO", "AWUOR"):
            assert secret not in body
        assert f"2547******78~{hash_token(digest)}" in body
    assert json.loads(stored[0][0])["TransID"] == "RK1"


_ACCOUNT = (
    "INSERT INTO ledger_accounts (id, code, name, type, currency, "
    "debits_must_not_exceed_credits, credits_must_not_exceed_debits, hot, debits_posted, "
    "credits_posted, debits_pending, credits_pending, created_at) VALUES "
    "(:id, :code, 'old', 'asset', 'KES', false, false, false, 0, 0, 0, 0, CURRENT_TIMESTAMP)"
)
_ENTRY = (
    "INSERT INTO ledger_entries (id, idempotency_key, content_hash, kind, description, meta, "
    "effective_at, booked_at) VALUES (1, 'old', 'x', 'posted', '', '{}', CURRENT_TIMESTAMP, "
    "CURRENT_TIMESTAMP)"
)
_POSTING = (
    "INSERT INTO ledger_postings (entry_id, account_id, currency, side, amount_minor, phase, "
    "effective_at) VALUES (1, :account, 'KES', :side, :amount, 'posted', CURRENT_TIMESTAMP)"
)


@pytest.mark.parametrize(("credit_minor", "proven"), [(500, True), (499, False)])
def test_sqlite_entries_from_before_the_balance_proofs_are_proven_on_the_way(
    sqlite_factory: SqliteFactory, credit_minor: int, proven: bool
) -> None:
    """Migration 0016 proves every entry already in the books (and no posting may join one
    after); an unbalanced one stops it, at 0015, as often as it is run."""
    name, url = sqlite_factory.create(empty=True)
    config = alembic_config(url)
    command.upgrade(config, "0015")
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for account_id in (1, 2):
                connection.execute(text(_ACCOUNT), {"id": account_id, "code": f"{account_id}"})
            connection.execute(text(_ENTRY))
            for account, side, amount in ((1, "D", 500), (2, "C", credit_minor)):
                connection.execute(
                    text(_POSTING), {"account": account, "side": side, "amount": amount}
                )
        if not proven:
            for _attempt in range(2):  # and again: what the first attempt left is no obstacle
                with pytest.raises(DBAPIError, match="ledger entry is unbalanced"):
                    command.upgrade(config, "heads")
            with engine.connect() as connection:
                version = connection.execute(text("SELECT version_num FROM alembic_version"))
                assert version.scalar_one() == "0015"
            return
        command.upgrade(config, "heads")
        with pytest.raises(DBAPIError, match="no posting may join it"), engine.begin() as conn:
            conn.execute(text(_POSTING), {"account": 2, "side": "C", "amount": 1})
    finally:
        engine.dispose()
        sqlite_factory.drop(name)


def test_requests_made_before_the_one_engine_keep_their_decisions_and_time(
    empty_database_url: str,
) -> None:
    """Migration 0017 moves maker-checker requests into the engine's family: a decided one
    gets its decision row (who, what, when), a pending one its full time to expire from the
    day of the migration, every one approvals_needed = 1; the maker still cannot decide."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0016")
    engine = create_engine(empty_database_url, poolclass=NullPool)
    requests = Table("approval_requests", MetaData(), autoload_with=engine)
    made = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    decided = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    common = {
        "kind": "limit_override",
        "subject_type": "borrower",
        "payload": {"borrower_id": 1, "limit_minor": 500_000},
        "reason": "Reviewed the file",
        "maker": "wanjiru",
        "maker_role": "credit_officer",
        "created_at": made,
    }
    rows = [
        {**common, "subject_id": "1", "status": "pending"},
        {**common, "subject_id": "2", "status": "approved", "checker": "amina",
         "decided_at": decided, "result": {}},
        {**common, "subject_id": "3", "status": "rejected", "checker": "baraka",
         "decided_at": decided, "decision_note": "No statement on file"},
    ]  # fmt: skip
    try:
        with engine.begin() as connection:
            for row in rows:
                connection.execute(
                    requests.insert().values(**{k: v for k, v in row.items() if k in requests.c})
                )
        command.upgrade(config, "heads")
        with engine.connect() as connection:
            moved = connection.execute(
                text(
                    "SELECT subject_id, status, approvals_needed, expires_at "
                    "FROM approval_requests ORDER BY subject_id"
                )
            ).all()
            decisions = connection.execute(
                text(
                    "SELECT r.subject_id, d.decider, d.verdict, d.note FROM approval_decisions d "
                    "JOIN approval_requests r ON r.id = d.request_id ORDER BY r.subject_id"
                )
            ).all()
        with pytest.raises(DBAPIError), engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO approval_decisions (request_id, decider, decider_role, verdict, "
                    "decided_at) SELECT id, maker, maker_role, 'approve', created_at "
                    "FROM approval_requests WHERE subject_id = '1'"
                )
            )
    finally:
        engine.dispose()
    assert [(s, st, n) for s, st, n, _ in moved] == [
        ("1", "pending", 1),
        ("2", "approved", 1),
        ("3", "rejected", 1),
    ]
    pending_expiry = moved[0][3]
    if isinstance(pending_expiry, str):  # SQLite hands the text back
        pending_expiry = datetime.fromisoformat(pending_expiry)
    if pending_expiry.tzinfo is None:
        pending_expiry = pending_expiry.replace(tzinfo=UTC)
    assert pending_expiry > datetime.now(UTC)  # its full time from the day of the migration
    assert [tuple(d) for d in decisions] == [
        ("2", "amina", "approve", None),
        ("3", "baraka", "reject", "No statement on file"),
    ]
