"""The Airtel Money simulator for the callbacks benchmark: served in a thread of the bench's
process on a free loopback port, holding one successful USSD-push collection per callback the
API stored, so the worker's enquiry (``GET /standard/v1/payments/{id}``) gets Airtel's final
answer, as it would in production, before any money moves."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import uvicorn

from bench.common.server import free_port
from integrations.airtel.client import AirtelClient
from integrations.airtel.codes import TxStatus
from integrations.airtel.config import AirtelConfig
from integrations.airtel.simulator.app import create_simulator
from integrations.airtel.simulator.outcomes import Outcome
from integrations.airtel.simulator.state import COLLECTION, AirtelSimState, Transaction

CLIENT_ID, CLIENT_SECRET, PIN = "bench-client", "bench-secret", "4321"
UNUSED_CALLBACK_TOKEN = "bench"  # noqa: S105 (the simulator delivers no callbacks)
CUSTOMER = "254733000001"
"""An Airtel number; the enquiry does not name the payer, so one does for every collection."""
SUCCESS_CODE = "DP00800001001"
START_TIMEOUT_S = 20.0


def receipt_of(transaction_id: str) -> str:
    """The ``airtel_money_id`` of a bench collection (unique: it carries our id)."""
    return f"CI{transaction_id}"


def paid_collections(transaction_ids: list[str], amount_minor: int) -> AirtelSimState:
    """Simulator state in which every id is a successful collection of ``amount_minor``."""
    state = AirtelSimState(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, pin=PIN)
    now = datetime.now(UTC)
    for tx_id in transaction_ids:
        state.transactions[(COLLECTION, tx_id)] = Transaction(
            kind=COLLECTION,
            id=tx_id,
            msisdn=CUSTOMER,
            amount_minor=amount_minor,
            reference=tx_id,
            created_at=now,
            outcome=Outcome.SUCCESS,
            status=TxStatus.SUCCESS,
            code=SUCCESS_CODE,
            message="Transaction is successful",
            airtel_money_id=receipt_of(tx_id),
            completed_at=now,
        )
    return state


def _no_delivery(*_: object) -> None:
    """The bench's simulator delivers no callbacks: the load generator sends them."""


@contextmanager
def served(state: AirtelSimState) -> Iterator[AirtelClient]:
    """The simulator in a thread, and the app's Airtel client pointed at it."""
    port = free_port()
    app = create_simulator(state, _no_delivery)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="airtel-simulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Airtel simulator did not start")
        time.sleep(0.05)
    airtel = AirtelConfig(
        base_url=f"http://127.0.0.1:{port}",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        pin=PIN,
        public_key=state.keys.public_key_text(),
        callback_token=UNUSED_CALLBACK_TOKEN,
    )
    client = AirtelClient(airtel, clock=lambda: datetime.now(UTC))
    try:
        yield client
    finally:
        client.close()
        server.should_exit = True
        thread.join(10)
