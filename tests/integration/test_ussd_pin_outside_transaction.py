"""A USSD PIN check runs its KDF with no database connection open: the hop's transaction (and
its lock on the session row) has ended, so no other hop waits behind a PIN."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text

from app.security.pins import PinHasher
from app.ussd.flow import answer_hop
from app.ussd.gateway import Hop
from app.ussd.steps import UssdEnv
from tests.support.lending import Fund

PIN = "4826"
PHONE = "+254712345678"  # GOOD_PHONE, as the gateway writes it


class WatchedPins(PinHasher):
    """Counts the database connections open each time the KDF runs."""

    def __init__(self, real: PinHasher, open_connections: list[int]) -> None:
        self._real, self._open = real, open_connections
        self.seen: list[int] = []

    def require(self) -> Any:
        return self._real.require()

    def verify_pin(self, pin: str, encoded: str) -> bool:
        self.seen.append(len(self._open))
        return self._real.verify_pin(pin, encoded)

    def needs_rehash(self, encoded: str) -> bool:
        return self._real.needs_rehash(encoded)


def test_the_pin_hop_checks_the_pin_with_no_connection_open(fund: Fund) -> None:
    fund.register(pin=PIN)
    open_connections: list[int] = []
    engine = fund.sessions.database.write_engine
    event.listen(engine, "checkout", lambda *_: open_connections.append(1))
    event.listen(engine, "checkin", lambda *_: open_connections.pop())
    pins = WatchedPins(fund.ports.pins, open_connections)
    env = UssdEnv(
        fund.sessions, fund.clock, fund.ports.cipher, fund.ports.blind_index, "123456", pins
    )

    def hop(text: str) -> str:
        return answer_hop(env, Hop("ATUid_pin_outside", "*384*44135#", PHONE, "63902", text))

    hop("")
    hop("5")
    assert hop("5*1") == "CON Enter your current PIN:\n0. Back"
    assert hop(f"5*1*{PIN}") == "CON Enter a new 4-digit PIN:\n0. Back"
    assert pins.seen == [0]
    with fund.sessions.unit_of_work() as session:  # the watch sees a connection in use
        session.execute(text("SELECT 1"))
        assert len(open_connections) == 1
