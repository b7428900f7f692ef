"""`mkopo scoring simulate` then `mkopo scoring train`: the trained card lands in the database
as a draft version with its metrics and data fingerprint, and scores as it was printed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.audit.models import AuditRecord
from app.bootstrap import process_runtime
from app.cli import app
from app.db.engine import make_database
from app.db.session import Sessions
from app.scoring.versions import data_fingerprint, get_version, load_card
from app.settings import Settings, get_settings
from app.staff.models import Role
from app.staff.service import create_staff_user
from tests.support.databases import SqliteFactory

pytestmark = pytest.mark.slow  # the CLI simulates and trains scorecards: 1-9 s per test


def use_database(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the CLI's runtime at ``url`` (settings and runtime are built once per process)."""
    monkeypatch.setenv("MKOPO_DATABASE_URL", url)
    forget_runtime()


def forget_runtime() -> None:
    get_settings.cache_clear()
    process_runtime.cache_clear()


@pytest.fixture
def database_url(sqlite_factory: SqliteFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name, url = sqlite_factory.create()
    use_database(url, monkeypatch)
    yield url
    forget_runtime()
    sqlite_factory.drop(name)


def staff(database_url: str, username: str, role: Role) -> None:
    database = make_database(Settings(database_url=database_url))
    try:
        with Sessions(database).unit_of_work() as session:
            create_staff_user(session, username, role, datetime.now(UTC))
    finally:
        database.dispose()


def test_a_simulated_table_trains_into_a_stored_draft_version(
    database_url: str, tmp_path: Path
) -> None:
    staff(database_url, "wanjiru", Role.CREDIT_OFFICER)
    data, out = tmp_path / "simulated.csv", tmp_path / "card.json"
    runner = CliRunner()
    made = runner.invoke(app, ["scoring", "simulate", "--out", str(data), "--borrowers", "400"])
    assert made.exit_code == 0, made.output
    train = ["scoring", "train", "--data", str(data), "--label", "default", "--folds", "3"]
    trained = runner.invoke(
        app, [*train, "--name", "sim-400", "--by", "wanjiru", "--out", str(out)]
    )
    assert trained.exit_code == 0, trained.output
    metrics = json.loads(trained.output.strip().splitlines()[-1])
    assert set(metrics) >= {"auc", "gini", "ks", "baseline_auc", "version"}
    database = make_database(Settings(database_url=database_url))
    try:
        with Sessions(database).reader() as session:
            version = get_version(session, metrics["version"])
            card = load_card(version)
            assert (version.status, version.name, version.trained_by) == (
                "draft",
                "sim-400",
                "wanjiru",
            )
            assert version.data_rows == 400
            assert version.data_fingerprint == data_fingerprint(data.read_bytes(), "default", "bad")
            assert version.metrics["auc"] == metrics["auc"]
            [trained_record] = session.scalars(
                select(AuditRecord).where(AuditRecord.action == "scorecard.train")
            ).all()
            assert (trained_record.actor, trained_record.role, trained_record.subject_id) == (
                "wanjiru",
                "credit_officer",
                str(version.id),
            )
    finally:
        database.dispose()
    assert card.to_dict() == json.loads(out.read_text())


def test_training_into_a_database_that_is_not_migrated_says_so(
    sqlite_factory: SqliteFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    name, url = sqlite_factory.create(empty=True)
    use_database(url, monkeypatch)
    try:
        data = tmp_path / "simulated.csv"
        runner = CliRunner()
        made = runner.invoke(app, ["scoring", "simulate", "--out", str(data), "--borrowers", "200"])
        assert made.exit_code == 0, made.output
        train = ["scoring", "train", "--data", str(data), "--label", "default", "--folds", "2"]
        trained = runner.invoke(app, [*train, "--by", "wanjiru"])
    finally:
        forget_runtime()
        sqlite_factory.drop(name)
    assert trained.exit_code == 1
    assert "mkopo migrate" in trained.output


@pytest.mark.parametrize(
    ("by", "role"),
    [([], None), (["--by", "nobody"], None), (["--by", "kamau"], Role.SUPPORT)],
)
def test_storing_needs_an_active_admin_or_credit_officer(
    database_url: str, tmp_path: Path, by: list[str], role: Role | None
) -> None:
    if role is not None:
        staff(database_url, "kamau", role)
    data = tmp_path / "simulated.csv"
    runner = CliRunner()
    simulate = ["scoring", "simulate", "--out", str(data), "--borrowers", "60"]
    assert runner.invoke(app, simulate).exit_code == 0
    train = ["scoring", "train", "--data", str(data), "--label", "default", "--folds", "2"]
    refused = runner.invoke(app, [*train, *by])
    assert refused.exit_code == 2
    assert "admin or credit officer" in refused.output
