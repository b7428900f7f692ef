"""What a payout's final result does: post or void its ledger hold, then the purpose's effects.

Both run inside the caller's transaction, once per payout (the caller holds the payout's row
lock and has checked it is still open).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.lending import disbursements
from app.payments.models import Payout, PayoutPurpose, PayoutStatus
from app.savings import withdrawals
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
    if payout.purpose in (PayoutPurpose.LOAN, PayoutPurpose.TOPUP):
        disbursements.on_disbursed(session, ledger, payout, completed_at, now)
    elif payout.purpose == PayoutPurpose.SAVINGS_WITHDRAWAL:
        withdrawals.on_withdrawn(session, payout, now)
    else:
        withdrawals.on_refunded(session, payout, now)


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
    if payout.purpose in (PayoutPurpose.LOAN, PayoutPurpose.TOPUP):
        disbursements.on_disbursement_failed(session, payout, now)
    else:
        withdrawals.on_withdrawal_failed(session, payout, now)
