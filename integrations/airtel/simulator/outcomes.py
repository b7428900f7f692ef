"""Scripted outcomes by the last two digits of the customer's number (or set through
``POST /__sim__/outcomes``), and the Airtel code each one ends with. The table is in ``app``."""

from __future__ import annotations

import enum

from integrations import simulator_scripts

DEFAULT_AMBIGUOUS_ENQUIRIES = 1
"""Enquiries answered ``TA`` before an ambiguous transaction settles (``TS``)."""


class Outcome(enum.StrEnum):
    SUCCESS = "success"
    CANCELLED = "cancelled"
    """The customer refused the prompt (collection); the payout was refused (disbursement)."""
    INSUFFICIENT = "insufficient"
    WRONG_PIN = "wrong_pin"
    TIMEOUT = "timeout"
    """No answer from the customer (collection); "timed out, may be processed", ending failed
    (disbursement)."""
    AMBIGUOUS = "ambiguous"
    """``DP...1000``: enquiries answer ``TA`` a while, then the money moves; no callback."""
    LOST = "lost"
    DUPLICATE = "duplicate"
    DELAYED = "delayed"
    """A late callback: it leaves ``delay_s`` seconds after the money moved."""
    PENDING = "pending"
    """In progress (``TIP``) until ``POST /__sim__/transactions/{kind}/{id}/resolve``."""


SUFFIX_OUTCOMES: dict[str, Outcome] = {
    "00": Outcome.SUCCESS,
    "01": Outcome.CANCELLED,
    "02": Outcome.INSUFFICIENT,
    "03": Outcome.WRONG_PIN,
    "04": Outcome.LOST,
    "05": Outcome.DUPLICATE,
    "06": Outcome.TIMEOUT,
    "07": Outcome.AMBIGUOUS,
    "08": Outcome.DELAYED,
}

COLLECTION_FAILURES: dict[Outcome, str] = {
    Outcome.CANCELLED: "DP00800001008",
    Outcome.INSUFFICIENT: "DP00800001007",
    Outcome.WRONG_PIN: "DP00800001002",
    Outcome.TIMEOUT: "DP00800001024",
}
DISBURSEMENT_REFUSALS: dict[Outcome, tuple[str, str]] = {
    Outcome.CANCELLED: ("DP00900001013", "ESB000011"),
    Outcome.INSUFFICIENT: ("DP00900001007", "ESB000011"),
    Outcome.WRONG_PIN: ("DP00900001013", "ROUTER115"),
    Outcome.TIMEOUT: ("DP00900001014", "ESB000011"),
}
"""Disbursements answer these at once (``success`` false); the transaction ends ``TF``."""


Script = simulator_scripts.Script[Outcome]
