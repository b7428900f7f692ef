"""The console in a real browser: the app served by uvicorn in a thread on a free port, over
a temporary SQLite fund, driven by Playwright on the system's Chromium (``/usr/bin/chromium``,
the Debian package: Playwright's own browser download is not used).

Without Chromium the tests are skipped locally; with ``CI=true`` they fail instead (as the
PostgreSQL suites do, tests/conftest.py), so CI cannot pass without running them.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from app.db.engine import make_database
from app.db.session import Sessions
from app.main import create_app
from app.settings import Settings
from app.staff.models import Role
from tests.support.clock import FrozenClock
from tests.support.console import ConsoleUser, make_console_user
from tests.support.lending import KES, Fund, open_fund

CHROMIUM = Path(os.environ.get("MKOPO_TEST_CHROMIUM", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").lower() == "true"
SERVER_START_S = 20


@dataclass
class Console:
    base_url: str
    fund: Fund
    clock: FrozenClock
    admin: ConsoleUser
    officer: ConsoleUser
    borrower_id: int

    def code(self, user: ConsoleUser) -> str:
        """A code of the next 30-second step (a code is accepted once: each sign-in moves on)."""
        self.clock.advance(seconds=30)
        return user.code(self.clock())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not os.access(CHROMIUM, os.X_OK):
        if IN_CI:
            pytest.fail(f"CI=true but {CHROMIUM} is missing: the browser suite must run")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def console(sqlite_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    name, url = sqlite_factory.create()
    tmp = tmp_path_factory.mktemp("console")
    database = make_database(Settings(database_url=url))
    clock = FrozenClock()
    fund = open_fund(Sessions(database), clock, tmp)
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    keys = tmp / "field-keys.json"
    admin = make_console_user(fund.sessions, clock(), keys, "ada", Role.ADMIN)
    officer = make_console_user(fund.sessions, clock(), keys, "otto", Role.CREDIT_OFFICER)
    port = _free_port()
    settings = Settings(
        database_url=url,
        ledger_signing_key_path=tmp / "seal.pem",
        field_keys_path=keys,
        console_cookie_secure=False,  # plain http on 127.0.0.1
        log_level="WARNING",
    )
    app = create_app(settings, clock)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the console's server did not start")
        time.sleep(0.05)
    try:
        yield Console(f"http://127.0.0.1:{port}", fund, clock, admin, officer, borrower_id)
    finally:
        server.should_exit = True
        thread.join(timeout=SERVER_START_S)
        database.dispose()
        sqlite_factory.drop(name)


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_path), args=["--no-sandbox"]
        )
        yield launched
        launched.close()


def _problem(message: Any) -> bool:
    """A script error or a CSP violation; not a refused request (a 401 for a wrong code)."""
    return message.type == "error" and not message.text.startswith("Failed to load resource")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page; fails the test on any CSP violation
    or script error the page reports."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    opened.on(
        "console",
        lambda message: problems.append(message.text) if _problem(message) else None,
    )
    opened.on("pageerror", lambda error: problems.append(str(error)))
    yield opened
    context.close()
    assert problems == []
