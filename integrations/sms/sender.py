"""The SMS port: send a text to a borrower's number, get the provider's message id back.

Invariant: no sender accepts a text longer than three concatenated SMS (480 characters);
every implementation calls ``check_text`` before sending.
"""

from __future__ import annotations

from typing import Protocol

# Three concatenated 160-character SMS: longer messages cost more and arrive out of order.
MAX_SMS_TEXT_CHARS = 480


class SmsTooLong(ValueError):
    """The text does not fit in three concatenated SMS."""


class SmsSender(Protocol):
    def send(self, msisdn: str, text: str) -> str:
        """Send ``text`` to ``msisdn`` and return the provider's message id."""
        ...


def check_text(text: str) -> None:
    if len(text) > MAX_SMS_TEXT_CHARS:
        raise SmsTooLong(f"an SMS text is at most {MAX_SMS_TEXT_CHARS} characters, got {len(text)}")
