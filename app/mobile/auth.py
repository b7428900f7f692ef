"""``current_borrower``: the FastAPI dependency every borrower route takes.

It resolves ``Authorization: Bearer <access token>`` to the borrower and session it was
issued for, or answers 401 with ``WWW-Authenticate``. Routes scope every query by the
borrower id it returns: there is no route that takes a borrower id from the client.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.deps import AppClock, ReadSession
from app.api.problems import ProblemError
from app.mobile.tokens import SessionOwner, owner_of_access_token

_bearer = HTTPBearer(
    auto_error=False, description="Access token from /api/v1/auth/login or /auth/refresh"
)


def current_borrower(
    session: ReadSession,
    clock: AppClock,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> SessionOwner:
    if credentials is None:
        raise ProblemError(
            401, "unauthorized", "Sign in: a bearer access token is required", _challenge()
        )
    owner = owner_of_access_token(session, credentials.credentials, clock())
    if owner is None:
        raise ProblemError(
            401,
            "invalid_token",
            "The access token is unknown, expired or revoked: refresh it or sign in",
            _challenge('error="invalid_token"'),
        )
    return owner


def _challenge(params: str = "") -> dict[str, str]:
    return {"WWW-Authenticate": f"Bearer {params}".strip()}


CurrentBorrower = Annotated[SessionOwner, Depends(current_borrower)]
"""The signed-in borrower (and session) of a request."""
