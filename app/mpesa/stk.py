"""Repayment by push: ask the borrower's phone to pay, then apply what the provider reports.

The push goes through the borrower's network's provider (M-Pesa's STK push, Airtel Money's
USSD push), recorded on the request; its query goes there too, and the money lands on that
provider's float, keyed ``mpesa:<receipt>`` or ``airtel:<airtel_money_id>``.

Atomic phases, like payouts: ``request_stk_repayment`` writes the request (one transaction);
``send_stk`` pushes it OUTSIDE any transaction and records the answer; the STK callback (or,
when it is lost, an STK query from ``sweep_stk``) decides the outcome once. A push is never
re-sent automatically. A success is applied as a repayment keyed by the M-Pesa receipt, so
the same payment also reported by C2B is applied once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.borrowers.service import get_borrower
from app.clock import Clock
from app.db.session import Sessions
from app.lending import errors
from app.lending.loans import open_loan_id
from app.lending.models import OPEN_STATUSES, Loan, RepaymentChannel
from app.lending.repayments import IncomingRepayment, apply_repayment
from app.mpesa.models import StkRequest, StkStatus, UnmatchedReceipt
from app.ports import Ports
from app.tasks import refs
from app.tasks.queue import after_commit
from app.tasks.sweeps import RowFailures
from integrations.payments.networks import Network, provider_name, wallet_name
from integrations.payments.port import CollectionOrder, CollectionResult, Submission
from ledger import Ledger

MAX_STK_MINOR = 250_000 * 100
MAX_PUSH_MINOR = {Network.SAFARICOM: MAX_STK_MINOR, Network.AIRTEL: 150_000 * 100}
"""The most one push may ask for, per provider (M-Pesa's STK; Airtel's KES 150,000 a
transaction, unverified for Kenya: docs/airtel.md)."""
QUERY_AFTER = timedelta(seconds=30)
QUERY_FOR = timedelta(minutes=5)
"""After this long without a result, the prompt has expired: reconciliation settles it."""
SWEEP_BATCH = 100


def request_stk_repayment(
    session: Session,
    borrower_id: int,
    amount_minor: int,
    key: str,
    now: datetime,
    loan_id: int | None = None,
) -> StkRequest:
    """A prompt to repay the borrower's open personal loan, or the open loan ``loan_id`` of
    theirs (an SME loan of their business)."""
    # The lock first: a same-key request still running is waited for, then replayed.
    borrower = get_borrower(session, borrower_id, lock=True)
    existing = session.scalar(select(StkRequest).where(StkRequest.idempotency_key == key))
    if existing is not None:
        if existing.borrower_id != borrower_id or existing.amount_minor != amount_minor:
            raise errors.RequestKeyReused("This request key was used for another repayment")
        return existing
    network = Network(borrower.network)
    most = MAX_PUSH_MINOR[network]
    if (
        isinstance(amount_minor, bool)
        or not isinstance(amount_minor, int)
        or not 0 < amount_minor <= most
    ):
        raise errors.InvalidAmount(f"Pay between KES 1 and KES {most // 100:,}")
    if amount_minor % 100:
        raise errors.NotWholeShillings(f"{wallet_name(network)} takes whole shillings")
    loan_id = (
        open_loan_id(session, borrower_id)
        if loan_id is None
        else session.scalar(
            select(Loan.id).where(
                Loan.id == loan_id,
                Loan.borrower_id == borrower_id,
                Loan.status.in_(OPEN_STATUSES),
            )
        )
    )
    if loan_id is None:
        raise errors.NothingOwed("There is no open loan to repay")
    request = StkRequest(
        idempotency_key=key,
        borrower_id=borrower_id,
        loan_id=loan_id,
        amount_minor=amount_minor,
        network=network,
        status=StkStatus.PENDING.value,
        attempts=0,
        created_at=now,
    )
    session.add(request)
    session.flush()
    after_commit(session, refs.SEND_STK, request.id)
    return request


def send_stk(
    sessions: Sessions,
    ports: Ports,
    clock: Clock,
    request_id: int,
    query_after: timedelta = QUERY_AFTER,
) -> str:
    with sessions.unit_of_work() as session:
        request = session.get(StkRequest, request_id, with_for_update=True)
        if request is None or request.status != StkStatus.PENDING or request.attempts > 0:
            return "not_pending"
        request.attempts = 1  # the recovery point: from here on a prompt may have been shown
    with sessions.reader() as session:
        row = session.execute(
            select(
                StkRequest.amount_minor,
                StkRequest.network,
                Borrower.phone_enc,
                Loan.account_number,
            )
            .join(Borrower, Borrower.id == StkRequest.borrower_id)
            .join(Loan, Loan.id == StkRequest.loan_id)
            .where(StkRequest.id == request_id)
        ).one()
    answer = ports.payments_for(row.network).request_collection(
        CollectionOrder(  # no transaction open here
            f"stk{request_id}",
            ports.cipher.decrypt(row.phone_enc),
            row.amount_minor,
            row.account_number,
        )
    )
    with sessions.unit_of_work() as session:
        request = session.get(StkRequest, request_id, with_for_update=True)
        assert request is not None
        now = clock()
        if answer.submission is Submission.ACCEPTED and answer.checkout_id:
            request.status, request.checkout_id = StkStatus.SENT, answer.checkout_id
            request.next_check_at = now + query_after
        elif answer.submission is Submission.REJECTED:
            request.status, request.result_code = StkStatus.FAILED, answer.code
            request.resolved_at = now
        else:
            request.status = StkStatus.UNKNOWN.value
        return request.status


def record_stk_result(
    session: Session, ledger: Ledger, result: CollectionResult, now: datetime
) -> StkRequest | None:
    """Apply a prompt's final outcome once; None if the checkout id is not ours."""
    request = session.scalar(
        select(StkRequest).where(StkRequest.checkout_id == result.checkout_id).with_for_update()
    )
    if request is None or request.status not in (StkStatus.SENT, StkStatus.UNKNOWN):
        return request
    request.result_code = result.code
    request.resolved_at = now
    request.next_check_at = None
    if not result.succeeded:
        request.status = StkStatus.FAILED.value
        return request
    request.status, request.receipt = "succeeded", result.receipt
    if result.receipt and in_suspense(session, result.receipt):
        return request  # already booked to suspense (reconciliation): an officer assigns it
    provider = provider_name(request.network)
    key = f"{provider}:{result.receipt}" if result.receipt else f"stk:{result.checkout_id}"
    apply_repayment(
        session,
        ledger,
        IncomingRepayment(
            request.loan_id,
            result.amount_minor or request.amount_minor,
            key,
            RepaymentChannel.STK,
            now,
            receipt=result.receipt,
            network=request.network,
        ),
        now,
    )
    return request


def in_suspense(session: Session, receipt: str) -> bool:
    """Whether this payment is already held in suspense (so it must not be applied again)."""
    found = session.scalar(select(UnmatchedReceipt.id).where(UnmatchedReceipt.receipt == receipt))
    return found is not None


def sweep_stk(
    sessions: Sessions,
    ports: Ports,
    clock: Clock,
    query_after: timedelta = QUERY_AFTER,
    limit: int = SWEEP_BATCH,
) -> int:
    """Ask M-Pesa about prompts whose callback is late; stop asking once they have expired.
    Also send a request whose task was lost (never tried), and give up on one that may have
    been pushed when its sender died (attempted, never recorded): unknown, for reconciliation.
    """
    failures = RowFailures(refs.SWEEP_STK.name)
    _chase_pending(sessions, ports, clock, query_after, limit, failures)
    with sessions.reader() as session:
        due = session.execute(
            select(StkRequest.id, StkRequest.checkout_id, StkRequest.created_at, StkRequest.network)
            .where(StkRequest.status == StkStatus.SENT, StkRequest.next_check_at <= clock())
            .order_by(StkRequest.next_check_at)
            .limit(limit)
        ).all()
    for request_id, checkout_id, created_at, network in due:
        with failures.row(request_id):
            prompt = SentPrompt(request_id, checkout_id, created_at, network)
            _chase_sent(sessions, ports, clock, query_after, prompt)
    failures.raise_if_any()
    return len(due)


@dataclass(frozen=True, slots=True)
class SentPrompt:
    """A prompt M-Pesa accepted whose outcome has not arrived, as the sweep read it."""

    request_id: int
    checkout_id: str | None
    created_at: datetime
    network: str = Network.SAFARICOM
    """Whose push it was: the query goes to that provider."""


def _chase_sent(
    sessions: Sessions, ports: Ports, clock: Clock, query_after: timedelta, prompt: SentPrompt
) -> None:
    request_id, checkout_id, created_at = prompt.request_id, prompt.checkout_id, prompt.created_at
    assert checkout_id is not None  # a sent prompt always has one
    result = ports.payments_for(prompt.network).query_collection(checkout_id)
    with sessions.unit_of_work() as session:
        now = clock()
        if result is not None:
            record_stk_result(session, Ledger(session, clock), result, now)
            return
        request = session.get(StkRequest, request_id, with_for_update=True)
        if request is not None and request.status == StkStatus.SENT:
            request.attempts += 1
            expired = now - created_at > QUERY_FOR
            request.next_check_at = None if expired else now + query_after


def _chase_pending(
    sessions: Sessions,
    ports: Ports,
    clock: Clock,
    query_after: timedelta,
    limit: int,
    failures: RowFailures,
) -> None:
    now = clock()
    with sessions.reader() as session:
        lost_tasks = session.scalars(
            select(StkRequest.id)
            .where(
                StkRequest.status == StkStatus.PENDING,
                StkRequest.attempts == 0,
                StkRequest.created_at <= now - query_after,
            )
            .limit(limit)
        ).all()
    for request_id in lost_tasks:
        with failures.row(request_id):
            send_stk(sessions, ports, clock, request_id, query_after)
    with sessions.unit_of_work() as session:
        for request in session.scalars(
            select(StkRequest)
            .where(
                StkRequest.status == StkStatus.PENDING,
                StkRequest.attempts > 0,
                StkRequest.created_at <= now - QUERY_FOR,
            )
            .limit(limit)
            .with_for_update()
        ):
            request.status = StkStatus.UNKNOWN.value
