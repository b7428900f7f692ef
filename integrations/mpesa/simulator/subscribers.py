"""What a phone is doing, for the two STK rules that depend on it (reference §2.4, §9 item 8;
OFF3 MpesaExpressSimulate error and result tables):

- A prompt on the phone's screen locks the subscriber: a second push to that phone is refused
  at once, HTTP 500 ``500.001.1001`` "Unable to lock subscriber, a transaction is already in
  process for the current subscriber". Only a ``pending`` prompt stays on the screen here; every
  other outcome closes it when the push is answered.
- Pushes "initiated in succession (within 2 minutes) for the same amount to the same customer"
  are declined with result 17, "Rule limited.", in the callback. Every accepted push counts,
  whatever its outcome; a push refused at once does not.

The caller holds the state lock. Both maps forget what is past: a prompt when it closes, a push
two minutes after it was made.
"""

from __future__ import annotations

from datetime import datetime, timedelta

RULE_LIMITED = 17
RULE_LIMITED_WINDOW = timedelta(minutes=2)
UNABLE_TO_LOCK = (
    "500.001.1001",
    "Unable to lock subscriber, a transaction is already in process for the current subscriber",
)


class Subscribers:
    def __init__(self) -> None:
        self._on_screen: dict[str, str] = {}
        """Phone -> the CheckoutRequestID of the prompt on its screen."""
        self._pushes: dict[str, list[tuple[datetime, int]]] = {}
        """Phone -> (when, amount in cents) of its pushes in the last two minutes."""

    def locked(self, phone: str) -> bool:
        return phone in self._on_screen

    def show(self, phone: str, checkout_id: str) -> None:
        self._on_screen[phone] = checkout_id

    def close(self, checkout_id: str) -> None:
        for phone in [p for p, c in self._on_screen.items() if c == checkout_id]:
            del self._on_screen[phone]

    def rule_limited(self, phone: str, amount_minor: int, now: datetime) -> bool:
        """Record a push; whether one of the same amount came within the window before it."""
        since = now - RULE_LIMITED_WINDOW
        for other in [p for p, pushes in self._pushes.items() if pushes[-1][0] <= since]:
            del self._pushes[other]
        recent = [push for push in self._pushes.get(phone, []) if push[0] > since]
        repeated = any(amount == amount_minor for _, amount in recent)
        self._pushes[phone] = [*recent, (now, amount_minor)]
        return repeated
