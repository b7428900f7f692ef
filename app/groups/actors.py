"""Borrowers as makers and deciders of four-eyes requests: the engine names people by an
``Actor`` (username, role); a borrower is ``borrower:<id>`` with the role ``borrower``, which
no staff username can be (staff usernames have no colon)."""

from __future__ import annotations

from app.audit.log import Actor

BORROWER_ROLE = "borrower"
PREFIX = "borrower:"


def borrower_actor(borrower_id: int) -> Actor:
    return Actor(f"{PREFIX}{borrower_id}", BORROWER_ROLE)


def borrower_of(username: str) -> int | None:
    """The borrower id an actor's username names, or None for staff and the system."""
    if not username.startswith(PREFIX):
        return None
    rest = username[len(PREFIX) :]
    return int(rest) if rest.isdigit() else None
