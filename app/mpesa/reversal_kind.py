"""Sending a mistaken collection back, as a kind of four-eyes request (``app.approvals``).

The request (kind ``collection_reversal``, subject ``receipt <receipt>``) holds the decision:
one administrator other than the requester approves, within ``REVERSAL_EXPIRY``. The
``collection_reversals`` row keeps what the reversals API shows and everything after the
decision (the hold, the provider's answer); while requested its status is mirrored from the
request in the same transaction (``apply`` on approval, ``closed`` otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, fund_accounts
from app.approvals.kinds import ApprovalHandler, Approved, DecisionPolicy, KindRules
from app.approvals.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from app.errors import DomainError
from app.mpesa.models import CollectionReversal, ReceiptStatus, ReversalStatus, UnmatchedReceipt
from app.staff.models import Role
from ledger import EntryRequest, Ledger, PostingLine

REVERSAL_EXPIRY = timedelta(days=2)
"""The payer is waiting for their money: a request nobody decided in two days expires."""


class ReceiptNotFound(DomainError, code="receipt_not_found", http_status=404): ...


class ReceiptNotOpen(DomainError, code="receipt_not_open", http_status=409): ...


class ReversalNotFound(DomainError, code="reversal_not_found", http_status=404): ...


class ReversalHandler(KindRules):
    kind = ApprovalKind.COLLECTION_REVERSAL
    effect = "reversal.hold"
    policy = DecisionPolicy(
        decider_roles=frozenset({Role.ADMIN.value}), expires_after=REVERSAL_EXPIRY
    )

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        unmatched = _unmatched(session, asked["receipt"])
        return {"receipt": unmatched.receipt, "amount_minor": unmatched.amount_minor}

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return "receipt", str(payload["receipt"])

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        unmatched = _unmatched(session, payload["receipt"])
        if unmatched.status != ReceiptStatus.OPEN:
            raise ReceiptNotOpen(f"Receipt {unmatched.receipt} is already resolved")
        return {"receipt": unmatched.receipt, "status": unmatched.status}

    def apply(self, approved: Approved) -> dict[str, Any]:
        """Hold the amount: Dr suspense / Cr float, pending, so the same money cannot also
        be assigned to a loan while it travels."""
        session, ledger, approval, checker, now = approved.parts()
        reversal = reversal_of(session, approval)
        accounts = fund_accounts(ledger)
        hold = ledger.hold(
            EntryRequest(
                f"reversal:{reversal.id}:hold",
                [
                    PostingLine.debit(accounts[Acct.SUSPENSE], reversal.amount_minor),
                    PostingLine.credit(accounts[Acct.FLOAT], reversal.amount_minor),
                ],
                f"Reversal of receipt {reversal.receipt} to its payer",
                reference=f"receipt:{reversal.receipt}",
                metadata={
                    "receipt": reversal.receipt,
                    "requested_by": reversal.requested_by,
                    "approved_by": checker.username,
                },
            )
        )
        reversal.status, reversal.approved_by = ReversalStatus.APPROVED.value, checker.username
        reversal.decided_at, reversal.hold_entry_id, reversal.next_check_at = now, hold.id, now
        session.flush()
        return {"reversal_id": reversal.id, "hold_entry_id": hold.id}

    def closed(self, session: Session, approval: ApprovalRequest, now: datetime) -> None:
        reversal = reversal_of(session, approval)
        status = ApprovalStatus(approval.status)
        if status == ApprovalStatus.EXPIRED:
            reversal.status = ReversalStatus.EXPIRED.value
        elif status == ApprovalStatus.FAILED:  # the receipt moved on: nothing was held
            reversal.status = ReversalStatus.FAILED.value
            reversal.result_code = "approval_failed"
            reversal.result_desc = (approval.decision_note or "")[:200]
        else:  # rejected, or withdrawn by its requester
            reversal.status = ReversalStatus.REJECTED.value
        reversal.approved_by = approval.checker  # None when withdrawn or expired
        reversal.decided_at = reversal.resolved_at = now
        session.flush()


COLLECTION_REVERSAL: ApprovalHandler = ReversalHandler()


def reversal_of(session: Session, approval: ApprovalRequest) -> CollectionReversal:
    found = session.scalar(
        select(CollectionReversal)
        .where(CollectionReversal.approval_id == approval.id)
        .with_for_update()
    )
    if found is None:
        raise ReversalNotFound(f"No reversal for approval request {approval.id}")
    return found


def _unmatched(session: Session, receipt: str) -> UnmatchedReceipt:
    unmatched = session.scalar(
        select(UnmatchedReceipt).where(UnmatchedReceipt.receipt == receipt).with_for_update()
    )
    if unmatched is None:
        raise ReceiptNotFound(f"No unmatched payment with receipt {receipt}")
    return unmatched
