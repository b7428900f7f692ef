"""Creating a staff user under four eyes (``staff_creation``): one admin asks for a username
and a role, another admin approves, and only then is the user created. Above all for a new
admin, who could otherwise be made by one person and act alone.

The request records the username and role. It is refused when asked, and fails when
approved, if the username is malformed or taken (by then another user may hold it). The new
user gets a bearer token that is never shown (only its hash is stored): an admin gives them
a password and a second factor on the console's staff page, the CLI issues tokens for
scripts. Only admins decide, and never the maker."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.approvals.kinds import Approved, DecisionPolicy, KindRules
from app.approvals.models import ApprovalKind
from app.errors import DomainError
from app.staff.models import Role, StaffUser
from app.staff.service import InvalidUsername, UsernameTaken, create_staff_user, valid_username
from ledger import Ledger


class StaffNotCreatable(DomainError, code="staff_not_creatable", http_status=409):
    """The username is taken, or the username or role is not one a staff user can have."""


def _checked(session: Session, asked: Mapping[str, Any]) -> dict[str, str]:
    username, role = str(asked.get("username", "")), str(asked.get("role", ""))
    if role not in {r.value for r in Role}:
        raise StaffNotCreatable(f"No staff role {role!r}")
    if not valid_username(username):
        raise StaffNotCreatable(
            "A username is 2-64 of a-z 0-9 . _ -, starting with a letter or digit"
        )
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise StaffNotCreatable(f"There is already a staff user {username!r}")
    return {"username": username, "role": role}


class StaffCreationHandler(KindRules):
    kind = ApprovalKind.STAFF_CREATION
    effect = "staff.created"
    policy = DecisionPolicy(
        decider_roles=frozenset({Role.ADMIN.value}), expires_after=timedelta(days=3)
    )

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        return _checked(session, asked)

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return "staff_username", payload["username"]

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        return _checked(session, payload)

    def apply(self, approved: Approved) -> dict[str, Any]:
        session, _, approval, _, now = approved.parts()
        wanted = _checked(session, approval.payload)
        try:
            user, _token = create_staff_user(session, wanted["username"], Role(wanted["role"]), now)
        except (InvalidUsername, UsernameTaken) as exc:
            raise StaffNotCreatable(str(exc)) from None
        return {"staff_user_id": user.id, **wanted}


STAFF_CREATION = StaffCreationHandler()
