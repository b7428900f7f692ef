"""README's USSD examples, run as a newcomer would: its own ``ussd`` shell helper, in bash,
with curl, every example line in order against the service under uvicorn. Each reply must
begin as the line's comment says. The helper once reused one ``sessionId`` for every call,
so the third example continued the second one's session and showed the wrong screen."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.db.engine import Database
from app.db.session import Sessions
from tests.support.api import app_for
from tests.support.clock import FrozenClock
from tests.support.lending import KES, open_fund
from tests.support.live import ServerThread, free_port

README = Path(__file__).resolve().parents[2] / "README.md"
DOCUMENTED_URL = "http://127.0.0.1:8000"
_EXAMPLE = re.compile(r"^(ussd '[^']*')\s+# (.+)$", re.MULTILINE)
_HELPER = re.compile(r"^ussd\(\) \{.+\}$", re.MULTILINE)


def examples() -> tuple[str, list[tuple[str, str]]]:
    """README's helper definition and its (call, expected start of reply) lines."""
    text = README.read_text()
    helper = _HELPER.search(text)
    assert helper is not None, "README no longer defines the ussd helper"
    found = [
        (call, re.split(r" \(|\.\.\.", comment)[0].strip())
        for call, comment in _EXAMPLE.findall(text)
    ]
    return helper.group(0), found


@pytest.fixture
def service_url(sqlite_database: Database, tmp_path: Path) -> Iterator[str]:
    clock = FrozenClock()
    fund = open_fund(Sessions(sqlite_database), clock, tmp_path)
    fund.borrow(fund.register(), 500 * KES)  # the demo borrower: GOOD_PHONE, a KES 500 loan
    app = app_for(
        sqlite_database,
        clock,
        tmp_path / "seal.pem",
        field_keys_path=tmp_path / "field-keys.json",
    )
    server = ServerThread(app, free_port())
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


BASH = shutil.which("bash")
CURL = shutil.which("curl")


@pytest.mark.skipif(BASH is None or CURL is None, reason="README's helper needs bash and curl")
def test_readme_ussd_examples_show_the_screens_their_comments_name(service_url: str) -> None:
    helper, found = examples()
    assert len(found) >= 3
    marker = "----8<----"
    script = "\n".join(
        [helper.replace(DOCUMENTED_URL, service_url)]
        + [f"{call}; echo '{marker}'" for call, _ in found]
    )
    assert BASH is not None
    run = subprocess.run(  # noqa: S603 (README's own lines, run exactly as documented)
        [BASH, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    first_lines = [reply.strip().partition("\n")[0] for reply in run.stdout.split(marker)]
    wrong = [
        f"{call}: {shown!r}, expected {expected!r}..."
        for (call, expected), shown in zip(found, first_lines, strict=False)
        if not shown.startswith(expected)
    ]
    assert wrong == []
