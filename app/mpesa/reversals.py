"""Sending a mistaken collection back to its payer, under four eyes.

Only money in suspense (an unmatched receipt, still open) can be reversed here: a payment
already applied to a loan would first have to be taken off the loan.

1. ``request_reversal`` (staff member A) records the request: a four-eyes request of kind
   ``collection_reversal`` in the one engine (``app.approvals``; ``reversal_kind.py``).
2. ``approve_reversal`` (an administrator B, never A, before the request expires) decides it
   through the engine, which holds the amount: Dr suspense / Cr float, pending, so the same
   money cannot also be assigned to a loan while it travels.
3. ``submit_reversal`` (worker) asks the provider OUTSIDE any transaction, after a recovery
   point; ``record_reversal_result`` (callback or query) posts the hold and closes the
   receipt, or voids it and leaves the receipt open. A provider reverses a payment at most
   once ("already reversed" is a success), so asking again is safe: that is how a lost
   result is recovered.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.approvals import engine as approvals
from app.approvals.errors import SameChecker
from app.audit.log import Actor
from app.clock import Clock
from app.db.session import Sessions
from app.errors import DomainError
from app.mpesa.models import (
    REVERSAL_ACTIVE,
    CollectionReversal,
    ReceiptStatus,
    ReversalStatus,
    UnmatchedReceipt,
)
from app.mpesa.reversal_kind import (
    COLLECTION_REVERSAL,
    ReceiptNotFound,
    ReceiptNotOpen,
    ReversalNotFound,
)
from app.ports import Ports
from app.tasks import refs
from app.tasks.sweeps import RowFailures
from integrations.payments.port import ReversalOrder, ReversalOutcome, Submission
from ledger import Ledger

_UNDER_WAY = (ReversalStatus.APPROVED.value, ReversalStatus.SUBMITTED.value)
RESULT_GRACE = timedelta(minutes=2)
MAX_QUERIES = 20
SWEEP_BATCH = 100
REMARKS = "Mistaken payment returned"


class ReversalNotPending(DomainError, code="reversal_not_pending", http_status=409):
    """Already decided, or another reversal of the receipt is under way."""


SameApprover = SameChecker
"""The one who asked for a reversal cannot approve it: the engine's rule (``four_eyes``)."""


class InvalidReason(DomainError, code="invalid_reason"): ...


def request_reversal(
    session: Session, receipt: str, reason: str, requested_by: Actor, now: datetime
) -> CollectionReversal:
    reason = reason.strip()
    if not 3 <= len(reason) <= 200:
        raise InvalidReason("Give a reason of 3 to 200 characters")
    unmatched = session.scalar(
        select(UnmatchedReceipt).where(UnmatchedReceipt.receipt == receipt).with_for_update()
    )
    if unmatched is None:
        raise ReceiptNotFound(f"No unmatched payment with receipt {receipt}")
    if unmatched.status != ReceiptStatus.OPEN:
        raise ReceiptNotOpen(f"Receipt {receipt} is already resolved")
    if _active(session, receipt, now) is not None:
        raise ReversalNotPending(f"A reversal of {receipt} is already under way")
    try:
        ask = approvals.Ask(COLLECTION_REVERSAL, {"receipt": receipt}, reason)
        submitted = approvals.submit(session, Ledger(session, lambda: now), ask, requested_by, now)
    except approvals.PendingRequestExists:
        raise ReversalNotPending(f"A reversal of {receipt} is already under way") from None
    reversal = CollectionReversal(
        approval_id=submitted.approval.id,
        receipt=receipt,
        amount_minor=unmatched.amount_minor,
        reason=reason,
        status=ReversalStatus.REQUESTED.value,
        requested_by=requested_by.username,
        requested_at=now,
        attempts=0,
    )
    session.add(reversal)
    session.flush()
    return reversal


def approve_reversal(
    session: Session, ledger: Ledger, reversal_id: int, approver: Actor, now: datetime
) -> CollectionReversal:
    """Decide through the engine; the approval holds the money. If the request expired or
    the receipt moved on meanwhile, the reversal is closed (``expired`` or ``failed``) and
    nothing is held: the caller commits that, then answers 409."""
    reversal = _pending(session, reversal_id)
    if reversal.requested_by == approver.username:
        raise SameApprover("Another staff member must approve this reversal")
    approvals.approve(session, ledger, None, _linked(session, reversal), approver, now)
    session.refresh(reversal)
    return reversal


def reject_reversal(
    session: Session, reversal_id: int, decider: Actor, now: datetime
) -> CollectionReversal:
    """Turn a request down (the requester may withdraw their own)."""
    reversal = _pending(session, reversal_id)
    approval_id = _linked(session, reversal)
    if decider.username == reversal.requested_by:
        approvals.withdraw(session, approval_id, decider, now)
    else:
        approvals.reject(session, approval_id, decider, None, now)
    session.refresh(reversal)
    return reversal


def submit_reversal(
    sessions: Sessions,
    ports: Ports,
    clock: Clock,
    reversal_id: int,
    grace: timedelta = RESULT_GRACE,
) -> str:
    with sessions.unit_of_work() as session:
        reversal = session.get(CollectionReversal, reversal_id, with_for_update=True)
        if reversal is None or reversal.status != ReversalStatus.APPROVED:
            return "not_approved"
        reversal.attempts += 1  # recovery point: from here on it may have left
        order = _order(reversal)
    answer = ports.payments.request_reversal(order)  # no transaction open here
    with sessions.unit_of_work() as session:
        reversal = session.get(
            CollectionReversal, reversal_id, with_for_update=True, populate_existing=True
        )
        assert reversal is not None
        if reversal.status != ReversalStatus.APPROVED:
            return reversal.status  # the result beat the answer
        now = clock()
        if answer.submission is Submission.REJECTED:
            code, reason = answer.code or "rejected", answer.reason or ""
            _failed(Ledger(session, clock), reversal, now, code, reason)
        else:
            reversal.status = ReversalStatus.SUBMITTED.value
            reversal.provider_ref = answer.provider_ref
            reversal.next_check_at = now + grace
        return reversal.status


def record_reversal_result(
    session: Session, ledger: Ledger, outcome: ReversalOutcome, now: datetime
) -> CollectionReversal | None:
    """Apply the provider's final word once; None when no open reversal matches."""
    keys = []
    if outcome.receipt:
        keys.append(CollectionReversal.receipt == outcome.receipt)
    if outcome.provider_ref:
        keys.append(CollectionReversal.provider_ref == outcome.provider_ref)
    if not keys:
        return None
    reversal = session.scalar(
        select(CollectionReversal)
        .where(
            or_(*keys),
            CollectionReversal.status.in_(_UNDER_WAY),
        )
        .with_for_update()
    )
    if reversal is None:
        return None
    if not outcome.succeeded:
        _failed(ledger, reversal, now, outcome.code, outcome.reason)
        return reversal
    assert reversal.hold_entry_id is not None
    ledger.post_hold(
        reversal.hold_entry_id,
        f"reversal:{reversal.id}:post",
        description=f"Receipt {reversal.receipt} returned, {outcome.reversal_receipt or '-'}",
        effective_at=outcome.completed_at or now,
    )
    reversal.status = ReversalStatus.SUCCEEDED.value
    reversal.result_code = outcome.code[:32]
    reversal.result_desc = outcome.reason[:200]
    reversal.reversal_receipt = outcome.reversal_receipt
    reversal.resolved_at, reversal.next_check_at = now, None
    unmatched = session.scalar(
        select(UnmatchedReceipt).where(UnmatchedReceipt.receipt == reversal.receipt)
    )
    assert unmatched is not None
    unmatched.status = ReceiptStatus.RESOLVED.value
    session.flush()
    return reversal


def sweep_reversals(
    sessions: Sessions,
    ports: Ports,
    clock: Clock,
    grace: timedelta = RESULT_GRACE,
    limit: int = SWEEP_BATCH,
) -> int:
    """Send approved reversals; for those whose result is late, ask the provider, or when it
    cannot say, send the request again (answered "already reversed" if the first went)."""
    with sessions.reader() as session:
        due = session.execute(
            select(CollectionReversal.id, CollectionReversal.status)
            .where(
                CollectionReversal.status.in_(_UNDER_WAY),
                CollectionReversal.next_check_at <= clock(),
            )
            .order_by(CollectionReversal.next_check_at)
            .limit(limit)
        ).all()
    failures = RowFailures(refs.SWEEP_REVERSALS.name)
    for reversal_id, status in due:
        with failures.row(reversal_id):
            if status == ReversalStatus.APPROVED:
                submit_reversal(sessions, ports, clock, reversal_id, grace)
            else:
                _chase_submitted(sessions, ports, clock, grace, reversal_id)
    failures.raise_if_any()
    return len(due)


def _chase_submitted(
    sessions: Sessions, ports: Ports, clock: Clock, grace: timedelta, reversal_id: int
) -> None:
    with sessions.reader() as session:
        found = session.get(CollectionReversal, reversal_id)
        assert found is not None
        order = _order(found)
    outcome = ports.payments.query_reversal(order)
    answer = None if outcome is not None else ports.payments.request_reversal(order)
    with sessions.unit_of_work() as session:
        if outcome is not None:
            record_reversal_result(session, Ledger(session, clock), outcome, clock())
            return
        reversal = session.get(CollectionReversal, reversal_id, with_for_update=True)
        if reversal is None or reversal.status != ReversalStatus.SUBMITTED:
            return
        assert answer is not None
        if answer.provider_ref:  # the repeat's result comes under its own id
            reversal.provider_ref = answer.provider_ref
        reversal.attempts += 1
        delay = min(grace * 2 ** min(reversal.attempts, 5), timedelta(hours=1))
        reversal.next_check_at = None if reversal.attempts >= MAX_QUERIES else clock() + delay


def _order(reversal: CollectionReversal) -> ReversalOrder:
    return ReversalOrder(reversal.receipt, reversal.amount_minor, REMARKS)


def _active(session: Session, receipt: str, now: datetime) -> CollectionReversal | None:
    active = session.scalar(
        select(CollectionReversal).where(
            CollectionReversal.receipt == receipt, CollectionReversal.status.in_(REVERSAL_ACTIVE)
        )
    )
    if active is not None and active.status == ReversalStatus.REQUESTED:
        # a request past its time no longer blocks a new one: close it as expired first
        approvals.expire_if_due(session, _linked(session, active), now)
        session.refresh(active)
        return None if active.status == ReversalStatus.EXPIRED else active
    return active


def _linked(session: Session, reversal: CollectionReversal) -> int:
    """The reversal's request (every requested reversal has one since migration 0017)."""
    if reversal.approval_id is None:
        raise ReversalNotPending(f"Reversal {reversal.id} has no four-eyes request")
    return reversal.approval_id


def _pending(session: Session, reversal_id: int) -> CollectionReversal:
    reversal = session.get(
        CollectionReversal, reversal_id, with_for_update=True, populate_existing=True
    )
    if reversal is None:
        raise ReversalNotFound(f"No reversal {reversal_id}")
    if reversal.status != ReversalStatus.REQUESTED:
        raise ReversalNotPending(f"Reversal {reversal_id} is already {reversal.status}")
    return reversal


def _failed(
    ledger: Ledger, reversal: CollectionReversal, now: datetime, code: str, reason: str
) -> None:
    assert reversal.hold_entry_id is not None
    ledger.void_hold(
        reversal.hold_entry_id,
        f"reversal:{reversal.id}:void",
        description=f"Reversal of {reversal.receipt} failed: {code}",
    )
    reversal.status = ReversalStatus.FAILED.value
    reversal.result_code = code[:32]
    reversal.result_desc = reason[:200]
    reversal.resolved_at, reversal.next_check_at = now, None
