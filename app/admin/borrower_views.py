"""Borrowers as staff see them: found by phone or national ID through the blind index,
shown masked, frozen and unfrozen by hand.

Invariant: nothing this module returns or audits holds a full phone number or national ID
(phones show ``2547******78``, IDs their last two digits). The search input itself is never
stored: the audit record says only which kind of key was searched and what was found.

A freeze by staff stops new loans like a default does. Unfreezing is refused while a loan is
in default: that freeze is the product's rule (lifted by repaying), not a staff decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.borrowers.service import get_borrower
from app.errors import DomainError
from app.lending.loans import open_loan
from app.lending.models import Loan, LoanStatus
from app.security.fields import FieldCrypto, UndecryptableField
from integrations.identity.register import InvalidNationalId, normalise_national_id
from integrations.phone import InvalidMsisdn, mask_msisdn, normalise_msisdn

STAFF_FREEZE_PREFIX = "staff: "
FROZEN_REASON_CHARS = 64
ID_KEEP_LAST = 2


class InvalidSearch(DomainError, code="invalid_search"): ...


class AlreadyFrozen(DomainError, code="already_frozen", http_status=409): ...


class NotFrozen(DomainError, code="not_frozen", http_status=409): ...


class FrozenByDefault(DomainError, code="frozen_by_default", http_status=409):
    """A loan in default keeps its borrower frozen until it is repaid."""


def find_by_phone(session: Session, crypto: FieldCrypto, phone: str) -> Borrower | None:
    try:
        msisdn = normalise_msisdn(phone)
    except InvalidMsisdn:
        raise InvalidSearch("Give a Kenyan mobile number, e.g. 0712345678") from None
    digest = crypto.blind_index.digest("msisdn", msisdn)  # same kind as app.borrowers
    return session.scalar(select(Borrower).where(Borrower.phone_index == digest))


def find_by_national_id(session: Session, crypto: FieldCrypto, national_id: str) -> Borrower | None:
    try:
        nid = normalise_national_id(national_id)
    except InvalidNationalId:
        raise InvalidSearch("A Kenyan national ID is 6 to 9 digits") from None
    digest = crypto.blind_index.digest("national_id", nid)
    return session.scalar(select(Borrower).where(Borrower.national_id_index == digest))


def mask_national_id(national_id: str) -> str:
    hidden = max(len(national_id) - ID_KEEP_LAST, 0)
    return "*" * hidden + national_id[hidden:]


@dataclass(frozen=True, slots=True)
class MaskedIdentity:
    phone_masked: str
    national_id_masked: str
    full_name: str | None


def masked_identity(crypto: FieldCrypto, borrower: Borrower) -> MaskedIdentity:
    """Decrypt, then mask at once: the clear values never leave this function."""
    try:
        phone = mask_msisdn(crypto.cipher.decrypt(borrower.phone_enc))
        national_id = mask_national_id(crypto.cipher.decrypt(borrower.national_id_enc))
        full_name: str | None = crypto.cipher.decrypt(borrower.full_name_enc)
    except UndecryptableField:  # a key was dropped too early: show nothing rather than fail
        phone, national_id, full_name = "unavailable", "unavailable", None
    return MaskedIdentity(phone, national_id, full_name)


def freeze_state(borrower: Borrower) -> dict[str, Any]:
    return {"frozen_at": borrower.frozen_at, "frozen_reason": borrower.frozen_reason}


def freeze(session: Session, borrower_id: int, reason: str, now: datetime) -> Borrower:
    """Stop new loans for a borrower (a staff decision, with its reason)."""
    borrower = get_borrower(session, borrower_id, lock=True)
    if borrower.frozen_at is not None:
        raise AlreadyFrozen(f"Borrower {borrower_id} is already frozen ({borrower.frozen_reason})")
    borrower.frozen_at = now
    borrower.frozen_reason = (STAFF_FREEZE_PREFIX + reason)[:FROZEN_REASON_CHARS]
    session.flush()
    return borrower


def unfreeze(session: Session, borrower_id: int) -> Borrower:
    borrower = get_borrower(session, borrower_id, lock=True)
    if borrower.frozen_at is None:
        raise NotFrozen(f"Borrower {borrower_id} is not frozen")
    loan = open_loan(session, borrower_id)
    if loan is not None and loan.status == LoanStatus.DEFAULTED:
        raise FrozenByDefault(
            f"Loan {loan.account_number} is in default: the borrower stays frozen until it "
            "is repaid"
        )
    borrower.frozen_at = None
    borrower.frozen_reason = None
    session.flush()
    return borrower


def current_loan(session: Session, borrower_id: int) -> Loan | None:
    """The open loan, else the latest one."""
    return open_loan(session, borrower_id) or session.scalar(
        select(Loan).where(Loan.borrower_id == borrower_id).order_by(Loan.id.desc()).limit(1)
    )
