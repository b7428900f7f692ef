"""`mkopo borrowers renetwork`: borrowers stored as ``safaricom`` before Airtel support get the
network of their decrypted number, once; those with money in flight are left and listed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from app.admin.borrower_networks import RenetworkReport, renetwork_borrowers
from app.audit.models import AuditRecord
from app.bootstrap import process_runtime
from app.borrowers.models import Borrower
from app.cli import app
from app.db.engine import make_database
from app.db.session import Sessions
from app.settings import Settings, get_settings
from tests.support.clock import FrozenClock
from tests.support.databases import SqliteFactory
from tests.support.lending import KES, Fund, open_fund

AIRTEL_PHONE = "0733123456"


def stored_as_safaricom(fund: Fund, borrower_id: int) -> None:
    """As migration 0018 left every borrower who opted in before Airtel support."""
    with fund.sessions.unit_of_work() as session:
        session.execute(
            update(Borrower).where(Borrower.id == borrower_id).values(network="safaricom")
        )


def renetwork(fund: Fund, dry_run: bool = False) -> RenetworkReport:
    with fund.sessions.unit_of_work() as session:
        return renetwork_borrowers(session, fund.ports.cipher, fund.clock(), dry_run=dry_run)


def test_an_airtel_number_stored_as_safaricom_is_corrected_once(fund: Fund) -> None:
    mpesa_id = fund.register()
    airtel_id = fund.register(national_id="30000010", phone=AIRTEL_PHONE)
    stored_as_safaricom(fund, airtel_id)

    dry = renetwork(fund, dry_run=True)
    assert (dry.examined, dry.unchanged, dict(dry.corrected)) == (2, 1, {"safaricom->airtel": 1})
    assert fund.borrower(airtel_id).network == "safaricom"  # the dry run changed nothing

    first = renetwork(fund)
    assert dict(first.corrected) == {"safaricom->airtel": 1}
    assert (fund.borrower(airtel_id).network, fund.borrower(mpesa_id).network) == (
        "airtel",
        "safaricom",
    )
    with fund.sessions.reader() as session:
        audited = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "borrower.network_corrected")
        ).all()
    assert [(a.subject_id, a.before, a.after) for a in audited] == [
        (str(airtel_id), {"network": "safaricom"}, {"network": "airtel"})
    ]

    second = renetwork(fund)
    assert (second.examined, second.unchanged, sum(second.corrected.values())) == (2, 2, 0)


def test_a_borrower_with_a_payout_in_flight_is_skipped_and_listed(fund: Fund) -> None:
    airtel_id = fund.register(national_id="30000010", phone=AIRTEL_PHONE)
    stored_as_safaricom(fund, airtel_id)
    payout = fund.request(airtel_id, 500 * KES, "in-flight")  # not sent: pending
    assert payout.network == "safaricom"
    report = renetwork(fund)
    assert (report.skipped_in_flight, sum(report.corrected.values())) == ([airtel_id], 0)
    assert fund.borrower(airtel_id).network == "safaricom"


def test_numbers_of_no_network_we_serve_or_that_do_not_decrypt_are_listed_not_changed(
    fund: Fund,
) -> None:
    telkom_id = fund.register()
    broken_id = fund.register(national_id="30000010", phone=AIRTEL_PHONE)
    with fund.sessions.unit_of_work() as session:
        telkom = fund.ports.cipher.encrypt("0771234567")
        session.execute(update(Borrower).where(Borrower.id == telkom_id).values(phone_enc=telkom))
        session.execute(
            update(Borrower).where(Borrower.id == broken_id).values(phone_enc="not-a-token")
        )
    report = renetwork(fund)
    assert (report.unknown_network, report.undecryptable) == ([telkom_id], [broken_id])
    assert sum(report.corrected.values()) == 0


@pytest.fixture
def cli_fund(
    sqlite_factory: SqliteFactory,
    clock: FrozenClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Fund]:
    """A fund whose database and field keys the CLI's runtime reads."""
    name, url = sqlite_factory.create()
    monkeypatch.setenv("MKOPO_DATABASE_URL", url)
    monkeypatch.setenv("MKOPO_FIELD_KEYS_PATH", str(tmp_path / "field-keys.json"))
    get_settings.cache_clear()
    process_runtime.cache_clear()
    database = make_database(Settings(database_url=url))
    yield open_fund(Sessions(database), clock, tmp_path)
    database.dispose()
    get_settings.cache_clear()
    process_runtime.cache_clear()
    sqlite_factory.drop(name)


def test_the_command_prints_counts_and_a_second_run_changes_nothing(cli_fund: Fund) -> None:
    airtel_id = cli_fund.register(national_id="30000010", phone=AIRTEL_PHONE)
    stored_as_safaricom(cli_fund, airtel_id)
    runner = CliRunner()

    dry = runner.invoke(app, ["borrowers", "renetwork", "--dry-run"])
    assert dry.exit_code == 0, (dry.output, dry.exception)
    assert json.loads(dry.output)["corrected"] == 1
    assert cli_fund.borrower(airtel_id).network == "safaricom"

    done = runner.invoke(app, ["borrowers", "renetwork"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) | {"dry_run": None} == {
        "dry_run": None,
        "examined": 1,
        "unchanged": 0,
        "corrected": 1,
        "corrected_by_change": {"safaricom->airtel": 1},
        "skipped_in_flight": [],
        "unknown_network": [],
        "undecryptable": [],
    }
    assert cli_fund.borrower(airtel_id).network == "airtel"
    again = runner.invoke(app, ["borrowers", "renetwork"])
    assert json.loads(again.output)["corrected"] == 0
