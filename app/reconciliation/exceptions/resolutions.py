"""The exceptions workflow: investigate, propose a resolution, approve or reject it.

States of an exception: open -> investigating -> resolved | written_off. Anyone who reads
exceptions may investigate one; resolving it is operations work (``OPERATIONS_ROLES``: admins
and credit officers; auditors and support never, ``OperationsOnly`` here and a trigger in the
database, ``app.reconciliation.ddl``). An explanation (no money moves) resolves it at once, by
one person. Any other action is a proposal decided through the one four-eyes engine
(``app.approvals``, kind ``recon_resolution``, ``resolution_kind.py``): another person must
approve it (``SameChecker``, and the engine's triggers in the database) before it expires;
the approval re-checks the exception against the ledger as it is now, applies the action in
a savepoint and either resolves the exception or records why it failed (nothing applied).
Every step is written to the audit log in the same transaction, with the actor's role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.approvals import engine
from app.audit.log import Actor, record
from app.lending.models import Loan
from app.reconciliation import errors as e
from app.reconciliation.exceptions.models import (
    ExceptionState,
    ReconException,
    Resolution,
    ResolutionStatus,
)
from app.reconciliation.exceptions.opening import OPEN_STATES
from app.reconciliation.exceptions.resolution_kind import (
    ACTIONS,
    LEDGER_CHECKED,
    ResolutionHandler,
    snapshot,
)
from app.security.fields import BlindIndex
from app.staff.models import OPERATIONS_ROLES
from ledger import Ledger

__all__ = ["ACTIONS", "ALLOWED", "LEDGER_CHECKED", "Proposal", "approve", "propose", "reject"]

MIN_NOTE, MAX_NOTE = 3, 500
ALLOWED: dict[str, tuple[str, ...]] = {
    "missing_in_ledger": (
        "post_callback",
        "assign_to_loan",
        "post_to_suspense",
        "record_payout",
        "write_off",
        "explain",
    ),
    "missing_at_provider": ("write_off", "explain"),
    "amount_mismatch": ("write_off", "explain"),
    "duplicate": ("assign_to_loan", "write_off", "explain"),
    "charge": ("book_charge", "explain"),
    "settlement": ("book_settlement", "explain"),
    "suspense": ("assign_to_loan", "explain"),
    "pending_payout": ("record_payout", "fail_payout", "explain"),
    "float_difference": ("write_off", "explain"),
}


@dataclass(frozen=True, slots=True)
class Proposal:
    action: str
    note: str
    loan_id: int | None = None
    request_key: str | None = None


def _note(note: str) -> str:
    cleaned = note.strip()
    if not MIN_NOTE <= len(cleaned) <= MAX_NOTE:
        raise e.InvalidNote(f"Give a note of {MIN_NOTE} to {MAX_NOTE} characters")
    return cleaned


def _exception(session: Session, exception_id: int) -> ReconException:
    found = session.get(ReconException, exception_id, with_for_update=True, populate_existing=True)
    if found is None:
        raise e.ExceptionNotFound(f"No reconciliation exception {exception_id}")
    return found


def _operations_only(actor: Actor, doing: str) -> None:
    if actor.role not in OPERATIONS_ROLES:
        raise e.OperationsOnly(
            f"Role {actor.role} may not {doing} a resolution: an admin or credit officer does"
        )


_snapshot = snapshot


def investigate(
    session: Session, exception_id: int, note: str, actor: Actor, now: datetime
) -> ReconException:
    exception = _exception(session, exception_id)
    if exception.state not in OPEN_STATES:
        raise e.ExceptionClosed(f"Exception {exception_id} is already {exception.state}")
    before = _snapshot(exception)
    exception.state, exception.note = ExceptionState.INVESTIGATING.value, _note(note)
    exception.updated_at = now
    session.flush()
    record(
        session,
        actor,
        "reconciliation.investigate",
        ("recon_exception", exception.id),
        now,
        before,
        {**_snapshot(exception), "note": exception.note},
    )
    return exception


def propose(
    session: Session, exception_id: int, proposal: Proposal, actor: Actor, now: datetime
) -> Resolution:
    """Record a proposal; an explanation is applied at once (it moves no money)."""
    _operations_only(actor, "propose")
    if proposal.request_key:
        earlier = session.scalar(
            select(Resolution).where(Resolution.request_key == proposal.request_key)
        )
        if earlier is not None:
            same = (earlier.exception_id, earlier.action, earlier.loan_id) == (
                exception_id,
                proposal.action,
                proposal.loan_id,
            )
            if not same:
                raise e.RequestKeyReused("This Idempotency-Key was used for another proposal")
            return earlier
    exception = _exception(session, exception_id)
    if exception.state not in OPEN_STATES:
        raise e.ExceptionClosed(f"Exception {exception_id} is already {exception.state}")
    if proposal.action not in ALLOWED.get(exception.kind, ()):
        raise e.ActionNotAllowed(f"{proposal.action} does not resolve a {exception.kind}")
    waiting = session.scalar(
        select(Resolution.id).where(
            Resolution.exception_id == exception.id,
            Resolution.status == ResolutionStatus.PROPOSED.value,
        )
    )
    if waiting is not None:
        raise e.ResolutionPending(f"Proposal {waiting} for this exception waits for a decision")
    if proposal.action == "assign_to_loan" and (
        proposal.loan_id is None or session.get(Loan, proposal.loan_id) is None
    ):
        raise e.ActionNotAllowed("assign_to_loan needs the id of an existing loan")
    explain = proposal.action == "explain"
    amount_minor = None if explain else abs(exception.difference_minor)
    note = _note(proposal.note)
    resolution = Resolution(
        exception_id=exception.id,
        approval_id=None,
        action=proposal.action,
        loan_id=proposal.loan_id,
        amount_minor=amount_minor,
        note=note,
        status=(ResolutionStatus.APPLIED if explain else ResolutionStatus.PROPOSED).value,
        proposed_by=actor.username,
        proposed_role=actor.role,
        proposed_at=now,
        request_key=proposal.request_key,
        outcome="Explained; no money moved" if explain else None,
    )
    if not explain:
        resolution.approval_id = _request(session, resolution, actor, now)
    session.add(resolution)
    before = _snapshot(exception)
    exception.updated_at = now
    if explain:
        exception.state, exception.closed_at = ExceptionState.RESOLVED.value, now
    elif exception.state == ExceptionState.OPEN:
        exception.state = ExceptionState.INVESTIGATING.value
    session.flush()
    record(
        session,
        actor,
        f"reconciliation.{'explain' if explain else 'propose'}",
        ("recon_exception", exception.id),
        now,
        before,
        {
            **_snapshot(exception),
            "resolution_id": resolution.id,
            "action": resolution.action,
            "loan_id": resolution.loan_id,
            "amount_minor": resolution.amount_minor,
        },
    )
    return resolution


def _request(session: Session, resolution: Resolution, maker: Actor, now: datetime) -> int:
    """The proposal's four-eyes request (one pending per exception, in the engine too)."""
    asked = {
        "exception_id": resolution.exception_id,
        "action": resolution.action,
        "loan_id": resolution.loan_id,
        "amount_minor": resolution.amount_minor,
    }
    ask = engine.Ask(ResolutionHandler(), asked, resolution.note)
    submitted = engine.submit(session, Ledger(session, lambda: now), ask, maker, now)
    return submitted.approval.id


def _linked(session: Session, resolution: Resolution, now: datetime) -> int:
    """The request of a proposal; one made before migration 0017 or written past the API
    gets one now, in the name of its proposer."""
    if resolution.approval_id is None:
        _exception(session, resolution.exception_id)  # locked, as when proposing
        maker = Actor(resolution.proposed_by, resolution.proposed_role)
        resolution.approval_id = _request(session, resolution, maker, now)
        session.flush()
    return resolution.approval_id


def _pending(session: Session, resolution_id: int) -> Resolution:
    resolution = session.get(
        Resolution, resolution_id, with_for_update=True, populate_existing=True
    )
    if resolution is None:
        raise e.ResolutionNotFound(f"No resolution {resolution_id}")
    return resolution


def approve(
    session: Session,
    ledger: Ledger,
    blind_index: BlindIndex | None,
    resolution_id: int,
    actor: Actor,
    now: datetime,
) -> Resolution:
    """Approve another person's proposal through the engine. Re-checks first; a refusal
    leaves the books as they were and marks the proposal failed with the reason; a proposal
    past its time is marked expired."""
    _operations_only(actor, "approve")
    resolution = _pending(session, resolution_id)
    if resolution.status == ResolutionStatus.APPROVED and resolution.decided_by == actor.username:
        return resolution  # a retried approval
    if resolution.status != ResolutionStatus.PROPOSED:
        raise e.ResolutionNotPending(f"Resolution {resolution_id} is {resolution.status}")
    if resolution.proposed_by == actor.username:
        raise e.SameChecker("Another staff member must approve this resolution")
    if resolution.proposed_role not in OPERATIONS_ROLES:
        raise e.OperationsOnly(
            f"Resolution {resolution_id} was proposed by {resolution.proposed_by} "
            f"({resolution.proposed_role}): reject it, and have an admin or credit officer "
            "propose it if it stands"
        )
    exception = _exception(session, resolution.exception_id)
    before = _snapshot(exception)
    handlers = {ResolutionHandler.kind.value: ResolutionHandler(blind_index)}
    approval_id = _linked(session, resolution, now)
    engine.approve(session, ledger, handlers, approval_id, actor, now)
    session.refresh(resolution)
    session.refresh(exception)
    record(
        session,
        actor,
        "reconciliation.approve",
        ("recon_exception", exception.id),
        now,
        before,
        {
            **_snapshot(exception),
            "resolution_id": resolution.id,
            "status": resolution.status,
            "entry_id": resolution.entry_id,
            "outcome": resolution.outcome,
        },
    )
    return resolution


def reject(
    session: Session, resolution_id: int, note: str, actor: Actor, now: datetime
) -> Resolution:
    """Turn a proposal down (its proposer's own rejection withdraws it)."""
    _operations_only(actor, "reject")
    resolution = _pending(session, resolution_id)
    if resolution.status != ResolutionStatus.PROPOSED:
        raise e.ResolutionNotPending(f"Resolution {resolution_id} is {resolution.status}")
    exception = _exception(session, resolution.exception_id)
    note = _note(note)
    approval_id = _linked(session, resolution, now)
    if resolution.proposed_by == actor.username:
        engine.withdraw(session, approval_id, actor, now, note)
    else:
        engine.reject(session, approval_id, actor, note, now)
    session.refresh(resolution)
    resolution.outcome = note  # the decider's words, as before the engine
    exception.updated_at = now
    session.flush()
    record(
        session,
        actor,
        f"reconciliation.{resolution.status}",
        ("recon_exception", exception.id),
        now,
        None,
        {"resolution_id": resolution.id, "status": resolution.status, "note": resolution.outcome},
    )
    return resolution
