"""The parts of the USSD state machine: a hop's context, what a step answers, the registry of
screens by name, and the input rules the screens share.

A state is a named screen waiting for input, with ``show`` (draw it, optionally under a
hint) and ``answer`` (act on one input). An answer is a ``Screen`` given at once, inside the
hop's transaction, or ``Slow`` work (a PIN to check or hash: a slow KDF) that the engine
runs outside any transaction before calling ``then`` in a second one (``app.ussd.flow``).
``0`` (back) and ``00`` (main menu) are handled by the engine, never by a state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.borrowers import errors as borrower_errors
from app.borrowers.models import Borrower, BorrowerStatus
from app.borrowers.pin_checks import check_pin
from app.clock import Clock
from app.db.session import Sessions
from app.errors import DomainError
from app.security.fields import BlindIndex, FieldCipher
from app.security.pins import PIN_DIGITS, PinHasher
from app.ussd import screens
from integrations.payments.networks import wallet_name

PRODUCT_CODE = "personal"
"""The product a USSD borrower takes (the real fund's Personal Loan)."""
HOME = "home"
NOTICE = "notice"
MAX_AMOUNT_DIGITS = 7
"""Amounts are typed in whole shillings; the largest the fund moves is below 10 million."""


@dataclass(frozen=True)
class UssdEnv:
    """What the channel needs from the wiring (built once per process)."""

    sessions: Sessions
    clock: Clock
    cipher: FieldCipher
    blind_index: BlindIndex
    paybill: str
    pins: PinHasher


@dataclass
class Ctx:
    """One hop, inside a write transaction."""

    env: UssdEnv
    session: Session
    now: datetime
    session_id: str
    hop: int
    """Hops answered before this one: with the session id, names this hop's actions."""
    msisdn: str
    phone_index: str
    borrower: Borrower | None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def member(self) -> Borrower | None:
        """The caller's borrower row if they are opted in."""
        if self.borrower is None or self.borrower.status != BorrowerStatus.ACTIVE:
            return None
        return self.borrower

    def action_key(self, action: str) -> str:
        """The idempotency key of a money-moving action: a re-sent hop reuses it."""
        return f"ussd:{self.session_id}:{self.hop}:{action}"


@dataclass(frozen=True)
class Screen:
    text: str
    state: str = ""
    """The state that will read the next input (unused when ``end``)."""
    end: bool = False


@dataclass(frozen=True)
class Slow:
    work: Callable[[], Any]
    """Runs outside any transaction (it may run its own, like a PIN check)."""
    then: Callable[[Ctx, Any], Screen]
    """Runs in a fresh transaction with ``work``'s result, if the session has not moved on."""


Outcome = Screen | Slow


@dataclass(frozen=True)
class State:
    show: Callable[[Ctx, str], Screen]
    answer: Callable[[Ctx, str], Outcome]
    back: str
    members_only: bool = True


STATES: dict[str, State] = {}


def add_state(
    name: str,
    show: Callable[[Ctx, str], Screen],
    answer: Callable[[Ctx, str], Outcome],
    back: str,
    members_only: bool = True,
) -> None:
    STATES[name] = State(show, answer, back, members_only)


def show(ctx: Ctx, name: str, hint: str = "") -> Screen:
    return STATES[name].show(ctx, hint)


def ask(state: str, text: str, hint: str = "") -> Screen:
    return Screen(screens.with_hint(hint, text), state)


def end(text: str) -> Screen:
    return Screen(text, end=True)


def notice(ctx: Ctx, text: str) -> Screen:
    """An information or refusal screen; ``0`` goes back to the main menu."""
    ctx.data["notice"] = text
    return Screen(text, NOTICE)


def _show_notice(ctx: Ctx, hint: str) -> Screen:
    return ask(NOTICE, str(ctx.data.get("notice", screens.GO_BACK)), hint)


def _answer_notice(ctx: Ctx, _entry: str) -> Outcome:
    return _show_notice(ctx, screens.GO_BACK)


add_state(NOTICE, _show_notice, _answer_notice, back=HOME, members_only=False)


def shillings(entry: str) -> int | None:
    """A typed amount in whole shillings, as minor units; None if it is not one."""
    if not (entry.isascii() and entry.isdigit()) or len(entry) > MAX_AMOUNT_DIGITS:
        return None
    return int(entry) * 100


def pin_shaped(entry: str) -> bool:
    return len(entry) == PIN_DIGITS and entry.isascii() and entry.isdigit()


def locked_until(ctx: Ctx) -> datetime | None:
    member = ctx.member
    if member is None or member.pin_locked_until is None or member.pin_locked_until <= ctx.now:
        return None
    return member.pin_locked_until


def ask_pin(ctx: Ctx, state: str, text: str, hint: str = "") -> Screen:
    """A PIN screen, or why the PIN cannot be used now."""
    until = locked_until(ctx)
    return end(screens.pin_locked(until)) if until is not None else ask(state, text, hint)


def pin_check(env: UssdEnv, borrower_id: int, pin: str) -> Callable[[], DomainError | None]:
    """Slow work: check a PIN (counted, locked after repeated failures); the refusal or None."""

    def work() -> DomainError | None:
        try:
            check_pin(env.sessions, env.clock, env.pins, borrower_id, pin)
        except (borrower_errors.WrongPin, borrower_errors.PinLocked) as refusal:
            return refusal
        return None

    return work


def pin_refusal(ctx: Ctx, state: str, text: str, refusal: DomainError | None) -> Screen | None:
    """The screen for a refused PIN (ask again, or locked); None when the PIN was right."""
    if isinstance(refusal, borrower_errors.WrongPin):
        return ask(state, text, screens.wrong_pin(refusal.attempts_left))
    if refusal is not None:
        until = locked_until(ctx)
        return end(screens.pin_locked(until) if until else screens.UNAVAILABLE)
    return None


def add_pin_state(
    name: str, prompt: Callable[[Ctx], str], then: Callable[[Ctx, Borrower], Screen], back: str
) -> Callable[[Ctx, str], Screen]:
    """A state that asks for the member's PIN (``prompt``), checks it as slow work (counted,
    locked after repeated failures; a wrong one asks again) and, when it is right, goes on
    with ``then``. Returns the state's show function."""

    def show_pin(ctx: Ctx, hint: str) -> Screen:
        return ask_pin(ctx, name, prompt(ctx), hint)

    def answer(ctx: Ctx, entry: str) -> Outcome:
        member = ctx.member
        assert member is not None
        if not pin_shaped(entry):
            return show_pin(ctx, screens.PIN_FORMAT)
        return Slow(pin_check(ctx.env, member.id, entry), checked)

    def checked(ctx: Ctx, refusal: DomainError | None) -> Screen:
        member = ctx.member
        if member is None:
            return end(screens.UNAVAILABLE)
        refused = pin_refusal(ctx, name, prompt(ctx), refusal)
        return refused if refused is not None else then(ctx, member)

    add_state(name, show_pin, answer, back)
    return show_pin


def wallet(ctx: Ctx) -> str:
    """The wallet the member's money moves through, as the screens name it."""
    return wallet_name(ctx.member.network) if ctx.member is not None else "M-Pesa"
