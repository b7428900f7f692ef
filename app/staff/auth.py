"""Bearer-token authentication of staff and role checks, as FastAPI dependencies.

A route that writes ledger entries is built with ``require_roles(..., moves_money=True)``,
which only operations roles may pass (``OPERATIONS_ROLES``); every other staff route leaves
its request unable to post (``app.db.ledger_gate``). So an auditor's or a support agent's
token can never move money, whichever route it reaches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.deps import ReadSession
from app.api.problems import ProblemError
from app.db.ledger_gate import declare_staff_route
from app.staff.models import OPERATIONS_ROLES, Role, StaffUser
from app.staff.service import staff_by_token

_bearer = HTTPBearer(auto_error=False, description="Staff token from `mkopo users create`")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def require_roles(*roles: Role, moves_money: bool = False) -> Callable[..., StaffUser]:
    """A dependency admitting staff in ``roles``; ``moves_money`` for a route that posts to
    the ledger (refused here, at import, if ``roles`` names anyone but operations staff)."""
    allowed = {r.value for r in roles}
    if moves_money and not set(roles) <= OPERATIONS_ROLES:
        readers = sorted(set(roles) - OPERATIONS_ROLES)
        raise ValueError(f"a route that moves money cannot admit {readers}")

    def dependency(
        session: ReadSession,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> StaffUser:
        if credentials is None:
            raise ProblemError(401, "unauthorized", "A staff bearer token is required", _CHALLENGE)
        user = staff_by_token(session, credentials.credentials)
        if user is None:
            raise ProblemError(401, "unauthorized", "Unknown or disabled token", _CHALLENGE)
        if user.role not in allowed:
            raise ProblemError(403, "forbidden", f"Role {user.role} may not do this")
        declare_staff_route(moves_money)
        return user

    # Read by the authorization matrix test, which derives every route's audience from them.
    dependency.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
    dependency.moves_money = moves_money  # type: ignore[attr-defined]
    return dependency
