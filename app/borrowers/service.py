"""Borrowers: PIN preparation, and finding a borrower by id, phone or national ID.

Joining and leaving the fund (opt-in, opt-out) is ``app.onboarding``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.borrowers import errors
from app.borrowers.models import Borrower, BorrowerStatus
from app.ports import Ports
from app.security.pins import PinHasher, WeakPin, validate_new_pin
from integrations.identity.register import InvalidNationalId, normalise_national_id
from integrations.phone import InvalidMsisdn, normalise_msisdn


def prepare_pin(pins: PinHasher, pin: str) -> str:
    """Validate and hash a new PIN (slow: do it outside any transaction)."""
    try:
        validate_new_pin(pin)
    except WeakPin as exc:
        raise errors.PinTooWeak(str(exc)) from None
    return pins.hash_pin(pin)


def find_by_phone(
    session: Session, ports: Ports, msisdn: str, lock: bool = False
) -> Borrower | None:
    try:
        phone = normalise_msisdn(msisdn)
    except InvalidMsisdn:
        return None
    query = select(Borrower).where(
        Borrower.phone_index == ports.blind_index.digest("msisdn", phone)
    )
    return session.scalar(query.with_for_update() if lock else query)


def find_by_national_id(session: Session, ports: Ports, national_id: str) -> Borrower | None:
    try:
        nid = normalise_national_id(national_id)
    except InvalidNationalId:
        return None
    return session.scalar(
        select(Borrower).where(
            Borrower.national_id_index == ports.blind_index.digest("national_id", nid)
        )
    )


def get_borrower(session: Session, borrower_id: int, lock: bool = False) -> Borrower:
    borrower = session.get(Borrower, borrower_id, with_for_update=lock, populate_existing=lock)
    if borrower is None:
        raise errors.BorrowerNotFound(f"No borrower {borrower_id}")
    return borrower


def require_opted_in(borrower: Borrower) -> None:
    if borrower.status != BorrowerStatus.ACTIVE:
        raise errors.NotOptedIn("Opt in (accept the terms and set a PIN) first")
