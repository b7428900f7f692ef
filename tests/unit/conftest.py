"""Fixtures the Daraja simulator tests (``test_mpesa_simulator_*``) share: one RSA key pair for
the session (generating one takes a while) and a fresh simulator harness per test. A module
that needs another simulator defines its own ``sim``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from integrations.mpesa.simulator.keys import SimulatorKeys, generate_keys
from tests.unit.test_mpesa_simulator_harness import Harness, running_simulator

KEYS_VALID_FROM = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def keys() -> SimulatorKeys:
    return generate_keys(KEYS_VALID_FROM)


@pytest.fixture
def sim(keys: SimulatorKeys) -> Iterator[Harness]:
    with running_simulator(keys) as harness:
        yield harness
