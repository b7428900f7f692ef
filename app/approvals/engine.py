"""The maker-checker engine: one lifecycle for every kind of change that needs two people.

1. ``submit`` (the maker): the kind's handler validates the change against the current
   state and records what the maker saw; the request is stored pending and audited.
2. ``approve`` (a checker, never the maker): in one transaction, the handler validates the
   request again against the state *now* (the loan may have been repaid, the borrower
   frozen, the product changed) and applies it. If it no longer holds, nothing is applied,
   the request is closed as ``failed`` with the reason, and the caller answers 409.
   ``reject`` (a checker) and ``withdraw`` (the maker) close it without applying anything.

Every transition writes an audit record in the same transaction. The database refuses a
checker equal to the maker, a second pending request for the same subject, and any change
to a decided request (``app.approvals.ddl``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.approvals.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from app.audit.log import Actor, record
from app.errors import DomainError
from ledger import Ledger, LedgerError

NOTE_CHARS = 300


class ApprovalNotFound(DomainError):
    code = "approval_not_found"
    http_status = 404


class ApprovalNotPending(DomainError):
    code = "approval_not_pending"
    http_status = 409


class SameChecker(DomainError):
    """The maker of a request cannot approve or reject it (four eyes)."""

    code = "four_eyes"
    http_status = 403


class NotTheMaker(DomainError):
    """Only the maker may withdraw their request."""

    code = "not_the_maker"
    http_status = 403


class PendingRequestExists(DomainError):
    """One pending request per subject: decide or withdraw it first."""

    code = "pending_request_exists"
    http_status = 409


class RequestKeyReused(DomainError):
    """The Idempotency-Key was used for a different request."""

    code = "idempotency_conflict"
    http_status = 409


class ApprovalFailed(DomainError):
    """Re-validated on approval, the request no longer holds: closed as failed."""

    code = "approval_failed"
    http_status = 409


class ApprovalHandler(Protocol):
    """What one kind of request needs: its subject, its checks, its effect."""

    kind: ApprovalKind
    effect: str
    """Audit action of the applied change, e.g. ``loan.write_off``."""

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        """The payload to store: the maker's input plus what they saw (versions, limits)."""
        ...

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]: ...

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Validate against the current state (locking what ``apply`` changes); raise a
        ``DomainError`` if it does not hold. Returns the state it would replace."""
        ...

    def apply(
        self,
        session: Session,
        ledger: Ledger,
        approval: ApprovalRequest,
        checker: Actor,
        now: datetime,
    ) -> dict[str, Any]:
        """Make the change (right after ``check``); returns the state after it."""
        ...


@dataclass(frozen=True, slots=True)
class Submitted:
    approval: ApprovalRequest
    created: bool
    """False when an Idempotency-Key replay returned the earlier request."""


def submit(
    session: Session,
    ledger: Ledger,
    handler: ApprovalHandler,
    asked: Mapping[str, Any],
    reason: str,
    maker: Actor,
    now: datetime,
    request_key: str | None = None,
) -> Submitted:
    if request_key is not None:
        earlier = _replay(session, handler.kind, asked, reason, maker, request_key)
        if earlier is not None:
            return Submitted(earlier, created=False)
    payload = handler.prepare(session, ledger, asked)
    subject_type, subject_id = handler.subject(payload)
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
        after={"kind": handler.kind.value, "payload": payload, "reason": reason},
    )
    return Submitted(approval, created=True)


@dataclass(frozen=True, slots=True)
class Decision:
    approval: ApprovalRequest
    failure: DomainError | LedgerError | None = field(default=None)


def approve(
    session: Session,
    ledger: Ledger,
    handlers: Mapping[str, ApprovalHandler],
    approval_id: int,
    checker: Actor,
    now: datetime,
) -> Decision:
    """Re-validate and apply; on a broken rule, close the request as failed instead.

    The caller commits either way, then answers 409 when ``failure`` is set.
    """
    approval = _pending(session, approval_id)
    if approval.maker == checker.username:
        raise SameChecker("Another staff member must approve this request")
    handler = handlers[approval.kind]
    try:
        with session.begin_nested():  # a failed apply leaves nothing behind
            before = handler.check(session, ledger, approval.payload)
            after = handler.apply(session, ledger, approval, checker, now)
    except (DomainError, LedgerError) as exc:
        _close(approval, ApprovalStatus.FAILED, checker.username, now, _why(exc))
        record(
            session,
            checker,
            "approval.fail",
            ("approval", approval.id),
            now,
            before={"status": ApprovalStatus.PENDING.value},
            after={"status": approval.status, "kind": approval.kind, "why": approval.decision_note},
        )
        return Decision(approval, exc)
    _close(approval, ApprovalStatus.APPROVED, checker.username, now, None)
    approval.result = after
    session.flush()
    record(
        session,
        checker,
        "approval.approve",
        ("approval", approval.id),
        now,
        before={"status": ApprovalStatus.PENDING.value},
        after={"status": approval.status, "kind": approval.kind, "maker": approval.maker},
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


def reject(
    session: Session, approval_id: int, checker: Actor, note: str, now: datetime
) -> ApprovalRequest:
    approval = _pending(session, approval_id)
    if approval.maker == checker.username:
        raise SameChecker("You cannot reject your own request: withdraw it instead")
    _close(approval, ApprovalStatus.REJECTED, checker.username, now, note)
    record(
        session,
        checker,
        "approval.reject",
        ("approval", approval.id),
        now,
        before={"status": ApprovalStatus.PENDING.value},
        after={"status": approval.status, "kind": approval.kind, "note": note},
    )
    return approval


def withdraw(session: Session, approval_id: int, maker: Actor, now: datetime) -> ApprovalRequest:
    approval = _pending(session, approval_id)
    if approval.maker != maker.username:
        raise NotTheMaker("Only the maker of a request may withdraw it")
    _close(approval, ApprovalStatus.WITHDRAWN, None, now, None)
    record(
        session,
        maker,
        "approval.withdraw",
        ("approval", approval.id),
        now,
        before={"status": ApprovalStatus.PENDING.value},
        after={"status": approval.status, "kind": approval.kind},
    )
    return approval


def _pending(session: Session, approval_id: int) -> ApprovalRequest:
    # The row lock makes two checkers deciding at once take turns: the second sees a
    # decided request instead of applying the change a second time.
    approval = session.get(
        ApprovalRequest, approval_id, with_for_update=True, populate_existing=True
    )
    if approval is None:
        raise ApprovalNotFound(f"No approval request {approval_id}")
    if approval.status != ApprovalStatus.PENDING:
        raise ApprovalNotPending(f"Approval request {approval_id} is already {approval.status}")
    return approval


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
