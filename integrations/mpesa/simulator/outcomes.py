"""Scripted outcomes: what a payment does (succeed, fail, stay open, time out) and how its
callbacks travel (lost, duplicated, delayed), chosen by the customer's number or set through
``POST /__sim__/outcomes``. The table is in ``integrations.mpesa.simulator.app``."""

from __future__ import annotations

import enum

from integrations import simulator_scripts


class Outcome(enum.StrEnum):
    SUCCESS = "success"
    CANCELLED = "cancelled"
    INSUFFICIENT = "insufficient"
    WRONG_PIN = "wrong_pin"
    LOST = "lost"
    """Completes, but no callback is sent (query or reconcile to find out)."""
    DUPLICATE = "duplicate"
    """Completes, and the callback is delivered ``copies`` times at once."""
    TIMEOUT = "timeout"
    LATE = "late"
    """B2C: the queue-timeout notice is sent, yet the money moves; no result callback."""
    DELAYED = "delayed"
    """Completes; the callback leaves ``delay_s`` seconds later."""
    PENDING = "pending"
    """Stays open until ``/__sim__/stk/{id}/resolve`` or ``/__sim__/b2c/{id}/resolve``."""
    EXPIRED = "expired"
    """STK: 1019, the prompt expired unanswered. B2C: expires in the queue, like ``timeout``."""
    PUSH_ERROR = "push_error"
    """STK: 1025, the prompt could not be sent. B2C: 26, the system is too busy."""


SUFFIX_OUTCOMES: dict[str, Outcome] = {
    "00": Outcome.SUCCESS,
    "01": Outcome.CANCELLED,
    "02": Outcome.INSUFFICIENT,
    "03": Outcome.WRONG_PIN,
    "04": Outcome.LOST,
    "05": Outcome.DUPLICATE,
    "06": Outcome.TIMEOUT,
    "07": Outcome.LATE,
    "08": Outcome.DELAYED,
    "09": Outcome.EXPIRED,
    "10": Outcome.PUSH_ERROR,
}


Script = simulator_scripts.Script[Outcome]
