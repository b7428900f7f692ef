"""Airtel callbacks, applied only on Airtel's confirmed word: the enquiry decides.

A callback is a hint (docs/airtel.md: "callbacks are not trusted on their own"; OAF confirms
every callback by enquiry). The worker, before the callback's transaction and outside any
transaction, asks Airtel about the callback's transaction (``confirm``); the callback's
transaction then applies the ENQUIRY's answer (``apply``) through the same record functions
as M-Pesa's results: ``record_payout_result`` for a disbursement, ``record_stk_result`` for a
USSD-push collection. What the callback itself said moves nothing:

- the enquiry has a final answer -> it is recorded (once: those functions ignore a second
  result); a callback that disagrees with it is logged;
- the enquiry has none (pending, not found, Airtel unreachable) -> nothing moves; the payout
  or push is due for a query at once, and the sweeps (``sweep_payouts``, ``sweep_stk``) ask
  again until Airtel answers.

Only payouts and pushes sent through Airtel are touched: an Airtel callback naming an M-Pesa
payout is refused (the callback fails, for a person to see).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.mpesa.models import StkRequest, StkStatus
from app.mpesa.stk import record_stk_result
from app.payments.models import OPEN_PAYOUT_STATUSES, Payout
from app.payments.payouts import record_payout_result
from integrations.airtel.callbacks import parse_callback
from integrations.payments.networks import Network
from integrations.payments.port import CollectionResult, PaymentProvider, PayoutResult
from ledger import Ledger

DISBURSEMENT, COLLECTION = "airtel/disbursement", "airtel/collection"
log = structlog.get_logger("mkopo.airtel")


class NotAnAirtelPayment(ValueError):
    """An Airtel callback names a payout or push that was not sent through Airtel."""


@dataclass(frozen=True, slots=True)
class Confirmation:
    """Airtel's answer to an enquiry about a callback's transaction."""

    transaction_id: str
    payout: PayoutResult | None = None
    collection: CollectionResult | None = None
    """None: no final answer yet (pending, not found, or Airtel unreachable)."""


def confirm(provider: PaymentProvider, kind: str, document: object) -> Confirmation:
    """Ask Airtel about the transaction a stored callback names (no transaction open: this
    is a provider call). The hash was checked when the callback was stored."""
    transaction_id = parse_callback(document).transaction_id
    if kind == DISBURSEMENT:
        return Confirmation(transaction_id, payout=provider.query_payout(transaction_id))
    if kind == COLLECTION:
        return Confirmation(transaction_id, collection=provider.query_collection(transaction_id))
    raise ValueError(f"not an Airtel callback kind: {kind}")


def apply(
    session: Session,
    ledger: Ledger,
    kind: str,
    document: object,
    confirmation: Confirmation | None,
    now: datetime,
) -> None:
    """Apply what the enquiry said about a stored Airtel callback."""
    callback = parse_callback(document)
    if confirmation is None or confirmation.transaction_id != callback.transaction_id:
        raise ValueError("an Airtel callback is applied only after an enquiry about it")
    if kind == DISBURSEMENT:
        _payout(session, ledger, callback.succeeded, confirmation, now)
    elif kind == COLLECTION:
        _collection(session, ledger, callback.succeeded, confirmation, now)
    else:
        raise ValueError(f"not an Airtel callback kind: {kind}")


def _payout(
    session: Session, ledger: Ledger, said_paid: bool, confirmation: Confirmation, now: datetime
) -> None:
    payout = session.scalar(
        select(Payout).where(Payout.originator_id == confirmation.transaction_id).with_for_update()
    )
    if payout is None:
        return  # not ours: nothing to do
    if payout.network != Network.AIRTEL:
        raise NotAnAirtelPayment("transaction.id: names a payout not sent through Airtel")
    result = confirmation.payout
    if result is None:
        if payout.status in OPEN_PAYOUT_STATUSES:
            payout.next_check_at = now  # the sweep asks again at its next run
        return
    if result.succeeded != said_paid:
        log.warning("airtel_callback_contradicted", payout_id=payout.id, enquiry=result.code)
    record_payout_result(session, ledger, result, now)


def _collection(
    session: Session, ledger: Ledger, said_paid: bool, confirmation: Confirmation, now: datetime
) -> None:
    request = session.scalar(
        select(StkRequest)
        .where(StkRequest.checkout_id == confirmation.transaction_id)
        .with_for_update()
    )
    if request is None:
        return
    if request.network != Network.AIRTEL:
        raise NotAnAirtelPayment("transaction.id: names a push not sent through Airtel")
    result = confirmation.collection
    if result is None:
        if request.status == StkStatus.SENT:
            request.next_check_at = now
        return
    if result.succeeded != said_paid:
        log.warning("airtel_callback_contradicted", stk_request_id=request.id, enquiry=result.code)
    record_stk_result(session, ledger, result, now)
