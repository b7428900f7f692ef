"""The four-eyes engine: one lifecycle for every kind of change that needs a maker and a
different checker (or several: k of the eligible deciders).

1. ``submit`` (the maker): the kind's handler validates the change against the current
   state and records what the maker saw; the request is stored pending with the kind's
   policy (``approvals_needed``, ``expires_at``) and audited.
2. ``decide`` (a checker, never the maker; ``approve`` and ``reject`` are its two verdicts):
   one ``approval_decisions`` row per decider. A rejection closes the request at once. An
   approval closes it once ``approvals_needed`` deciders approved: in one transaction the
   handler validates the request again against the state *now* (the loan may have been
   repaid, the product changed) and applies it. If it no longer holds, nothing is applied,
   the request is closed as ``failed`` with the reason, and the caller answers 409.
   ``withdraw`` (the maker) closes it without applying anything.
3. Expiry: a request not decided by ``expires_at`` is closed as ``expired`` when someone
   next touches it (a decision, a withdrawal, a new request for the same subject) and by the
   sweep ``expire_due``. The database refuses a decision made at or after ``expires_at``.

Every submission, decision and closing writes an audit record in the same transaction. The
database refuses a decider equal to the maker, two decisions by one decider, a decision on a
closed or expired request, an approval without enough approving decisions, a second pending
request for the same subject, and any change to a decided request (``app.approvals.ddl``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.approvals.errors import (
    AlreadyDecided,
    ApprovalExpired,
    ApprovalFailed,
    ApprovalNotFound,
    ApprovalNotPending,
    NotEligible,
    NotTheMaker,
    PendingRequestExists,
    RequestKeyReused,
    SameChecker,
)
from app.approvals.kinds import ApprovalHandler, Approved, KindRules, handler_for
from app.approvals.models import (
    ApprovalDecision,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    Verdict,
)
from app.audit.log import Actor, record
from app.errors import DomainError
from ledger import Ledger, LedgerError

__all__ = [
    "AlreadyDecided",
    "ApprovalExpired",
    "ApprovalFailed",
    "ApprovalHandler",
    "ApprovalNotFound",
    "ApprovalNotPending",
    "Decision",
    "KindRules",
    "NotEligible",
    "NotTheMaker",
    "PendingRequestExists",
    "RequestKeyReused",
    "SameChecker",
    "Submitted",
    "approve",
    "decide",
    "expire_due",
    "expire_if_due",
    "reject",
    "submit",
    "supersede",
    "withdraw",
]

NOTE_CHARS = 300
EXPIRY_BATCH = 200
Handlers = Mapping[str, ApprovalHandler]


@dataclass(frozen=True, slots=True)
class Submitted:
    approval: ApprovalRequest
    created: bool
    """False when an Idempotency-Key replay returned the earlier request."""


@dataclass(frozen=True, slots=True)
class Ask:
    """What a maker asks for: a change of ``handler``'s kind, its input and the reason;
    ``request_key`` (an Idempotency-Key) makes a resend return the first request."""

    handler: ApprovalHandler
    asked: Mapping[str, Any]
    reason: str
    request_key: str | None = None


@dataclass(frozen=True, slots=True)
class Ruling:
    """One decider's verdict on a request, with an optional note (a rejection's reason)."""

    decider: Actor
    verdict: Verdict
    note: str | None = None


def submit(session: Session, ledger: Ledger, ask: Ask, maker: Actor, now: datetime) -> Submitted:
    handler, asked, reason, request_key = ask.handler, ask.asked, ask.reason, ask.request_key
    if request_key is not None:
        earlier = _replay(session, handler.kind, asked, reason, maker, request_key)
        if earlier is not None:
            return Submitted(earlier, created=False)
    payload = handler.prepare(session, ledger, asked)
    subject_type, subject_id = handler.subject(payload)
    _expire_stale(session, handler, subject_type, subject_id, now)
    before = handler.check(session, ledger, payload)
    approval = ApprovalRequest(
        kind=handler.kind.value,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=payload,
        reason=reason,
        maker=maker.username,
        maker_role=maker.role,
        request_key=request_key,
        status=ApprovalStatus.PENDING.value,
        approvals_needed=handler.policy.approvals_needed,
        expires_at=now + handler.policy.expires_after,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(approval)
            session.flush()
    except IntegrityError:  # the partial unique index: a pending request for this subject
        raise PendingRequestExists(
            f"A {handler.kind.value} request for {subject_type} {subject_id} is already "
            "pending: approve, reject or withdraw it first"
        ) from None
    record(
        session,
        maker,
        "approval.request",
        ("approval", approval.id),
        now,
        before=before,
        after={
            "kind": handler.kind.value,
            "payload": payload,
            "reason": reason,
            "approvals_needed": approval.approvals_needed,
            "expires_at": approval.expires_at,
        },
    )
    return Submitted(approval, created=True)


@dataclass(frozen=True, slots=True)
class Decision:
    approval: ApprovalRequest
    failure: DomainError | LedgerError | None = field(default=None)
    """Why an approval applied nothing: the state moved (the request is now failed) or
    the request had expired (now expired). The caller commits, then answers 409."""

    @property
    def applied(self) -> bool:
        return self.approval.status == ApprovalStatus.APPROVED


def decide(
    session: Session,
    ledger: Ledger | None,
    handlers: Handlers | None,
    approval_id: int,
    ruling: Ruling,
    now: datetime,
) -> Decision:
    """One decider's verdict: the one way any request of any kind is decided."""
    decider, verdict, note = ruling.decider, ruling.verdict, ruling.note
    approval = _pending(session, approval_id)
    handler = handler_for(approval.kind, handlers)
    if now >= approval.expires_at:
        _expire(session, approval, handler, now)
        return Decision(approval, ApprovalExpired(f"Approval request {approval_id} expired"))
    if approval.maker == decider.username:
        raise SameChecker(
            "Another staff member must approve this request"
            if verdict == Verdict.APPROVE
            else "You cannot reject your own request: withdraw it instead"
        )
    refused = handler.eligible(session, approval, decider)
    if refused is not None:
        raise NotEligible(refused)
    if decider.username in {d.decider for d in _decisions(session, approval)}:
        raise AlreadyDecided(f"You have already decided approval request {approval_id}")
    session.add(
        ApprovalDecision(
            request_id=approval.id,
            decider=decider.username,
            decider_role=decider.role,
            verdict=verdict.value,
            note=note[:NOTE_CHARS] if note else None,
            decided_at=now,
        )
    )
    session.flush()
    session.expire(approval, ["decisions"])  # read again with this decision
    if verdict == Verdict.REJECT:
        return _rejected(session, approval, handler, decider, note, now)
    approvals = _approvals(session, approval)
    if approvals < approval.approvals_needed:
        record(
            session,
            decider,
            "approval.decide",
            ("approval", approval.id),
            now,
            before={"status": approval.status},
            after={
                "verdict": verdict.value,
                "approvals": approvals,
                "needed": approval.approvals_needed,
            },
        )
        return Decision(approval)
    assert ledger is not None, "an approval that completes a request applies it: give a ledger"
    return _apply(session, ledger, approval, handler, decider, now)


def approve(
    session: Session,
    ledger: Ledger,
    handlers: Handlers | None,
    approval_id: int,
    checker: Actor,
    now: datetime,
) -> Decision:
    """Approve; the last approval needed re-validates and applies (or closes as failed)."""
    return decide(session, ledger, handlers, approval_id, Ruling(checker, Verdict.APPROVE), now)


def reject(
    session: Session,
    approval_id: int,
    checker: Actor,
    note: str | None,
    now: datetime,
    handlers: Handlers | None = None,
) -> ApprovalRequest:
    """Reject (any one rejection rejects). An expired request is closed as expired instead."""
    # A rejection applies nothing, so it needs no ledger.
    ruling = Ruling(checker, Verdict.REJECT, note)
    return decide(session, None, handlers, approval_id, ruling, now).approval


def withdraw(
    session: Session,
    approval_id: int,
    maker: Actor,
    now: datetime,
    note: str | None = None,
    handlers: Handlers | None = None,
) -> ApprovalRequest:
    """The maker takes their pending request back (an expired one is closed as expired)."""
    approval = _pending(session, approval_id)
    handler = handler_for(approval.kind, handlers)
    if approval.maker != maker.username:
        raise NotTheMaker("Only the maker of a request may withdraw it")
    if now >= approval.expires_at:
        _expire(session, approval, handler, now)
        return approval
    _close(approval, ApprovalStatus.WITHDRAWN, None, now, note)
    handler.closed(session, approval, now)
    session.flush()
    _record_closing(session, maker, "approval.withdraw", approval, now)
    return approval


SYSTEM = Actor("system", "system")
"""Who expires or supersedes a request: nobody decided it."""


def supersede(
    session: Session, approval_id: int, note: str, now: datetime, handlers: Handlers | None = None
) -> ApprovalRequest | None:
    """Close a pending request whose subject was settled another way (e.g. a reconciliation
    exception the next run matched): withdrawn by the system, nothing applied. None if it
    was no longer pending."""
    approval = session.get(
        ApprovalRequest, approval_id, with_for_update=True, populate_existing=True
    )
    if approval is None or approval.status != ApprovalStatus.PENDING:
        return None
    _close(approval, ApprovalStatus.WITHDRAWN, None, now, note)
    handler_for(approval.kind, handlers).closed(session, approval, now)
    session.flush()
    _record_closing(
        session, SYSTEM, "approval.withdraw", approval, now, note=approval.decision_note
    )
    return approval


def expire_due(
    session: Session, now: datetime, handlers: Handlers | None = None, limit: int = EXPIRY_BATCH
) -> int:
    """The sweep: close pending requests whose time is up (oldest first, ``limit`` at most)."""
    due = session.scalars(
        select(ApprovalRequest.id)
        .where(
            ApprovalRequest.status == ApprovalStatus.PENDING.value,
            ApprovalRequest.expires_at <= now,
        )
        .order_by(ApprovalRequest.expires_at, ApprovalRequest.id)
        .limit(limit)
    ).all()
    expired = 0
    for approval_id in due:
        approval = session.get(
            ApprovalRequest, approval_id, with_for_update=True, populate_existing=True
        )
        if approval is None or approval.status != ApprovalStatus.PENDING:
            continue  # decided meanwhile
        _expire(session, approval, handler_for(approval.kind, handlers), now)
        expired += 1
    return expired


def expire_if_due(
    session: Session, approval_id: int, now: datetime, handlers: Handlers | None = None
) -> bool:
    """Close one pending request as expired if its time is up; True if it is closed so."""
    approval = session.get(
        ApprovalRequest, approval_id, with_for_update=True, populate_existing=True
    )
    if approval is None or approval.status != ApprovalStatus.PENDING:
        return False
    if now < approval.expires_at:
        return False
    _expire(session, approval, handler_for(approval.kind, handlers), now)
    return True


def _apply(
    session: Session,
    ledger: Ledger,
    approval: ApprovalRequest,
    handler: ApprovalHandler,
    checker: Actor,
    now: datetime,
) -> Decision:
    """Re-validate and apply; on a broken rule, close the request as failed instead."""
    try:
        with session.begin_nested():  # a failed apply leaves nothing behind
            before = handler.check(session, ledger, approval.payload)
            after = handler.apply(Approved(session, ledger, approval, checker, now))
    except (DomainError, LedgerError) as exc:
        _close(approval, ApprovalStatus.FAILED, checker.username, now, _why(exc))
        handler.closed(session, approval, now)
        session.flush()
        _record_closing(
            session, checker, "approval.fail", approval, now, why=approval.decision_note
        )
        return Decision(approval, exc)
    _close(approval, ApprovalStatus.APPROVED, checker.username, now, None)
    approval.result = after
    session.flush()
    _record_closing(
        session,
        checker,
        "approval.approve",
        approval,
        now,
        maker=approval.maker,
        approvers=[d.decider for d in _decisions(session, approval)],
    )
    record(
        session,
        checker,
        handler.effect,
        (approval.subject_type, approval.subject_id),
        now,
        before=before,
        after={**after, "approval_id": approval.id, "maker": approval.maker},
    )
    return Decision(approval)


def _rejected(
    session: Session,
    approval: ApprovalRequest,
    handler: ApprovalHandler,
    checker: Actor,
    note: str | None,
    now: datetime,
) -> Decision:
    _close(approval, ApprovalStatus.REJECTED, checker.username, now, note)
    handler.closed(session, approval, now)
    session.flush()
    _record_closing(session, checker, "approval.reject", approval, now, note=note)
    return Decision(approval)


def _expire(
    session: Session, approval: ApprovalRequest, handler: ApprovalHandler, now: datetime
) -> None:
    _close(approval, ApprovalStatus.EXPIRED, None, now, "Not decided in time")
    handler.closed(session, approval, now)
    session.flush()
    _record_closing(
        session, SYSTEM, "approval.expire", approval, now, expires_at=approval.expires_at
    )


def _expire_stale(
    session: Session, handler: ApprovalHandler, subject_type: str, subject_id: str, now: datetime
) -> None:
    """A pending request for the same subject whose time is up no longer blocks a new one."""
    stale = session.scalar(
        select(ApprovalRequest)
        .where(
            ApprovalRequest.kind == handler.kind.value,
            ApprovalRequest.subject_type == subject_type,
            ApprovalRequest.subject_id == subject_id,
            ApprovalRequest.status == ApprovalStatus.PENDING.value,
            ApprovalRequest.expires_at <= now,
        )
        .with_for_update()
    )
    if stale is not None:
        _expire(session, stale, handler, now)


def _pending(session: Session, approval_id: int) -> ApprovalRequest:
    # The row lock makes two checkers deciding at once take turns: the second sees the
    # first's decision (or a decided request) instead of applying the change a second time.
    approval = session.get(
        ApprovalRequest, approval_id, with_for_update=True, populate_existing=True
    )
    if approval is None:
        raise ApprovalNotFound(f"No approval request {approval_id}")
    if approval.status != ApprovalStatus.PENDING:
        raise ApprovalNotPending(f"Approval request {approval_id} is already {approval.status}")
    return approval


def _decisions(session: Session, approval: ApprovalRequest) -> list[ApprovalDecision]:
    return list(
        session.scalars(
            select(ApprovalDecision)
            .where(ApprovalDecision.request_id == approval.id)
            .order_by(ApprovalDecision.id)
        )
    )


def _approvals(session: Session, approval: ApprovalRequest) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                ApprovalDecision.request_id == approval.id,
                ApprovalDecision.verdict == Verdict.APPROVE.value,
            )
        )
        or 0
    )


def _close(
    approval: ApprovalRequest,
    status: ApprovalStatus,
    checker: str | None,
    now: datetime,
    note: str | None,
) -> None:
    approval.status, approval.checker, approval.decided_at = status.value, checker, now
    approval.decision_note = note[:NOTE_CHARS] if note else None


def _why(exc: DomainError | LedgerError) -> str:
    return f"{exc.code}: {exc.detail}"


def _replay(
    session: Session,
    kind: ApprovalKind,
    asked: Mapping[str, Any],
    reason: str,
    maker: Actor,
    request_key: str,
) -> ApprovalRequest | None:
    """The earlier request made with this key, if it asked for the same thing."""
    earlier = session.scalar(
        select(ApprovalRequest).where(ApprovalRequest.request_key == request_key)
    )
    if earlier is None:
        return None
    same = (earlier.kind, earlier.maker, earlier.reason) == (kind.value, maker.username, reason)
    # Handlers store the maker's input as given (plus what they saw), so it can be compared.
    if not same or any(earlier.payload.get(k) != v for k, v in asked.items()):
        raise RequestKeyReused("This Idempotency-Key was used for another request")
    return earlier


def _record_closing(
    session: Session,
    actor: Actor,
    action: str,
    approval: ApprovalRequest,
    now: datetime,
    **explained: Any,
) -> None:
    """Audit a pending request's move: from pending to its new status, its kind, and what
    explains the move (in the order given)."""
    record(
        session,
        actor,
        action,
        ("approval", approval.id),
        now,
        before={"status": ApprovalStatus.PENDING.value},
        after={"status": approval.status, "kind": approval.kind, **explained},
    )
