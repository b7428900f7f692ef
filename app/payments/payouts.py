"""Sending payouts and recording their outcomes, in atomic phases.

1. ``submit_payout`` (task): read the pending payout, call the provider OUTSIDE any
   transaction, then record what the provider said: accepted -> submitted; rejected ->
   failed (hold voided); no answer -> unknown. A crash before recording leaves the payout
   pending: the sweep re-submits it under the SAME originator id, which the provider
   deduplicates, so it is never paid twice.
2. ``record_payout_result`` (callback or status query): succeeded -> post the hold and apply
   the purpose's effects (loan active, savings credited...); failed -> void the hold and undo.
   Idempotent: a payout already resolved ignores further results.
Each payout goes through the provider of its ``network`` (the borrower's when requested), and
every query about it goes there too.

3. ``sweep_payouts`` (scheduled): re-submit stale pending payouts and query submitted /
   unknown ones whose result is late. Never a second payment with a new id. A payout that
   fails is passed over (``app.tasks.sweeps``): the others still move, and the run counts as
   failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.clock import Clock
from app.db.session import Sessions
from app.payments import outcomes
from app.payments.models import OPEN_PAYOUT_STATUSES, Payout, PayoutStatus
from app.payments.purposes import effects_of
from app.ports import Ports
from app.tasks import refs
from app.tasks.sweeps import RowFailures
from integrations.payments.port import PayoutOrder, PayoutResult, Submission
from ledger import Ledger

RESULT_GRACE = timedelta(minutes=2)
"""How long after submitting we wait for a callback before asking the provider."""
MAX_QUERIES = 50
SWEEP_BATCH = 200


@dataclass(frozen=True, slots=True)
class _Outgoing:
    payout_id: int
    network: str
    order: PayoutOrder


def _outgoing(session: Session, ports: Ports, payout_id: int) -> _Outgoing | None:
    payout = session.get(Payout, payout_id)
    if payout is None or payout.status != PayoutStatus.PENDING:
        return None
    phone_enc = session.scalar(select(Borrower.phone_enc).where(Borrower.id == payout.borrower_id))
    assert phone_enc is not None
    return _Outgoing(
        payout.id,
        payout.network,
        PayoutOrder(
            payout.originator_id,
            ports.cipher.decrypt(phone_enc),
            payout.amount_minor,
            f"Mkopo {payout.purpose}",
        ),
    )


def submit_payout(
    sessions: Sessions,
    ports: Ports,
    clock: Clock,
    payout_id: int,
    grace: timedelta = RESULT_GRACE,
) -> str:
    """Send one pending payout to the provider; returns the payout's status afterwards.

    Before the first send, a recovery point is committed (``attempts`` goes from 0 to 1): a
    payout still at 0 attempts provably never reached the provider, so it can be cancelled
    if its loan can no longer take money (defaulted, or the borrower frozen, while it
    waited); from 1 attempt on it may have been paid, so it is only ever re-sent under the
    same id or queried.
    """
    with sessions.unit_of_work() as session:
        payout = session.get(Payout, payout_id, with_for_update=True, populate_existing=True)
        if payout is None or payout.status != PayoutStatus.PENDING:
            return "not_pending"
        reason = _no_longer_payable(session, payout) if payout.attempts == 0 else None
        if reason is not None:
            outcomes.payout_failed(
                session, Ledger(session, clock), payout, "cancelled", reason, clock()
            )
            return str(payout.status)
        payout.attempts += 1
    with sessions.reader() as session:
        outgoing = _outgoing(session, ports, payout_id)
    if outgoing is None:
        return "not_pending"
    provider = ports.payments_for(outgoing.network)
    result = provider.submit_payout(outgoing.order)  # no transaction open here
    with sessions.unit_of_work() as session:
        payout = session.get(Payout, payout_id, with_for_update=True, populate_existing=True)
        assert payout is not None
        if payout.status != PayoutStatus.PENDING:
            return str(payout.status)  # a callback beat us to it
        now = clock()
        if result.submission is Submission.REJECTED:
            outcomes.payout_failed(
                session,
                Ledger(session, clock),
                payout,
                result.code or "rejected",
                result.reason or "",
                now,
            )
        else:
            payout.status = (
                PayoutStatus.SUBMITTED
                if result.submission is Submission.ACCEPTED
                else PayoutStatus.UNKNOWN
            )
            payout.provider_ref = result.provider_ref
            payout.next_check_at = now + grace
        return str(payout.status)


def _no_longer_payable(session: Session, payout: Payout) -> str | None:
    """Why a payout that never left should not leave now (its purpose says), or None."""
    return effects_of(payout.purpose).still_payable(session, payout)


def record_payout_result(
    session: Session, ledger: Ledger, result: PayoutResult, now: datetime
) -> Payout | None:
    """Apply a provider's final result once; None if the payout is not ours."""
    payout = session.scalar(
        select(Payout).where(Payout.originator_id == result.originator_id).with_for_update()
    )
    if payout is None or payout.status in (PayoutStatus.SUCCEEDED, PayoutStatus.FAILED):
        return payout
    if result.succeeded:
        outcomes.payout_succeeded(
            session, ledger, payout, result.receipt, result.completed_at or now, now
        )
    else:
        outcomes.payout_failed(session, ledger, payout, result.code, result.reason, now)
    return payout


def sweep_payouts(
    sessions: Sessions,
    ports: Ports,
    clock: Clock,
    grace: timedelta = RESULT_GRACE,
    limit: int = SWEEP_BATCH,
) -> int:
    """Move every stale open payout forward; returns how many were looked at."""
    with sessions.reader() as session:
        due = session.execute(
            select(Payout.id, Payout.status, Payout.originator_id, Payout.network)
            .where(Payout.status.in_(OPEN_PAYOUT_STATUSES), Payout.next_check_at <= clock())
            .order_by(Payout.next_check_at)
            .limit(limit)
        ).all()
    failures = RowFailures(refs.SWEEP_PAYOUTS.name)
    for payout_id, status, originator_id, network in due:
        with failures.row(payout_id):
            if status == PayoutStatus.PENDING:
                submit_payout(sessions, ports, clock, payout_id, grace)
                continue
            result = ports.payments_for(network).query_payout(originator_id)
            with sessions.unit_of_work() as session:
                if result is not None:
                    record_payout_result(session, Ledger(session, clock), result, clock())
                else:
                    _query_later(session, payout_id, clock(), grace)
    failures.raise_if_any()
    return len(due)


def _query_later(session: Session, payout_id: int, now: datetime, grace: timedelta) -> None:
    payout = session.get(Payout, payout_id, with_for_update=True)
    if payout is None or payout.status not in OPEN_PAYOUT_STATUSES:
        return
    payout.attempts += 1
    # Back off: 2, 4, 8 ... minutes, at most an hour; past MAX_QUERIES a person must look.
    delay = min(grace * 2 ** min(payout.attempts, 5), timedelta(hours=1))
    payout.next_check_at = None if payout.attempts >= MAX_QUERIES else now + delay
