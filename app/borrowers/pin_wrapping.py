"""Peppering, at rest, the PIN hashes made before peppers (``mkopo keys wrap-old-pins``):
each ``scrypt$...`` hash becomes ``scrypt-wrapped$...`` (``app.security.pins.PinHasher.wrap``)
without anyone's PIN, so a leaked table holds no hash that can be tried without the pepper.
Each is replaced by a normal peppered hash at the borrower's next right PIN, as before.
Idempotent (wrapped and peppered hashes are left alone); batched by id; the caller commits.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.security.pins import UNPEPPERED_SCHEME, PinHasher

BATCH = 500


def wrap_old_pin_hashes(session: Session, pins: PinHasher) -> int:
    """Wrap every unpeppered borrower PIN hash; how many were wrapped."""
    pins.require()
    wrapped, after = 0, 0
    while True:
        rows = session.execute(
            select(Borrower.id, Borrower.pin_hash)
            .where(Borrower.id > after, Borrower.pin_hash.startswith(f"{UNPEPPERED_SCHEME}$"))
            .order_by(Borrower.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return wrapped
        for borrower_id, pin_hash in rows:
            after = borrower_id
            new_hash = pins.wrap(pin_hash)
            if new_hash is None:
                continue
            session.execute(
                update(Borrower)
                .where(Borrower.id == borrower_id, Borrower.pin_hash == pin_hash)
                .values(pin_hash=new_hash)
            )
            wrapped += 1
        session.flush()
