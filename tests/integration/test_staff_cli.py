"""``mkopo staff set-password / enroll-totp / totp-code``: console credentials set by an admin
at the command line; ``totp-code`` answers only on the demo's SQLite setup."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.bootstrap import process_runtime
from app.cli import app
from app.db.engine import make_database
from app.db.session import Sessions
from app.security.fields import generate_field_keys_file
from app.settings import Settings, get_settings
from app.staff.credentials import verify_password
from app.staff.models import Role, StaffUser
from app.staff.service import create_staff_user
from tests.support.clock import FrozenClock
from tests.support.databases import SqliteFactory


@pytest.fixture
def staff_db(
    sqlite_factory: SqliteFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Sessions]:
    name, url = sqlite_factory.create()
    keys = tmp_path / "field-keys.json"
    generate_field_keys_file(keys)
    monkeypatch.setenv("MKOPO_DATABASE_URL", url)
    monkeypatch.setenv("MKOPO_FIELD_KEYS_PATH", str(keys))
    get_settings.cache_clear()
    process_runtime.cache_clear()
    database = make_database(Settings(database_url=url))
    sessions = Sessions(database)
    with sessions.unit_of_work() as session:
        create_staff_user(session, "ada", Role.ADMIN, FrozenClock()())
    yield sessions
    database.dispose()
    get_settings.cache_clear()
    process_runtime.cache_clear()
    sqlite_factory.drop(name)


def _user(sessions: Sessions) -> StaffUser:
    with sessions.reader() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.username == "ada")).one()
    return user


@pytest.mark.slow  # two slow hashes and a runtime built by the CLI
def test_a_password_and_a_factor_set_at_the_command_line(staff_db: Sessions) -> None:
    runner = CliRunner()
    weak = runner.invoke(app, ["staff", "set-password", "ada", "--password", "short"])
    assert weak.exit_code == 1
    done = runner.invoke(app, ["staff", "set-password", "ada", "--password", "a long password"])
    assert done.exit_code == 0, done.output
    stored = _user(staff_db).password_hash
    assert stored is not None
    assert verify_password("a long password", stored)
    enrolled = runner.invoke(app, ["staff", "enroll-totp", "ada"])
    assert enrolled.exit_code == 0, enrolled.output
    secret = enrolled.output.splitlines()[1]
    assert enrolled.output.splitlines()[2].startswith("otpauth://totp/Mkopo:ada?secret=" + secret)
    assert secret not in (_user(staff_db).totp_secret_enc or "")  # stored encrypted
    code = runner.invoke(app, ["staff", "totp-code", "ada"])
    assert code.exit_code == 0
    now = time.time()
    assert code.output.strip() in {pyotp.TOTP(secret).at(now + d) for d in (-30, 0, 30)}
    assert runner.invoke(app, ["staff", "enroll-totp", "nobody"]).exit_code == 1


def test_totp_code_is_refused_outside_the_sqlite_demo(
    staff_db: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MKOPO_ENVIRONMENT", "production")
    get_settings.cache_clear()
    refused = CliRunner().invoke(app, ["staff", "totp-code", "ada"])
    assert refused.exit_code == 2
    assert "only works on the local SQLite (demo) setup" in refused.output
