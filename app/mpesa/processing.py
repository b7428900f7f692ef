"""Acting on stored callbacks, once each: the worker side of the inbox.

- ``b2c/result`` -> the payout's outcome (posts or voids its hold; the loan, savings or
  refund follow), exactly as a status query's answer would.
- ``status/result`` -> the same, when a Completed / Cancelled / Declined / Expired status
  names one of our payouts; anything else waits for the next query.
- ``c2b/confirmation`` -> a repayment of the loan whose account number (or borrower's phone
  number, for an open loan) the payer typed; otherwise the money goes to suspense with an
  unmatched-receipt row for an officer. Keyed by the receipt, so the same payment arriving
  by STK and by C2B, or twice, is applied once.
- ``stk`` -> the prompt's outcome: a success is a repayment keyed by its receipt.
- ``reversal/result`` -> an approved reversal of a suspense receipt is posted or voided.
- queue timeouts -> nothing to do: the payout sweep asks for the status.
- ``airtel/disbursement``, ``airtel/collection`` -> Airtel's enquiry about the callback's
  transaction, made just before (``app.mpesa.airtel_results``), decides the payout's or the
  push's outcome, through the same record functions; the callback alone moves nothing.
A callback is marked processed in the same transaction as its effects. One that cannot be
applied — for any reason: a refusal, a value the database will not take, a body too deep
to decode, a bug — is marked failed with the reason (field names or the error's first line,
never a phone number), its effects undone, and the queue moves on: no callback can hold up
the ones behind it. Failed callbacks wait for a person (``GET /admin/v1/callbacks``).
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, fund_accounts
from app.borrowers.models import Borrower, BorrowerStatus
from app.clock import Clock
from app.db.session import Sessions
from app.errors import DomainError
from app.groups.account_numbers import group_loan_id_from
from app.groups.errors import NotAMember
from app.groups.repayments import GroupPayment
from app.groups.repayments import repay as repay_group_loan
from app.lending.account_numbers import loan_id_from
from app.lending.models import OPEN_STATUSES, Loan, RepaymentChannel
from app.lending.repayments import IncomingRepayment, apply_repayment
from app.mpesa import airtel_results
from app.mpesa.inbox import is_airtel
from app.mpesa.models import CallbackStatus, MpesaCallback, ReceiptStatus, UnmatchedReceipt
from app.mpesa.reversals import record_reversal_result
from app.mpesa.stk import in_suspense, record_stk_result
from app.payments.payouts import record_payout_result
from app.security.fields import BlindIndex
from integrations.mpesa.callbacks import C2BPayment, parse_c2b, parse_stk_callback
from integrations.mpesa.normalise import MalformedCallback
from integrations.mpesa.redaction import msisdn_index_in, visible
from integrations.mpesa.results import b2c_result, parse_result, reversal_result, status_result
from integrations.payments.port import PaymentProvider, PayoutResult
from integrations.phone import InvalidMsisdn, normalise_msisdn
from ledger import EntryRequest, Ledger, LedgerError, PostingLine

PROCESS_BATCH = 100
PROCESS_BUDGET_S = 4.0
"""A scheduled run stops taking new batches after this long (the schedule runs every 5 s)."""
_FINAL_STATUSES = {"completed": True, "cancelled": False, "declined": False, "expired": False}
MAX_ERROR_CHARS = 300
_LONG_DIGITS = re.compile(r"\d{6,}")
log = structlog.get_logger("mkopo.mpesa")


def failure_reason(exc: BaseException) -> str:
    """Why a callback failed, safe to store and show: a refusal's own words (they name
    fields), or an unexpected error's type and first line; long digit runs (a phone
    number, an ID) masked either way."""
    if isinstance(exc, MalformedCallback | ValueError) and not isinstance(exc, UnicodeError):
        said = str(exc)
    else:
        first_line = (str(exc).splitlines() or [""])[0]
        said = f"{type(exc).__name__}: {first_line}".rstrip(": ")
    return _LONG_DIGITS.sub("***", said)[:MAX_ERROR_CHARS]


def process_callback(
    session: Session,
    ledger: Ledger,
    blind_index: BlindIndex | None,
    callback_id: int,
    now: datetime,
    confirmation: airtel_results.Confirmation | None = None,
) -> str:
    """Apply one stored callback; returns its status afterwards. An Airtel callback needs
    ``confirmation``, Airtel's answer to an enquiry made before this transaction."""
    row = session.scalar(  # another worker holding it will process it: skip, do not wait
        select(MpesaCallback)
        .where(MpesaCallback.id == callback_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if row is None or row.status != CallbackStatus.RECEIVED:
        return row.status if row else "busy"
    try:
        with session.begin_nested():  # any failure undoes every effect, then we record why
            document = json.loads(row.body)
            if is_airtel(row.kind):
                airtel_results.apply(session, ledger, row.kind, document, confirmation, now)
            else:
                _apply(session, ledger, blind_index, row.kind, document, now)
    except Exception as exc:  # whatever it is, a person looks at it; the queue moves on
        row.status, row.error = CallbackStatus.FAILED, failure_reason(exc)
    else:
        row.status = CallbackStatus.PROCESSED.value
    row.processed_at = now
    return row.status


def _apply(
    session: Session,
    ledger: Ledger,
    blind_index: BlindIndex | None,
    kind: str,
    document: object,
    now: datetime,
) -> None:
    if kind == "b2c/result":
        record_payout_result(
            session, ledger, b2c_result(parse_result(document)).to_payout_result(), now
        )
    elif kind == "status/result":
        status = status_result(parse_result(document))
        final = _FINAL_STATUSES.get((status.status or "").lower())
        if status.result_code == "0" and final is not None and status.originator_id:
            record_payout_result(
                session,
                ledger,
                PayoutResult(
                    status.originator_id,
                    final,
                    status.receipt if final else None,
                    "0" if final else (status.status or "failed"),
                    status.status or "",
                    status.finalised_at,
                ),
                now,
            )
    elif kind == "c2b/confirmation":
        payer = document.get("MSISDN") if isinstance(document, dict) else None
        payer_at_rest = payer if isinstance(payer, str) else None  # redacted: its blind index
        _apply_c2b(session, ledger, blind_index, parse_c2b(document), now, payer_at_rest)
    elif kind == "stk":
        record_stk_result(session, ledger, parse_stk_callback(document).to_collection_result(), now)
    elif kind == "reversal/result":
        outcome = reversal_result(parse_result(document)).to_outcome()
        record_reversal_result(session, ledger, outcome, now)
    # Timeouts and balance results: stored; the sweeps ask for what they need.


def _apply_c2b(
    session: Session,
    ledger: Ledger,
    blind_index: BlindIndex | None,
    payment: C2BPayment,
    now: datetime,
    payer_at_rest: str | None = None,
) -> None:
    if in_suspense(session, payment.receipt):
        return  # already held in suspense (an earlier delivery, or reconciliation)
    if _group_repayment(session, ledger, blind_index, payment, payer_at_rest, now):
        return
    loan_id = _loan_for(session, blind_index, payment.account_reference)
    if loan_id is not None:
        try:
            apply_repayment(
                session,
                ledger,
                IncomingRepayment(
                    loan_id,
                    payment.amount_minor,
                    f"mpesa:{payment.receipt}",
                    RepaymentChannel.C2B,
                    payment.paid_at,
                    receipt=payment.receipt,
                ),
                now,
            )
            return
        except (DomainError, LedgerError) as exc:
            raise ValueError(f"repayment refused: {exc}") from exc
    _to_suspense(session, ledger, payment, now)


def _group_repayment(
    session: Session,
    ledger: Ledger,
    blind_index: BlindIndex | None,
    payment: C2BPayment,
    payer_at_rest: str | None,
    now: datetime,
) -> bool:
    """A payment to a group loan's ``MG...`` account by one of the group's members, applied
    (``app.groups.repayments``); False if it is not one (a stranger's payment to a group
    account goes to suspense like any unknown account). The payer is known by the number
    Daraja sent in full (kept at rest as its blind index); a masked number identifies nobody."""
    group_loan_id = group_loan_id_from(payment.account_reference or "")
    if group_loan_id is None:
        return False
    phone_index = _phone_index(blind_index, payment.msisdn or payer_at_rest)
    payer = (
        None
        if phone_index is None
        else session.scalar(
            select(Borrower.id).where(
                Borrower.phone_index == phone_index, Borrower.status == BorrowerStatus.ACTIVE
            )
        )
    )
    if payer is None:
        return False
    incoming = GroupPayment(
        group_loan_id,
        payer,
        payment.amount_minor,
        f"mpesa:{payment.receipt}",
        RepaymentChannel.C2B,
        payment.paid_at,
        receipt=payment.receipt,
    )
    try:
        repay_group_loan(session, ledger, incoming, now)
    except NotAMember:
        return False
    except (DomainError, LedgerError) as exc:
        raise ValueError(f"group repayment refused: {exc}") from exc
    return True


def _phone_index(blind_index: BlindIndex | None, text: str | None) -> str | None:
    """The blind index of a phone number as the inbox keeps it (or in clear, in a body
    stored before redaction), or None."""
    if not text:
        return None
    phone_index = msisdn_index_in(text)
    if phone_index is None and blind_index is not None:
        try:
            phone_index = blind_index.digest("msisdn", normalise_msisdn(text))
        except InvalidMsisdn:
            return None
    return phone_index


def _loan_for(
    session: Session, blind_index: BlindIndex | None, account_reference: str | None
) -> int | None:
    if not account_reference:
        return None
    loan_id = loan_id_from(account_reference)
    if loan_id is not None:
        return session.scalar(select(Loan.id).where(Loan.id == loan_id))
    phone_index = _phone_index(blind_index, account_reference)
    if phone_index is None:
        return None
    return session.scalar(
        select(Loan.id)
        .join(Borrower, Borrower.id == Loan.borrower_id)
        .where(
            Borrower.phone_index == phone_index,
            Borrower.status == BorrowerStatus.ACTIVE,
            Loan.status.in_(OPEN_STATUSES),
            Loan.business_id.is_(None),  # an SME loan is paid by its account number
        )
    )


def _to_suspense(session: Session, ledger: Ledger, payment: C2BPayment, now: datetime) -> None:
    if (
        session.scalar(
            select(UnmatchedReceipt.id).where(UnmatchedReceipt.receipt == payment.receipt)
        )
        is not None
    ):
        return
    accounts = fund_accounts(ledger)
    entry = ledger.post(
        EntryRequest(
            f"suspense:{payment.receipt}",
            [
                PostingLine.debit(accounts[Acct.FLOAT], payment.amount_minor),
                PostingLine.credit(accounts[Acct.SUSPENSE], payment.amount_minor),
            ],
            "Paybill payment to an unknown account",
            reference=f"receipt:{payment.receipt}",
            metadata={"receipt": payment.receipt},
            effective_at=payment.paid_at,
        )
    )
    session.add(
        UnmatchedReceipt(
            receipt=payment.receipt,
            amount_minor=payment.amount_minor,
            account_reference=visible(payment.account_reference or "")[:64] or None,
            payer_hint=(payment.msisdn_hint or "")[:80] or None,
            paid_at=payment.paid_at,
            entry_id=entry.id,
            status=ReceiptStatus.OPEN.value,
            created_at=now,
        )
    )
    session.flush()


def process_pending(
    sessions: Sessions,
    clock: Clock,
    blind_index: BlindIndex | None,
    limit: int = PROCESS_BATCH,
    budget_s: float = PROCESS_BUDGET_S,
    airtel: PaymentProvider | None = None,
) -> int:
    """Process stored callbacks in arrival order, one transaction each, batch after batch
    until none are left or ``budget_s`` is spent (the next scheduled run carries on).
    ``airtel`` confirms Airtel callbacks by enquiry; without it they fail (the worker always
    passes it)."""
    deadline = time.monotonic() + budget_s
    done = 0
    while True:
        with sessions.reader() as session:
            ids = list(
                session.scalars(
                    select(MpesaCallback.id)
                    .where(MpesaCallback.status == CallbackStatus.RECEIVED)
                    .order_by(MpesaCallback.id)
                    .limit(limit)
                )
            )
        for callback_id in ids:
            _process_one(sessions, clock, blind_index, callback_id, airtel)
        done += len(ids)
        if len(ids) < limit or time.monotonic() >= deadline:
            return done


def _confirmation(
    sessions: Sessions, airtel: PaymentProvider | None, callback_id: int
) -> airtel_results.Confirmation | None:
    """For a received Airtel callback, Airtel's answer to an enquiry (made outside any
    transaction); None for anything else."""
    with sessions.reader() as session:
        row = session.execute(
            select(MpesaCallback.kind, MpesaCallback.body, MpesaCallback.status).where(
                MpesaCallback.id == callback_id
            )
        ).one_or_none()
    if (
        row is None
        or row.status != CallbackStatus.RECEIVED
        or not is_airtel(row.kind)
        or airtel is None
    ):
        return None
    return airtel_results.confirm(airtel, row.kind, json.loads(row.body))


def _process_one(
    sessions: Sessions,
    clock: Clock,
    blind_index: BlindIndex | None,
    callback_id: int,
    airtel: PaymentProvider | None = None,
) -> None:
    """One callback in its own transaction. Should even recording the failure fail (the
    transaction itself broke), mark it failed in a fresh one; should that fail too (the
    database is away), leave it for the next run — either way, go on to the next."""
    try:
        confirmation = _confirmation(sessions, airtel, callback_id)
        with sessions.unit_of_work() as session:
            ledger = Ledger(session, clock)
            process_callback(session, ledger, blind_index, callback_id, clock(), confirmation)
        return
    except Exception as exc:  # the queue must move on
        reason = failure_reason(exc)
    log.error("callback_processing_failed", callback_id=callback_id, reason=reason)
    try:
        with sessions.unit_of_work() as session:
            session.execute(
                update(MpesaCallback)
                .where(
                    MpesaCallback.id == callback_id, MpesaCallback.status == CallbackStatus.RECEIVED
                )
                .values(status=CallbackStatus.FAILED.value, error=reason, processed_at=clock())
            )
    except Exception:  # the database is away: the next run tries again
        log.error("callback_not_marked_failed", callback_id=callback_id)
