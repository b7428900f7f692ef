"""How callbacks leave the simulator: now, several copies at once, or later.

A handler decides WHAT to send (a list of ``(url, body)`` calls) while holding the state lock;
the ``Courier`` sends them after the answer, outside any lock, through the injected
``deliver(url, body)``. Duplicates go out on one thread each, started together, so the receiver
sees them in parallel; delayed callbacks wait on a daemon timer thread, so no request (and no
keep-alive connection) waits for them.
"""

from __future__ import annotations

import copy
import logging
import threading
from dataclasses import dataclass
from typing import Any

from integrations.mpesa.simulator.checks import Deliver
from integrations.mpesa.simulator.outcomes import Outcome, Script

logger = logging.getLogger(__name__)

Call = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Dispatch:
    calls: tuple[Call, ...] = ()
    copies: int = 1
    """Deliveries of each call; more than one are sent concurrently."""
    delay_s: float = 0.0


def plan(calls: list[Call], script: Script | None = None) -> Dispatch:
    """The dispatch of ``calls`` under a scripted outcome: lost, duplicated, delayed or plain."""
    if script is None:
        return Dispatch(tuple(calls))
    if script.outcome is Outcome.LOST:
        return Dispatch()
    copies = script.copies if script.outcome is Outcome.DUPLICATE else 1
    delay_s = (script.delay_s or 0.0) if script.outcome is Outcome.DELAYED else 0.0
    return Dispatch(tuple(calls), copies, delay_s)


class Courier:
    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver

    def send(self, dispatch: Dispatch) -> None:
        """Send now (on the caller's thread), or schedule for later when delayed."""
        if not dispatch.calls:
            return
        if dispatch.delay_s > 0:
            timer = threading.Timer(dispatch.delay_s, self._send_now, args=(dispatch,))
            timer.name = "sim-delayed-callback"
            timer.daemon = True
            timer.start()
            return
        self._send_now(dispatch)

    def _send_now(self, dispatch: Dispatch) -> None:
        for url, body in dispatch.calls:
            if dispatch.copies <= 1:
                self._deliver_one(url, body)
                continue
            threads = [
                threading.Thread(
                    target=self._deliver_one,
                    args=(url, copy.deepcopy(body)),
                    name=f"sim-callback-copy-{n}",
                    daemon=True,
                )
                for n in range(dispatch.copies)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

    def _deliver_one(self, url: str, body: dict[str, Any]) -> None:
        # On a thread of our own an exception would vanish: log it (the host only, as
        # callback paths carry a secret token).
        try:
            self._deliver(url, body)
        except Exception:
            host = url.split("//", 1)[-1].split("/", 1)[0]
            logger.exception("callback to %s failed", host)
