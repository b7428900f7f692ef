"""Domain events: how a lower domain tells a higher one that something happened, without
importing it (lending announces a repayment; scoring, above it, asks for a rescoring).

Handlers run at once, in the publisher's transaction, so what they write commits or rolls
back with the event itself: nothing is lost between the event and its consequences. The
bootstrap subscribes them (``app.bootstrap.wire_domains``); subscribing twice is harmless.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

E = TypeVar("E")
Handler = Callable[[Session, Any], None]
_handlers: defaultdict[type, list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[Session, E], None]) -> None:
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def publish(session: Session, event: object) -> None:
    """Run every handler of ``type(event)`` inside the caller's transaction."""
    for handler in _handlers.get(type(event), ()):
        handler(session, event)
