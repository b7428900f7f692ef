"""Fixtures shared by the integration tests of the console's actions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.console_desk import Desk, open_desk
from tests.support.lending import Fund


@pytest.fixture
def desk(fund: Fund, tmp_path: Path) -> Iterator[Desk]:
    """The console on a fund with one borrower, an admin and a credit officer."""
    with open_desk(fund, tmp_path) as opened:
        yield opened
