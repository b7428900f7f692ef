"""Asking for a four-eyes change from a staff route: one transaction, 201 or a 200 replay.

A route that asks takes its path's parameters, its body and one ``MakerAsks`` (or
``MoneyAdminAsks``), and is declared with ``**ASKS``::

    @router.post("/loans/{loan_id}/write-offs", **ASKS)
    def request_write_off(loan_id: RecordId, body: ReasonIn, asks: MakerAsks) -> ApprovalOut:
        return asks(WRITE_OFF, {"loan_id": loan_id}, body.reason)
"""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Response

from app.api.deps import AppClock, AppSessions
from app.approvals.engine import Ask, submit
from app.approvals.kinds import ApprovalHandler
from app.approvals.schemas import ApprovalOut
from app.audit.log import staff_actor
from app.clock import Clock
from app.db.session import Sessions
from app.staff.auth import require_roles
from app.staff.deps import IdempotencyKey
from app.staff.models import Role, StaffUser
from ledger import Ledger

ASKS: dict[str, Any] = {
    "response_model": ApprovalOut,
    "status_code": 201,
    "responses": {200: {"description": "The same request, replayed with its Idempotency-Key"}},
}
"""The decorator arguments of every route that asks for a four-eyes change."""


@dataclass(frozen=True, slots=True)
class Asking:
    """Who asks, with what key, and where the answer's status goes."""

    sessions: Sessions
    clock: Clock
    user: StaffUser
    response: Response
    idempotency_key: str | None

    def __call__(self, kind: ApprovalHandler, parts: dict[str, Any], reason: str) -> ApprovalOut:
        """Submit the request in its own transaction. 201 for a new request; 200 for the same
        request replayed with its Idempotency-Key."""
        ask = Ask(kind, parts, reason, self.idempotency_key)
        with self.sessions.unit_of_work() as session:
            now = self.clock()
            submitted = submit(
                session, Ledger(session, self.clock), ask, staff_actor(self.user), now
            )
            self.response.status_code = 201 if submitted.created else 200
            return ApprovalOut.model_validate(submitted.approval)


def _asks(*roles: Role, moves_money: bool = False) -> Any:
    """A dependency gathering an ``Asking`` for staff in ``roles`` (no ``from __future__ import
    annotations`` in this module: FastAPI reads the closure's annotations as objects)."""
    user_of = require_roles(*roles, moves_money=moves_money)

    def asking(
        sessions: AppSessions,
        clock: AppClock,
        user: Annotated[StaffUser, Depends(user_of)],
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> Asking:
        return Asking(sessions, clock, user, response, idempotency_key)

    return Depends(asking)


MakerAsks = Annotated[Asking, _asks(Role.ADMIN, Role.CREDIT_OFFICER)]
"""An admin or a credit officer asks."""
AdminAsks = Annotated[Asking, _asks(Role.ADMIN)]
"""An admin asks (a change of the fund's own accounts that posts nothing when asked)."""
MoneyAdminAsks = Annotated[Asking, _asks(Role.ADMIN, moves_money=True)]
"""An admin asks, on a route that may post to the ledger (a journal's dry run)."""
