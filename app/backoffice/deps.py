"""What admin routes receive: who may call them (by role), the field keys, the
Idempotency-Key header.

Roles (docs/backoffice.md has the full matrix):
- ``Reader``: every staff role, for borrower look-ups and products (support is read-only);
- ``BookReader``: admin, credit officer, auditor: the loan book, approvals, staff list;
- ``Maker``: admin or credit officer: maker-checker requests, freezing a borrower;
- ``Admin``: approving and rejecting requests, unfreezing, manual journals.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from app.api.problems import ProblemError
from app.backoffice.borrowers import FieldCrypto
from app.security.fields import BlindIndex, FieldCipher, load_field_keys
from app.settings import Settings
from app.staff.auth import require_roles
from app.staff.models import Role, StaffUser

Reader = Annotated[
    StaffUser,
    Depends(require_roles(Role.ADMIN, Role.CREDIT_OFFICER, Role.AUDITOR, Role.SUPPORT)),
]
BookReader = Annotated[
    StaffUser, Depends(require_roles(Role.ADMIN, Role.CREDIT_OFFICER, Role.AUDITOR))
]
Maker = Annotated[StaffUser, Depends(require_roles(Role.ADMIN, Role.CREDIT_OFFICER))]
Admin = Annotated[StaffUser, Depends(require_roles(Role.ADMIN))]

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

_STATE_ATTR = "backoffice_field_crypto"


def field_crypto(request: Request) -> FieldCrypto:
    """The field keys, loaded once per app from ``MKOPO_FIELD_KEYS_PATH``."""
    state = request.app.state
    crypto: FieldCrypto | None = getattr(state, _STATE_ATTR, None)
    if crypto is None:
        settings: Settings = state.settings
        if not settings.field_keys_path.is_file():
            raise ProblemError(
                503, "field_keys_missing", "Field keys are not configured (mkopo keys generate)"
            )
        keys = load_field_keys(settings.field_keys_path)
        crypto = FieldCrypto(FieldCipher(keys.encryption_keys), BlindIndex(keys.blind_index_key))
        setattr(state, _STATE_ATTR, crypto)
    return crypto


Crypto = Annotated[FieldCrypto, Depends(field_crypto)]
