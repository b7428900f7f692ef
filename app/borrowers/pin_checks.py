"""PIN checks with a lock after repeated failures.

A wrong PIN must be counted even though the request it guarded fails, so a check is its own
use case: ``pin_hash_of`` reads (no lock), the slow KDF runs outside any transaction, then
``record_pin_attempt`` writes the outcome with one atomic UPDATE and returns it; the caller
commits, then raises ``PinCheck.error`` if there is one.

A right PIN whose hash is out of date (unpeppered, an older pepper key, other KDF parameters:
``PinHasher.needs_rehash``) is hashed again outside the transaction too, and the new hash is
stored in the transaction that records the success, only if the stored hash is still the one
checked (a PIN changed meanwhile is never overwritten).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.borrowers import errors
from app.borrowers.models import Borrower
from app.borrowers.service import prepare_pin
from app.clock import Clock
from app.db.session import Sessions
from app.errors import DomainError
from app.security.pins import PinHasher

PIN_LOCK_AFTER_FAILURES = 5
PIN_LOCK_DURATION = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class PinCheck:
    ok: bool
    error: DomainError | None = None


def pin_hash_of(session: Session, borrower_id: int, now: datetime) -> str:
    """The stored hash, or PinLocked / BorrowerNotFound."""
    row = session.execute(
        select(Borrower.pin_hash, Borrower.pin_locked_until).where(Borrower.id == borrower_id)
    ).one_or_none()
    if row is None:
        raise errors.BorrowerNotFound(f"No borrower {borrower_id}")
    if row.pin_locked_until is not None and row.pin_locked_until > now:
        raise errors.PinLocked("Too many wrong PINs: try again later or call support")
    return str(row.pin_hash)


@dataclass(frozen=True, slots=True)
class Rehash:
    """Replace ``checked`` (the hash a right PIN was verified against) by ``new_hash``."""

    checked: str
    new_hash: str


def record_pin_attempt(
    session: Session, borrower_id: int, correct: bool, now: datetime, rehash: Rehash | None = None
) -> PinCheck:
    if correct:
        session.execute(
            update(Borrower)
            .where(Borrower.id == borrower_id)
            .values(pin_failed_attempts=0, pin_locked_until=None)
        )
        if rehash is not None:
            session.execute(
                update(Borrower)
                .where(Borrower.id == borrower_id, Borrower.pin_hash == rehash.checked)
                .values(pin_hash=rehash.new_hash)
            )
        return PinCheck(ok=True)
    failures = session.execute(
        update(Borrower)
        .where(Borrower.id == borrower_id)
        .values(pin_failed_attempts=Borrower.pin_failed_attempts + 1)
        .returning(Borrower.pin_failed_attempts)
    ).scalar_one()
    if failures >= PIN_LOCK_AFTER_FAILURES:
        session.execute(
            update(Borrower)
            .where(Borrower.id == borrower_id)
            .values(pin_failed_attempts=0, pin_locked_until=now + PIN_LOCK_DURATION)
        )
        return PinCheck(
            False, errors.PinLocked("Too many wrong PINs: locked for 24 hours (support can unlock)")
        )
    left = PIN_LOCK_AFTER_FAILURES - failures
    return PinCheck(False, errors.WrongPin(f"Wrong PIN: {left} tries left", left))


def check_pin(
    sessions: Sessions, clock: Clock, pins: PinHasher, borrower_id: int, pin: str
) -> None:
    """The whole check as its own use case, for a channel: read, run the KDF outside any
    transaction, record the attempt (and a rehash) and commit it, then raise WrongPin /
    PinLocked if wrong."""
    pins.require()  # no pepper: refuse before reading or counting anything
    with sessions.reader() as session:
        stored = pin_hash_of(session, borrower_id, clock())
    correct = pins.verify_pin(pin, stored)
    rehash = None
    if correct and pins.needs_rehash(stored):
        rehash = Rehash(stored, pins.hash_pin(pin))
    with sessions.unit_of_work() as session:
        check = record_pin_attempt(session, borrower_id, correct, clock(), rehash)
    if check.error is not None:
        raise check.error


def change_pin(
    sessions: Sessions,
    clock: Clock,
    pins: PinHasher,
    borrower_id: int,
    current_pin: str,
    new_pin: str,
) -> None:
    """Change a PIN after checking the current one (a wrong one counts towards the lock)."""
    new_hash = prepare_pin(pins, new_pin)  # a weak new PIN is refused before anything counts
    check_pin(sessions, clock, pins, borrower_id, current_pin)
    with sessions.unit_of_work() as session:
        session.execute(
            update(Borrower).where(Borrower.id == borrower_id).values(pin_hash=new_hash)
        )
