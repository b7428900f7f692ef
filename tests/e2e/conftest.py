"""Fixtures of the USSD journeys: the app a handset dials (``client``) and the task queue it
hands work to (``queue``). A module that tests another surface defines its own ``client``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.e2e.test_ussd_dialler import client_for
from tests.support.api import RecordingTaskQueue
from tests.support.lending import Fund


@pytest.fixture
def queue() -> RecordingTaskQueue:
    return RecordingTaskQueue()


@pytest.fixture
def client(fund: Fund, tmp_path: Path, queue: RecordingTaskQueue) -> Iterator[TestClient]:
    with client_for(fund, tmp_path, queue) as test_client:
        yield test_client
