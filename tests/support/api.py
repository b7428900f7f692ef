"""An app wired to a test database, and staff tokens for it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db.engine import Database
from app.db.session import Sessions
from app.main import create_app
from app.settings import Settings
from app.staff.models import Role
from app.staff.service import create_staff_user
from app.tasks.refs import TaskRef
from tests.support.clock import FrozenClock

if TYPE_CHECKING:
    from tests.support.lending import Fund


class RecordingTaskQueue:
    """Tasks the app handed to the worker, kept for the test to run or inspect."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple[int | str, ...]]] = []

    def send(self, ref: TaskRef, *args: int | str) -> None:
        self.sent.append((ref.name, args))


def app_for(
    database: Database,
    clock: FrozenClock,
    key_path: Path,
    tasks: RecordingTaskQueue | None = None,
    **overrides: Any,
) -> FastAPI:
    url = database.write_engine.url.render_as_string(hide_password=False)
    settings = Settings(
        database_url=url,
        ledger_signing_key_path=key_path,
        log_json=True,
        max_body_bytes=4096,
        **overrides,
    )
    return create_app(settings, clock, tasks or RecordingTaskQueue())


def fund_app(
    fund: Fund, tmp_path: Path, tasks: RecordingTaskQueue | None = None, **overrides: Any
) -> FastAPI:
    """The API on the fund's database, reading numbers with the fund's field keys (written to
    ``tmp_path/field-keys.json`` by ``open_fund``) and sealing with a key beside them."""
    return app_for(
        fund.sessions.database,
        fund.clock,
        tmp_path / "seal.pem",
        tasks,
        field_keys_path=tmp_path / "field-keys.json",
        **overrides,
    )


def staff_token(sessions: Sessions, clock: FrozenClock, username: str, role: Role) -> str:
    with sessions.unit_of_work() as session:
        _user, token = create_staff_user(session, username, role, clock())
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


__all__ = ["RecordingTaskQueue", "TestClient", "app_for", "bearer", "staff_token"]
