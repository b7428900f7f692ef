"""What admin routes receive: who may call them (by role), the field keys, the
Idempotency-Key header.

Roles (docs/backoffice.md has the full matrix):
- ``Reader``: every staff role, for borrower look-ups and products (support is read-only);
- ``BookReader``: admin, credit officer, auditor: the loan book, approvals, staff list;
- ``Maker``: admin or credit officer: maker-checker requests, freezing a borrower;
- ``Admin``: approving and rejecting requests, unfreezing, manual journals;
- ``MoneyAdmin``: an admin on a route that posts to the ledger (approving a request, which may
  apply a write-off or a manual journal; asking for a journal, which posts it as a dry run,
  rolled back): the only ones here that may (``app.db.ledger_gate``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from app.api.deps import app_field_crypto
from app.api.problems import ProblemError
from app.security.fields import FieldCrypto, InvalidFieldKeysFile
from app.staff.auth import require_roles
from app.staff.models import Role, StaffUser

ADMIN_PREFIX = "/admin/v1"
"""On each area's router, not only the gathering one: the route's own path is what logs and
metrics label requests with."""

READERS = (Role.ADMIN, Role.CREDIT_OFFICER, Role.AUDITOR, Role.SUPPORT)
BOOK_READERS = (Role.ADMIN, Role.CREDIT_OFFICER, Role.AUDITOR)
MAKERS = (Role.ADMIN, Role.CREDIT_OFFICER)
ADMINS = (Role.ADMIN,)
"""The role sets, shared with the console (``app.console.auth``), so both admit the same."""

Reader = Annotated[StaffUser, Depends(require_roles(*READERS))]
BookReader = Annotated[StaffUser, Depends(require_roles(*BOOK_READERS))]
Maker = Annotated[StaffUser, Depends(require_roles(*MAKERS))]
Admin = Annotated[StaffUser, Depends(require_roles(*ADMINS))]
MoneyAdmin = Annotated[StaffUser, Depends(require_roles(*ADMINS, moves_money=True))]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Retrying with the same key returns the request made the first time",
    ),
]


def field_crypto(request: Request) -> FieldCrypto:
    """The app's field keys; 503 while they are not configured."""
    try:
        return app_field_crypto(request.app)
    except (OSError, InvalidFieldKeysFile):
        raise ProblemError(
            503, "field_keys_missing", "Field keys are not configured (mkopo keys generate)"
        ) from None


Crypto = Annotated[FieldCrypto, Depends(field_crypto)]
