"""Consent records: one per opt-in (the terms version, when, through which channel), closed
when the borrower opts out. Shown to the borrower (app, access export) and to staff."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.borrowers.models import Consent, ConsentChannel


def record_consent(
    session: Session, borrower_id: int, terms_version: str, channel: ConsentChannel, now: datetime
) -> Consent:
    consent = Consent(
        borrower_id=borrower_id, terms_version=terms_version, channel=channel, given_at=now
    )
    session.add(consent)
    return consent


def withdraw_consents(session: Session, borrower_id: int, now: datetime) -> None:
    session.execute(
        update(Consent)
        .where(Consent.borrower_id == borrower_id, Consent.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )


def consents_of(session: Session, borrower_id: int) -> Sequence[Consent]:
    return session.scalars(
        select(Consent).where(Consent.borrower_id == borrower_id).order_by(Consent.id)
    ).all()
