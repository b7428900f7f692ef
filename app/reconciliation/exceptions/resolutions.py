"""The exceptions workflow: investigate, propose a resolution, approve or reject it.

States of an exception: open -> investigating -> resolved | written_off. Anyone who reads
exceptions may investigate one; resolving it is operations work (``OPERATIONS_ROLES``: admins
and credit officers; auditors and support never, ``OperationsOnly`` here and a trigger in the
database, ``app.reconciliation.ddl``). An explanation (no money moves) resolves it at once, by
one person. Any other action is a proposal another person must approve (``SameChecker``
here, ``four_eyes`` in the database); the approval re-checks the exception against the ledger
as it is now, applies the action in a savepoint and either resolves the exception or records
why it failed (nothing applied). Every step is written to the audit log in the same
transaction, with the actor's role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, fund_accounts
from app.audit.log import Actor, record
from app.errors import DomainError
from app.lending.models import Loan
from app.reconciliation import actions
from app.reconciliation import errors as e
from app.reconciliation.exceptions.models import ReconException, Resolution
from app.reconciliation.exceptions.opening import OPEN_STATES
from app.reconciliation.matching.snapshot import receipt_net_minor
from app.security.fields import BlindIndex
from app.staff.models import OPERATIONS_ROLES
from ledger import Ledger, LedgerError

MIN_NOTE, MAX_NOTE = 3, 500
LEDGER_SINCE = datetime(2000, 1, 1, tzinfo=UTC)
"""Approvals re-read a receipt's whole history on the float account."""

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
LEDGER_CHECKED = ("missing_in_ledger", "missing_at_provider", "amount_mismatch", "duplicate")
"""Kinds whose ledger figure must not have moved between the finding and the approval."""


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


def _snapshot(exception: ReconException) -> dict[str, Any]:
    return {"state": exception.state, "kind": exception.kind, "receipt": exception.receipt}


def investigate(
    session: Session, exception_id: int, note: str, actor: Actor, now: datetime
) -> ReconException:
    exception = _exception(session, exception_id)
    if exception.state not in OPEN_STATES:
        raise e.ExceptionClosed(f"Exception {exception_id} is already {exception.state}")
    before = _snapshot(exception)
    exception.state, exception.note, exception.updated_at = "investigating", _note(note), now
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
            Resolution.exception_id == exception.id, Resolution.status == "proposed"
        )
    )
    if waiting is not None:
        raise e.ResolutionPending(f"Proposal {waiting} for this exception waits for a decision")
    if proposal.action == "assign_to_loan" and (
        proposal.loan_id is None or session.get(Loan, proposal.loan_id) is None
    ):
        raise e.ActionNotAllowed("assign_to_loan needs the id of an existing loan")
    explain = proposal.action == "explain"
    resolution = Resolution(
        exception_id=exception.id,
        action=proposal.action,
        loan_id=proposal.loan_id,
        amount_minor=None if explain else abs(exception.difference_minor),
        note=_note(proposal.note),
        status="applied" if explain else "proposed",
        proposed_by=actor.username,
        proposed_role=actor.role,
        proposed_at=now,
        request_key=proposal.request_key,
        outcome="Explained; no money moved" if explain else None,
    )
    session.add(resolution)
    before = _snapshot(exception)
    exception.updated_at = now
    if explain:
        exception.state, exception.closed_at = "resolved", now
    elif exception.state == "open":
        exception.state = "investigating"
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
    """Apply a proposal (another person's). Re-checks first; a refusal leaves the books as
    they were and marks the proposal failed with the reason."""
    _operations_only(actor, "approve")
    resolution = _pending(session, resolution_id)
    if resolution.status == "approved" and resolution.decided_by == actor.username:
        return resolution  # a retried approval
    if resolution.status != "proposed":
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
    resolution.decided_by, resolution.decided_at = actor.username, now
    resolution.decided_role = actor.role
    try:
        with session.begin_nested():
            _recheck(session, ledger, exception, now)
            entry_id = ACTIONS[resolution.action](
                actions.Approval(
                    session,
                    ledger,
                    blind_index,
                    exception,
                    resolution.id,
                    resolution.loan_id,
                    resolution.proposed_by,
                    actor.username,
                    now,
                )
            )
    except (DomainError, LedgerError) as exc:
        resolution.status, resolution.outcome = "failed", str(exc)[:300]
    else:
        resolution.status, resolution.entry_id = "approved", entry_id
        resolution.outcome = f"Applied: {resolution.action}"
        exception.state = "written_off" if resolution.action == "write_off" else "resolved"
        exception.closed_at = now
    exception.updated_at = now
    session.flush()
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


def _recheck(session: Session, ledger: Ledger, exception: ReconException, now: datetime) -> None:
    """The ledger's figure for the receipt must still be what the run saw."""
    if exception.state not in OPEN_STATES:
        raise e.ExceptionClosed(f"Exception {exception.id} is already {exception.state}")
    if exception.kind not in LEDGER_CHECKED or not exception.receipt:
        return
    net = receipt_net_minor(
        session,
        fund_accounts(ledger)[Acct.FLOAT],
        exception.receipt,
        exception.role or "main",
        LEDGER_SINCE,
        now + timedelta(days=1),
    )
    if net != (exception.ledger_minor or 0):
        raise e.ResolutionInvalid(
            "The ledger moved for this receipt since the reconciliation: run it again"
        )


def reject(
    session: Session, resolution_id: int, note: str, actor: Actor, now: datetime
) -> Resolution:
    """Turn a proposal down (its proposer may withdraw it instead)."""
    _operations_only(actor, "reject")
    resolution = _pending(session, resolution_id)
    if resolution.status != "proposed":
        raise e.ResolutionNotPending(f"Resolution {resolution_id} is {resolution.status}")
    exception = _exception(session, resolution.exception_id)
    own = resolution.proposed_by == actor.username
    resolution.status = "withdrawn" if own else "rejected"
    resolution.decided_by = None if own else actor.username
    resolution.decided_role = None if own else actor.role
    resolution.decided_at, resolution.outcome = now, _note(note)
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
