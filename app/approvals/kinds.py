"""What a kind of four-eyes request declares, and the registry the engine finds kinds in.

A kind (``ApprovalHandler``) lives beside the change it makes, in its own domain, and says:
its subject, how to validate and apply the change, and its ``DecisionPolicy``: how many
approvals it needs (default 1; any one rejection rejects), which roles may decide (or a
finer ``eligible`` rule, e.g. the members of a group), and how long a request waits before
it expires. ``KindRules`` gives every kind the defaults; ``closed`` lets a kind mirror a
decision onto its own table (a reconciliation resolution, a reversal).

The registry is filled at bootstrap (``app.bootstrap.wire_domains``) because the domains
that define kinds sit above this package; callers may also pass handlers explicitly (the
reconciliation routes pass one carrying the request's blind index).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from app.approvals.errors import UnknownKind
from app.approvals.models import ApprovalKind, ApprovalRequest
from app.audit.log import Actor
from ledger import Ledger

DEFAULT_EXPIRY = timedelta(days=7)
MAX_APPROVALS = 20
"""The database's bound on ``approvals_needed``."""


@dataclass(frozen=True, slots=True)
class DecisionPolicy:
    approvals_needed: int = 1
    """How many different deciders must approve; one rejection rejects."""
    decider_roles: frozenset[str] | None = None
    """Roles that may decide; None: whoever the route lets in (it checks roles already)."""
    expires_after: timedelta = DEFAULT_EXPIRY
    """How long a request waits for its decisions before it expires."""

    def __post_init__(self) -> None:
        if not 1 <= self.approvals_needed <= MAX_APPROVALS:
            raise ValueError(f"approvals_needed must be 1 to {MAX_APPROVALS}")
        if self.expires_after <= timedelta(0):
            raise ValueError("expires_after must be positive")


@dataclass(frozen=True, slots=True)
class Approved:
    """A request just approved, as its kind's ``apply`` receives it: in the checker's
    transaction, with the ledger, the request, who approved it and when."""

    session: Session
    ledger: Ledger
    approval: ApprovalRequest
    checker: Actor
    now: datetime

    def parts(self) -> tuple[Session, Ledger, ApprovalRequest, Actor, datetime]:
        return self.session, self.ledger, self.approval, self.checker, self.now


class ApprovalHandler(Protocol):
    """What one kind of request needs: its subject, its checks, its effect, its policy."""

    kind: ApprovalKind
    effect: str
    """Audit action of the applied change, e.g. ``loan.write_off``."""
    policy: DecisionPolicy

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        """The payload to store: the maker's input plus what they saw (versions, limits)."""
        ...

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]: ...

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Validate against the current state (locking what ``apply`` changes); raise a
        ``DomainError`` if it does not hold. Returns the state it would replace."""
        ...

    def apply(self, approved: Approved) -> dict[str, Any]:
        """Make the change (right after ``check``); returns the state after it."""
        ...

    def eligible(self, session: Session, approval: ApprovalRequest, decider: Actor) -> str | None:
        """Why this decider may not decide this request, or None if they may."""
        ...

    def closed(self, session: Session, approval: ApprovalRequest, now: datetime) -> None:
        """Called when the request closes without being applied (rejected, failed,
        withdrawn, expired), in the same transaction."""
        ...


class KindRules:
    """The defaults of a kind: one approval, any role the route admits, a week to decide,
    nothing of its own to update when the request closes."""

    policy = DecisionPolicy()

    def eligible(self, session: Session, approval: ApprovalRequest, decider: Actor) -> str | None:
        roles = self.policy.decider_roles
        if roles is not None and decider.role not in roles:
            return f"Role {decider.role} may not decide a {approval.kind} request"
        return None

    def closed(self, session: Session, approval: ApprovalRequest, now: datetime) -> None:
        return None


_REGISTERED: dict[str, ApprovalHandler] = {}


def register(*handlers: ApprovalHandler) -> None:
    """Make kinds known to the engine (idempotent; a kind registered again is replaced)."""
    for handler in handlers:
        _REGISTERED[handler.kind.value] = handler


def handler_for(
    kind: str, handlers: Mapping[str, ApprovalHandler] | None = None
) -> ApprovalHandler:
    """The handler of a kind: the one given, else the registered one."""
    found = (handlers or {}).get(kind) or _REGISTERED.get(kind)
    if found is None:
        raise UnknownKind(f"No handler for approval kind {kind}: is it registered?")
    return found
