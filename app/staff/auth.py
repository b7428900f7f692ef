"""Bearer-token authentication of staff and role checks, as FastAPI dependencies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.deps import ReadSession
from app.api.problems import ProblemError
from app.staff.models import Role, StaffUser
from app.staff.service import staff_by_token

_bearer = HTTPBearer(auto_error=False, description="Staff token from `mkopo users create`")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def require_roles(*roles: Role) -> Callable[..., StaffUser]:
    allowed = {r.value for r in roles}

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
        return user

    dependency.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]  # read by tests
    return dependency
