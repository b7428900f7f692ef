"""What a payout's final result does: post or void its ledger hold, then the effects its
purpose registered (``app.payments.purposes``).

Both run inside the caller's transaction, once per payout (the caller holds the payout's row
lock and has checked it is still open).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.payments.models import Payout, PayoutStatus
from app.payments.purposes import effects_of
from ledger import Ledger


def payout_succeeded(
    session: Session,
    ledger: Ledger,
    payout: Payout,
    receipt: str | None,
    completed_at: datetime,
    now: datetime,
) -> None:
    ledger.post_hold(
        payout.hold_entry_id,
        f"payout:{payout.originator_id}:post",
        description=f"Payout {payout.purpose} completed, receipt {receipt or '-'}",
        effective_at=completed_at,
    )
    payout.status = PayoutStatus.SUCCEEDED
    payout.provider_receipt = receipt
    payout.resolved_at = now
    payout.next_check_at = None
    effects_of(payout.purpose).succeeded(session, ledger, payout, completed_at, now)


def payout_failed(
    session: Session, ledger: Ledger, payout: Payout, code: str, reason: str, now: datetime
) -> None:
    ledger.void_hold(
        payout.hold_entry_id,
        f"payout:{payout.originator_id}:void",
        description=f"Payout failed: {code}",
    )
    payout.status = PayoutStatus.FAILED
    payout.failure_code = code[:32]
    payout.failure_reason = reason[:200]
    payout.resolved_at = now
    payout.next_check_at = None
    effects_of(payout.purpose).failed(session, payout, now)
