"""Staff members acting in tests, as the routes would pass them (an ``Actor``)."""

from __future__ import annotations

from app.audit.log import Actor

ROLES = {"amina": "admin", "baraka": "admin", "chebet": "admin", "otieno": "credit_officer"}


def staff(username: str) -> Actor:
    """A staff member by name: administrators unless ``ROLES`` says otherwise."""
    return Actor(username, ROLES.get(username, "admin"))
