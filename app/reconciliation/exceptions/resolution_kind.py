"""A reconciliation resolution as a kind of four-eyes request (``app.approvals``).

A resolution that moves money is a ``recon_resolution`` request on its exception
(``recon_exception <id>``): the engine holds its decisions (one decider, an admin or credit
officer other than the proposer) and its expiry. The ``recon_resolutions`` row keeps what
the reconciliation API shows: its ``status`` is mirrored from the request in the same
transaction (``apply`` on approval, ``closed`` otherwise), and ``approval_id`` links them.

On approval the exception is re-checked against the ledger as it is now, and the action
runs through the path its money normally takes (``app.reconciliation.actions``), inside the
engine's savepoint: a refusal leaves the books as they were and the resolution failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.approvals.kinds import ApprovalHandler, Approved, DecisionPolicy, KindRules
from app.approvals.models import (
    ApprovalDecision,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
)
from app.reconciliation import actions
from app.reconciliation import errors as e
from app.reconciliation.exceptions.models import (
    ExceptionState,
    ReconException,
    Resolution,
    ResolutionStatus,
)
from app.reconciliation.exceptions.opening import OPEN_STATES
from app.reconciliation.exceptions.provider import float_account_id
from app.reconciliation.matching.snapshot import receipt_net_minor
from app.security.fields import BlindIndex
from app.staff.models import OPERATIONS_ROLES
from ledger import Ledger

RESOLUTION_EXPIRY = timedelta(days=7)
"""A proposal nobody decided in a week expires: the books have moved on; propose again."""
LEDGER_SINCE = datetime(2000, 1, 1, tzinfo=UTC)
"""Approvals re-read a receipt's whole history on the float account."""
LEDGER_CHECKED = ("missing_in_ledger", "missing_at_provider", "amount_mismatch", "duplicate")
"""Kinds whose ledger figure must not have moved between the finding and the approval."""
ACTIONS = {
    "post_callback": actions.post_callback,
    "assign_to_loan": actions.assign_to_loan,
    "post_to_suspense": actions.post_to_suspense,
    "book_charge": actions.book_charge,
    "book_settlement": actions.book_settlement,
    "record_payout": actions.record_payout,
    "fail_payout": actions.fail_payout,
    "write_off": actions.write_off,
}
_MIRRORED = {
    ApprovalStatus.REJECTED: ResolutionStatus.REJECTED,
    ApprovalStatus.WITHDRAWN: ResolutionStatus.WITHDRAWN,
    ApprovalStatus.FAILED: ResolutionStatus.FAILED,
    ApprovalStatus.EXPIRED: ResolutionStatus.EXPIRED,
}


def snapshot(exception: ReconException) -> dict[str, Any]:
    return {"state": exception.state, "kind": exception.kind, "receipt": exception.receipt}


class ResolutionHandler(KindRules):
    kind = ApprovalKind.RECON_RESOLUTION
    effect = "reconciliation.apply"
    policy = DecisionPolicy(
        decider_roles=frozenset(r.value for r in OPERATIONS_ROLES),
        expires_after=RESOLUTION_EXPIRY,
    )

    def __init__(self, blind_index: BlindIndex | None = None) -> None:
        self.blind_index = blind_index
        """For an action that stores a callback (``post_callback``)."""

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        return dict(asked)

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return "recon_exception", str(payload["exception_id"])

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        exception = _exception(session, payload["exception_id"])
        if exception.state not in OPEN_STATES:
            raise e.ExceptionClosed(f"Exception {exception.id} is already {exception.state}")
        return snapshot(exception)

    def apply(self, approved: Approved) -> dict[str, Any]:
        session, ledger, approval, checker, now = approved.parts()
        resolution = resolution_of(session, approval)
        exception = _exception(session, resolution.exception_id)
        _recheck(session, ledger, exception, now)
        entry_id = ACTIONS[resolution.action](
            actions.Approval(
                session,
                ledger,
                self.blind_index,
                exception,
                resolution.id,
                resolution.loan_id,
                resolution.proposed_by,
                checker.username,
                now,
            )
        )
        resolution.status, resolution.entry_id = ResolutionStatus.APPROVED.value, entry_id
        resolution.outcome = f"Applied: {resolution.action}"
        resolution.decided_by, resolution.decided_role = checker.username, checker.role
        resolution.decided_at = now
        written_off = resolution.action == "write_off"
        exception.state = (
            ExceptionState.WRITTEN_OFF if written_off else ExceptionState.RESOLVED
        ).value
        exception.closed_at = exception.updated_at = now
        session.flush()
        return {**snapshot(exception), "resolution_id": resolution.id, "entry_id": entry_id}

    def closed(self, session: Session, approval: ApprovalRequest, now: datetime) -> None:
        resolution = resolution_of(session, approval)
        resolution.status = _MIRRORED[ApprovalStatus(approval.status)].value
        resolution.decided_at, resolution.outcome = now, approval.decision_note
        if approval.checker is not None:
            resolution.decided_by = approval.checker
            resolution.decided_role = session.scalar(
                select(ApprovalDecision.decider_role).where(
                    ApprovalDecision.request_id == approval.id,
                    ApprovalDecision.decider == approval.checker,
                )
            )
        exception = _exception(session, resolution.exception_id)
        exception.updated_at = now
        session.flush()


RECON_RESOLUTION: ApprovalHandler = ResolutionHandler()
"""The registered handler (no blind index): what the expiry sweep and the queue use."""


def resolution_of(session: Session, approval: ApprovalRequest) -> Resolution:
    found = session.scalar(
        select(Resolution).where(Resolution.approval_id == approval.id).with_for_update()
    )
    if found is None:
        raise e.ResolutionNotFound(f"No resolution for approval request {approval.id}")
    return found


def _exception(session: Session, exception_id: int) -> ReconException:
    session.flush()  # populate_existing must not drop a change not yet written
    found = session.get(ReconException, exception_id, with_for_update=True, populate_existing=True)
    if found is None:
        raise e.ExceptionNotFound(f"No reconciliation exception {exception_id}")
    return found


def _recheck(session: Session, ledger: Ledger, exception: ReconException, now: datetime) -> None:
    """The ledger's figure for the receipt must still be what the run saw."""
    if exception.state not in OPEN_STATES:
        raise e.ExceptionClosed(f"Exception {exception.id} is already {exception.state}")
    if exception.kind not in LEDGER_CHECKED or not exception.receipt:
        return
    net = receipt_net_minor(
        session,
        float_account_id(session, ledger, exception),
        exception.receipt,
        exception.role or "main",
        LEDGER_SINCE,
        now + timedelta(days=1),
    )
    if net != (exception.ledger_minor or 0):
        raise e.ResolutionInvalid(
            "The ledger moved for this receipt since the reconciliation: run it again"
        )
