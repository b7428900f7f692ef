"""Segregation of duties at the ledger's door: a staff request writes ledger entries only
through a route that declares it moves money.

Every HTTP request gets a fresh ``RequestGate`` (opened by the request-context middleware).
``require_roles`` (``app.staff.auth``) marks it, for a staff caller, with whether the route
moves money; routes that do are built with ``moves_money=True``, which refuses any role
outside the operations roles. Every session of ``Sessions`` carries ``ledger_write_refusal``
as its ledger write guard (``ledger.WRITE_GUARD``), which the ledger asks before each write,
in the thread of the request: so also a session opened before the staff dependency ran.

So a route that writes entries without declaring it fails on its first entry instead of
letting an auditor's or a support agent's token move money, and the declaration cannot
name a read-only role. Worker tasks and the CLI run outside requests, and borrower and
public routes have no staff caller: nothing is stamped there.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(slots=True)
class RequestGate:
    """What the staff dependencies of the current request said about ledger writes."""

    refusal: str | None = None
    """Why entries may not be written, set by a staff dependency of a read-only route."""
    moves_money: bool = False
    """A dependency of the route declared that it moves money (operations roles only)."""


_gate: ContextVar[RequestGate | None] = ContextVar("ledger_gate", default=None)


def open_request_gate() -> None:
    """A fresh gate for the HTTP request now starting (mutable: sync dependencies run in
    copies of the request's context, so they change the gate rather than the variable)."""
    _gate.set(RequestGate())


REFUSAL = "This route does not move money: staff may post to the ledger only through one that does"


def declare_staff_route(moves_money: bool) -> None:
    """Called by each staff dependency of the route, once the caller's role passed."""
    gate = _gate.get()
    if gate is None:
        raise RuntimeError("no request gate: the request-context middleware is not installed")
    if moves_money:
        gate.moves_money = True
    else:
        gate.refusal = REFUSAL


def ledger_write_refusal() -> str | None:
    """Why sessions opened now may not write ledger entries (None: they may)."""
    gate = _gate.get()
    if gate is None or gate.moves_money:
        return None
    return gate.refusal
