"""The accounts' running totals move only through the write path, and ``verify`` recomputes
them: a plain UPDATE of a total is refused by the database, and whoever gets past that
guard (a superuser with triggers off, an edited SQLite file) is named by ``verify``, by the
CLI (exit 1) and by the audit API.

The attack of the hardening issue: the float's debits and the capital's credits raised by the
same million with plain UPDATEs. The trial balance still balances and the seals still hold;
only the totals, recomputed from the postings, show it."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from app.bootstrap import process_runtime
from app.cli import app
from app.db.engine import Database
from app.db.session import Sessions
from ledger import Ledger
from tests.integration.test_scoring_cli_store import forget_runtime, use_database
from tests.support.books import Chart, open_chart
from tests.support.clock import FrozenClock
from tests.support.ledger_ops import funded_chart
from tests.support.tamper import tamper

INFLATE_FLOAT = (
    "UPDATE ledger_accounts SET debits_posted = debits_posted + 1000000 WHERE code = '1010'"
)
INFLATE_CAPITAL = (
    "UPDATE ledger_accounts SET credits_posted = credits_posted + 1000000 WHERE code = '3000'"
)
REFUSED = "totals move only through the ledger write path"


@pytest.fixture
def chart(sessions: Sessions, clock: FrozenClock) -> Chart:
    """A funded chart with an open hold and a posted one, every total non-zero somewhere."""
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = funded_chart(ledger, 100_000)
        ledger.hold(hold_request(chart, "payout-1", 2_000))
        posted = ledger.hold(hold_request(chart, "payout-2", 3_000))
        ledger.post_hold(posted.id, "payout-2:paid")
    return chart


def hold_request(chart: Chart, key: str, amount_minor: int) -> object:
    from ledger import EntryRequest, PostingLine

    return EntryRequest(
        key,
        [
            PostingLine.debit(chart.principal.id, amount_minor),
            PostingLine.credit(chart.float.id, amount_minor),
        ],
    )


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(INFLATE_FLOAT, id="the-issue-float"),
        pytest.param(INFLATE_CAPITAL, id="the-issue-capital"),
        "UPDATE ledger_accounts SET credits_posted = credits_posted - 1 WHERE code = '3000'",
        "UPDATE ledger_accounts SET debits_pending = debits_pending + 1 WHERE code = '1200'",
        "UPDATE ledger_accounts SET credits_pending = 0 WHERE code = '1010'",
        "UPDATE ledger_accounts SET debits_posted = 0, credits_posted = 0",
        "INSERT INTO ledger_accounts (code, name, type, currency, debits_must_not_exceed_credits, "
        "credits_must_not_exceed_debits, hot, debits_posted, credits_posted, debits_pending, "
        "credits_pending, created_at) VALUES ('1999', 'Stash', 'asset', 'KES', false, false, "
        "false, 1000000, 0, 0, 0, CURRENT_TIMESTAMP)",
    ],
)
def test_a_plain_update_of_a_total_is_refused(
    database: Database, chart: Chart, statement: str
) -> None:
    with (
        pytest.raises(DBAPIError, match=f"{REFUSED}|opens with zero totals"),
        database.write_engine.begin() as conn,
    ):
        conn.execute(text(statement))


@pytest.mark.postgres
def test_an_update_from_a_function_or_block_is_refused_on_postgres(
    pg_database: Database,
) -> None:
    with Sessions(pg_database).unit_of_work() as session:
        open_chart(Ledger(session, FrozenClock()))
    with pytest.raises(DBAPIError, match=REFUSED), pg_database.write_engine.begin() as conn:
        conn.execute(text(f"DO $$ BEGIN {INFLATE_FLOAT}; END $$"))


def test_the_rest_of_an_account_row_may_change(database: Database, chart: Chart) -> None:
    with database.write_engine.begin() as conn:
        conn.execute(
            text("UPDATE ledger_accounts SET name = 'Float (Safaricom)' WHERE code = '1010'")
        )
        conn.execute(text("UPDATE ledger_accounts SET debits_posted = debits_posted"))


def test_verify_names_each_account_moved_past_the_guard(
    database: Database, sessions: Sessions, clock: FrozenClock, chart: Chart
) -> None:
    key = Ed25519PrivateKey.generate()
    with sessions.unit_of_work() as session:
        assert Ledger(session, clock).seal_next_block(key) is not None
    with sessions.reader() as session:
        clean = Ledger(session, clock).verify([key.public_key()])
    assert (clean.ok, clean.accounts_checked, clean.totals_mismatches) == (True, 8, ())

    tamper(database, INFLATE_FLOAT, INFLATE_CAPITAL)

    with sessions.reader() as session:
        ledger = Ledger(session, clock)
        report = ledger.verify([key.public_key()])
        trial = ledger.trial_balance()
        shown = ledger.balance(chart.float.id).posted_minor
    assert set(trial.net_by_currency.values()) == {0}  # the books still "balance"
    assert shown == 100_000 - 3_000 + 1_000_000  # and the balance shows the inflated float
    assert (report.ok, report.first_break, report.mismatched_accounts) == (False, None, 2)
    named = {m.code: (m.stored, m.recomputed) for m in report.totals_mismatches}
    assert named == {
        "1010": ((1_100_000, 3_000, 0, 2_000), (100_000, 3_000, 0, 2_000)),
        "3000": ((0, 1_100_000, 0, 0), (0, 100_000, 0, 0)),
    }
    assert report.problems() == [
        "account 1010: totals [1100000, 3000, 0, 2000], its postings say [100000, 3000, 0, 2000]",
        "account 3000: totals [0, 1100000, 0, 0], its postings say [0, 100000, 0, 0]",
    ]


def test_verify_recomputes_pending_totals_from_the_holds_still_open(
    database: Database, sessions: Sessions, clock: FrozenClock, chart: Chart
) -> None:
    # A released hold's pending amounts must leave the totals: put one back behind the guard.
    tamper(
        database,
        "UPDATE ledger_accounts SET debits_pending = debits_pending + 3000 WHERE code = '1200'",
    )
    with sessions.reader() as session:
        report = Ledger(session, clock).verify([])
    assert [(m.code, m.stored[2], m.recomputed[2]) for m in report.totals_mismatches] == [
        ("1200", 5_000, 2_000)
    ]


def test_mkopo_ledger_verify_exits_1_naming_the_accounts(
    database: Database, chart: Chart, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_database(database.write_engine.url.render_as_string(hide_password=False), monkeypatch)
    try:
        runner = CliRunner()
        clean = runner.invoke(app, ["ledger", "verify"])
        assert clean.exit_code == 0, clean.output
        tamper(database, INFLATE_FLOAT, INFLATE_CAPITAL)
        caught = runner.invoke(app, ["ledger", "verify"])
    finally:
        process_runtime().sessions.database.dispose()  # the CLI engine: its pool holds them
        forget_runtime()
    assert caught.exit_code == 1, caught.output
    document = json.loads(caught.stdout.strip().splitlines()[0])
    assert (document["ok"], document["mismatched_accounts"]) == (False, 2)
    assert [m["code"] for m in document["totals_mismatches"]] == ["1010", "3000"]
    assert document["totals_mismatches"][0]["from_postings"]["debits_posted_minor"] == 100_000
    assert "account 1010: totals" in caught.stderr
    assert "account 3000: totals" in caught.stderr
