"""What an approved resolution does to the books, each through the path the money normally
takes, each at most once (idempotency keys ``recon:<exception>:...`` or the path's own).

- ``post_callback``: a paid-in line the ledger lacks becomes the C2B confirmation M-Pesa
  would have sent, stored in the callback inbox under its receipt and processed by the normal
  worker code (repayment of the loan typed, else suspense). The inbox stores a receipt once,
  so a real confirmation arriving later is counted as a redelivery, never applied again.
- ``assign_to_loan``: the receipt is claimed in the inbox the same way, then applied to the
  chosen loan by ``apply_repayment`` keyed ``mpesa:<receipt>``; for money already in suspense
  the suspense entry is released first and the unmatched receipt closed.
- ``post_to_suspense``: the receipt is claimed, then held in suspense for an officer.
- ``book_charge`` / ``book_settlement``: the provider's charge or a bank settlement posted
  against the float (accounts in ``app.reconciliation.accounts``).
- ``record_payout`` / ``fail_payout``: a payout in flight settled as the statement shows it,
  by ``record_payout_result`` (the same code a B2C result runs).
- ``write_off``: the difference moved between the float and 5210, so the books follow the
  provider and the loss (or gain) is visible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, float_of, fund_accounts
from app.clock import EAT
from app.lending.models import Loan, Repayment, RepaymentChannel
from app.lending.repayments import IncomingRepayment, apply_repayment
from app.mpesa.inbox import Delivery, store_callback
from app.mpesa.models import (
    REVERSAL_ACTIVE,
    CallbackStatus,
    CollectionReversal,
    MpesaCallback,
    ReceiptStatus,
    UnmatchedReceipt,
)
from app.mpesa.processing import process_callback
from app.payments.models import OPEN_PAYOUT_STATUSES, Payout
from app.payments.payouts import record_payout_result
from app.reconciliation.accounts import ReconAcct, recon_account
from app.reconciliation.errors import ResolutionInvalid
from app.reconciliation.exceptions.models import ReconException
from app.reconciliation.exceptions.provider import float_account_id
from app.reconciliation.models import SAFARICOM, Statement, StatementLine
from app.security.fields import BlindIndex
from integrations.payments.port import PayoutResult
from ledger import EntryRequest, Ledger, PostingLine

INBOX_SOURCE = "reconciliation"


@dataclass(frozen=True, slots=True)
class Approval:
    session: Session
    ledger: Ledger
    blind_index: BlindIndex | None
    exception: ReconException
    resolution_id: int
    loan_id: int | None
    proposed_by: str
    approved_by: str
    now: datetime


def _line(a: Approval, *, paid_in: bool | None = None) -> StatementLine:
    line = a.session.get(StatementLine, a.exception.line_id) if a.exception.line_id else None
    if line is None or not line.moves_money:
        raise ResolutionInvalid("This exception has no statement line that moved money")
    if paid_in is not None and (line.amount_minor > 0) != paid_in:
        raise ResolutionInvalid("The statement line goes the other way for this action")
    return line


def _meta(a: Approval, **extra: object) -> dict[str, object]:
    return {
        "recon_exception": a.exception.id,
        "proposed_by": a.proposed_by,
        "approved_by": a.approved_by,
        **extra,
    }


def c2b_confirmation(line: StatementLine, shortcode: str | None) -> dict[str, str]:
    """The C2B confirmation body M-Pesa would have sent for a paid-in statement line."""
    number, _, name = (line.other_party or "").partition(" - ")
    whole, cents = divmod(line.amount_minor, 100)
    return {
        "TransactionType": "Pay Bill",
        "TransID": line.receipt,
        "TransTime": line.completed_at.astimezone(EAT).strftime("%Y%m%d%H%M%S"),
        "TransAmount": f"{whole}.{cents:02d}",
        "BusinessShortCode": shortcode or "000000",
        "BillRefNumber": line.account_ref or "",
        "InvoiceNumber": "",
        "OrgAccountBalance": "",
        "ThirdPartyTransID": "",
        "MSISDN": number.strip(),
        "FirstName": name.strip()[:40],
        "MiddleName": "",
        "LastName": "",
    }


def _store_confirmation(a: Approval, line: StatementLine) -> tuple[int, bool]:
    shortcode = a.session.scalar(
        select(Statement.shortcode).where(Statement.id == line.statement_id)
    )
    raw = json.dumps(c2b_confirmation(line, shortcode)).encode()
    delivery = Delivery("c2b/confirmation", raw, INBOX_SOURCE)
    stored = store_callback(a.session, delivery, a.now, a.blind_index)
    return stored.id, stored.duplicate


def _claim_receipt(a: Approval, line: StatementLine) -> None:
    """Store the receipt's confirmation as already processed: a real one arriving later is
    a redelivery of it, never applied a second time."""
    callback_id, duplicate = _store_confirmation(a, line)
    if duplicate:
        raise ResolutionInvalid(
            f"A confirmation of {line.receipt} is already in the inbox: re-run the "
            "reconciliation once the worker has processed it"
        )
    row = a.session.get(MpesaCallback, callback_id)
    assert row is not None
    row.status, row.processed_at = "processed", a.now


def post_callback(a: Approval) -> int | None:
    line = _line(a, paid_in=True)
    callback_id, duplicate = _store_confirmation(a, line)
    row = a.session.get(MpesaCallback, callback_id)
    assert row is not None
    if duplicate and row.status != CallbackStatus.RECEIVED:
        raise ResolutionInvalid(f"The confirmation of {line.receipt} was already {row.status}")
    status = process_callback(a.session, a.ledger, a.blind_index, callback_id, a.now)
    if status != CallbackStatus.PROCESSED:
        raise ResolutionInvalid(f"The confirmation could not be applied: {row.error or status}")
    return _entry_of_receipt(a.session, line.receipt)


def _entry_of_receipt(session: Session, receipt: str) -> int | None:
    entry = session.scalar(select(Repayment.entry_id).where(Repayment.provider_receipt == receipt))
    if entry is None:
        entry = session.scalar(
            select(UnmatchedReceipt.entry_id).where(UnmatchedReceipt.receipt == receipt)
        )
    return entry


def _loan(a: Approval) -> Loan:
    loan = a.session.get(Loan, a.loan_id) if a.loan_id else None
    if loan is None:
        raise ResolutionInvalid(f"No loan {a.loan_id}")
    return loan


def assign_to_loan(a: Approval) -> int | None:
    loan = _loan(a)
    receipt = a.exception.receipt or ""
    unmatched = a.session.scalar(
        select(UnmatchedReceipt)
        .where(UnmatchedReceipt.receipt == receipt, UnmatchedReceipt.status == ReceiptStatus.OPEN)
        .with_for_update()
    )
    if unmatched is not None:
        return _release_suspense(a, loan, unmatched)
    line = _line(a, paid_in=True)
    _claim_receipt(a, line)
    channel = (
        RepaymentChannel.STK if line.reason_type == "Pay Bill Online" else RepaymentChannel.C2B
    )
    repayment = apply_repayment(
        a.session,
        a.ledger,
        IncomingRepayment(
            loan.id,
            line.amount_minor,
            f"mpesa:{line.receipt}",
            channel,
            line.completed_at,
            receipt=line.receipt,
            decided_by=a.approved_by,
        ),
        a.now,
    )
    return repayment.entry_id


def _release_suspense(a: Approval, loan: Loan, unmatched: UnmatchedReceipt) -> int:
    reversing = a.session.scalar(
        select(CollectionReversal.id).where(
            CollectionReversal.receipt == unmatched.receipt,
            CollectionReversal.status.in_(REVERSAL_ACTIVE),
        )
    )
    if reversing is not None:
        raise ResolutionInvalid(f"Receipt {unmatched.receipt} is being sent back to its payer")
    accounts = fund_accounts(a.ledger)
    a.ledger.post(
        EntryRequest(
            f"recon:{a.exception.id}:release-suspense",
            [
                PostingLine.debit(accounts[Acct.SUSPENSE], unmatched.amount_minor),
                PostingLine.credit(accounts[Acct.FLOAT], unmatched.amount_minor),
            ],
            f"Receipt {unmatched.receipt} released from suspense to loan {loan.account_number}",
            reference=f"receipt:{unmatched.receipt}",
            metadata=_meta(a, receipt=unmatched.receipt),
            effective_at=unmatched.paid_at,
        )
    )
    repayment = apply_repayment(
        a.session,
        a.ledger,
        IncomingRepayment(
            loan.id,
            unmatched.amount_minor,
            f"mpesa:{unmatched.receipt}",
            RepaymentChannel.C2B,
            unmatched.paid_at,
            receipt=unmatched.receipt,
            decided_by=a.approved_by,
        ),
        a.now,
    )
    unmatched.status = ReceiptStatus.RESOLVED.value
    a.session.flush()
    return repayment.entry_id


def post_to_suspense(a: Approval) -> int:
    line = _line(a, paid_in=True)
    _claim_receipt(a, line)
    accounts = fund_accounts(a.ledger)
    if line.network != SAFARICOM:  # suspense and its release are M-Pesa's (docs/airtel.md)
        raise ResolutionInvalid("Only an M-Pesa payment can be held in suspense")
    entry = a.ledger.post(
        EntryRequest(
            f"suspense:{line.receipt}",
            [
                PostingLine.debit(accounts[Acct.FLOAT], line.amount_minor),
                PostingLine.credit(accounts[Acct.SUSPENSE], line.amount_minor),
            ],
            "Payment found on the provider's statement, held in suspense",
            reference=f"receipt:{line.receipt}",
            metadata={"receipt": line.receipt},
            effective_at=line.completed_at,
        )
    )
    a.session.add(
        UnmatchedReceipt(
            receipt=line.receipt,
            amount_minor=line.amount_minor,
            account_reference=line.account_ref,
            payer_hint=(line.other_party or "").partition(" - ")[0][:80] or None,
            paid_at=line.completed_at,
            entry_id=entry.id,
            status=ReceiptStatus.OPEN.value,
            created_at=a.now,
        )
    )
    a.session.flush()
    return entry.id


def _against_float(a: Approval, code: ReconAcct, line: StatementLine, role: str) -> int:
    """The line's movement between the float and ``code``, attributed to its receipt."""
    other = recon_account(a.ledger, code)
    float_id = fund_accounts(a.ledger)[float_of(line.network)]
    amount = abs(line.amount_minor)
    paid_in = line.amount_minor > 0
    entry = a.ledger.post(
        EntryRequest(
            f"recon:{a.exception.id}:{code.name.lower()}",
            [
                PostingLine.debit(float_id if paid_in else other, amount),
                PostingLine.credit(other if paid_in else float_id, amount),
            ],
            f"{line.reason_type or line.category} {line.receipt} from the provider's statement",
            reference=f"receipt:{line.receipt}",
            metadata=_meta(a, recon_receipt=line.receipt, recon_role=role),
            effective_at=line.completed_at,
        )
    )
    return entry.id


def book_charge(a: Approval) -> int:
    return _against_float(a, ReconAcct.PROVIDER_CHARGES, _line(a, paid_in=False), "charge")


def book_settlement(a: Approval) -> int:
    return _against_float(a, ReconAcct.BANK, _line(a), "main")


def _payout(a: Approval) -> Payout:
    ref = a.exception.candidate_ref or ""
    payout_id = a.exception.payout_id or (
        int(ref.split(":", 1)[1]) if ref.startswith("payout:") else None
    )
    payout = a.session.get(Payout, payout_id, with_for_update=True) if payout_id else None
    if payout is None or payout.status not in OPEN_PAYOUT_STATUSES:
        raise ResolutionInvalid("The payout is no longer in flight")
    return payout


def record_payout(a: Approval) -> int:
    payout = _payout(a)
    line = _line(a, paid_in=False)
    result = PayoutResult(
        payout.originator_id,
        True,
        line.receipt,
        "0",
        "Confirmed by the provider's statement",
        line.completed_at,
    )
    record_payout_result(a.session, a.ledger, result, a.now)
    return payout.hold_entry_id


def fail_payout(a: Approval) -> int:
    payout = _payout(a)
    result = PayoutResult(
        payout.originator_id, False, None, "not_on_statement", "Not on the provider's statement"
    )
    record_payout_result(a.session, a.ledger, result, a.now)
    return payout.hold_entry_id


def write_off(a: Approval) -> int:
    """Move the difference (statement minus ledger) between the float and 5210."""
    difference = a.exception.difference_minor
    if difference == 0:
        raise ResolutionInvalid("There is no difference to write off")
    other = recon_account(a.ledger, ReconAcct.DIFFERENCES)
    float_id = float_account_id(a.session, a.ledger, a.exception)
    extra: dict[str, object] = {}
    if a.exception.receipt and a.exception.kind != "float_difference":
        extra = {"recon_receipt": a.exception.receipt, "recon_role": a.exception.role or "main"}
    entry = a.ledger.post(
        EntryRequest(
            f"recon:{a.exception.id}:write-off",
            [
                PostingLine.debit(float_id if difference > 0 else other, abs(difference)),
                PostingLine.credit(other if difference > 0 else float_id, abs(difference)),
            ],
            f"Reconciliation difference written off ({a.exception.kind})",
            reference=f"receipt:{a.exception.receipt}" if a.exception.receipt else None,
            metadata=_meta(a, **extra),
        )
    )
    return entry.id
