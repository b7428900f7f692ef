"""structlog configuration: JSON lines on stdout, each carrying the request or task id.

Invariant: no log line carries a PIN, a full national ID or a full phone number — values
under sensitive keys are masked by ``redact_sensitive`` before rendering.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

SENSITIVE_KEYS = frozenset(
    {
        "pin",
        "new_pin",
        "old_pin",
        "password",
        "token",
        "secret",
        "national_id",
        "id_number",
        "phone",
        "phone_number",
        "msisdn",
        "authorization",
        "otp",
        "code",
    }
)
_DIGITS = re.compile(r"\d{6,}")


def mask(value: object) -> str:
    """Keep the last 3 characters of a value, hide the rest."""
    text = str(value)
    return "***" + text[-3:] if len(text) > 4 else "***"


def redact_sensitive(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event):
        if key.lower() in SENSITIVE_KEYS and event[key] is not None:
            event[key] = mask(event[key])
        elif key == "event" and isinstance(event[key], str):
            # A free-text message must not smuggle a phone or ID number out either.
            event[key] = _DIGITS.sub(lambda m: mask(m.group(0)), event[key])
    return event


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_sensitive,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=False,
    )
