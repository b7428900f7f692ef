"""The ledger side of a run: float movements grouped by provider receipt, in one statement.

A movement on the float account (1010) is attributed to a receipt by what booked it: a
payout's posted hold by the payout's receipt, a collection reversal's posted hold by the
reversal's receipt, anything else by its entry's metadata (``recon_receipt`` set by a
reconciliation resolution, else ``receipt`` set by repayments and suspense). Per (receipt,
role) the snapshot keeps the net amount and how many movements went each way, so a receipt
booked twice shows as two movements in and a corrected one nets to zero.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, and_, case, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from app.mpesa.models import CollectionReversal, ReceiptStatus, UnmatchedReceipt
from app.payments.models import Payout
from app.reconciliation.models import LedgerItem
from app.reconciliation.sql import changed
from ledger.schema import JournalEntry, Posting


def float_movements(
    float_account_id: int, since: datetime, until: datetime, receipt: str | None = None
) -> Select[tuple[object, ...]]:
    """Posted float postings with value date in [since, until), with their receipt and role."""
    p, e = Posting.__table__, JournalEntry.__table__
    po, cr = Payout.__table__, CollectionReversal.__table__
    meta_receipt = e.c.meta["receipt"].as_string()
    recon_receipt = e.c.meta["recon_receipt"].as_string()
    receipt_of = case(
        (cr.c.id.is_not(None), cr.c.reversal_receipt),
        (po.c.id.is_not(None), po.c.provider_receipt),
        else_=func.coalesce(recon_receipt, meta_receipt),
    )
    source = case(
        (cr.c.id.is_not(None), "reversal"),
        (po.c.id.is_not(None), "payout"),
        (recon_receipt.is_not(None), "adjustment"),
        (e.c.idempotency_key.like("suspense:%"), "suspense"),
        (e.c.meta["channel"].as_string().is_not(None), "repayment"),
        else_="other",
    )
    query = (
        select(
            receipt_of.label("receipt"),
            func.coalesce(e.c.meta["recon_role"].as_string(), "main").label("role"),
            case((p.c.side == "D", p.c.amount_minor), else_=-p.c.amount_minor).label("signed"),
            p.c.entry_id,
            p.c.effective_at,
            source.label("source"),
            func.coalesce(po.c.loan_id, e.c.meta["loan_id"].as_integer()).label("loan_id"),
        )
        .select_from(
            p.join(e, e.c.id == p.c.entry_id)
            .outerjoin(po, po.c.hold_entry_id == e.c.pending_entry_id)
            .outerjoin(cr, cr.c.hold_entry_id == e.c.pending_entry_id)
        )
        .where(
            p.c.account_id == float_account_id,
            p.c.phase == "posted",
            p.c.effective_at >= since,
            p.c.effective_at < until,
        )
    )
    if receipt is not None:
        query = query.where(receipt_of == receipt)
    return query


def take_snapshot(
    session: Session, run_id: int, float_account_id: int, since: datetime, until: datetime
) -> int:
    """Store the run's ledger items (one INSERT ... SELECT); returns how many."""
    m = float_movements(float_account_id, since, until).subquery()
    suspense_open = exists(
        select(literal(1)).where(
            UnmatchedReceipt.receipt == m.c.receipt, UnmatchedReceipt.status == ReceiptStatus.OPEN
        )
    )
    grouped = (
        select(
            literal(run_id),
            m.c.receipt,
            m.c.role,
            func.sum(m.c.signed),
            func.sum(case((m.c.signed > 0, 1), else_=0)),
            func.sum(case((m.c.signed < 0, 1), else_=0)),
            func.min(m.c.entry_id),
            func.min(m.c.effective_at),
            func.min(m.c.source),
            func.max(m.c.loan_id),
            suspense_open,
        )
        .where(m.c.receipt.is_not(None))
        .group_by(m.c.receipt, m.c.role)
    )
    columns = [
        "run_id",
        "receipt",
        "role",
        "net_minor",
        "in_count",
        "out_count",
        "first_entry_id",
        "first_at",
        "source",
        "loan_id",
        "suspense_open",
    ]
    return changed(session, insert(LedgerItem).from_select(columns, grouped))


def receipt_net_minor(
    session: Session,
    float_account_id: int,
    receipt: str,
    role: str,
    since: datetime,
    until: datetime,
) -> int:
    """The ledger's net float movement for one receipt and role now (approvals re-check it)."""
    m = float_movements(float_account_id, since, until, receipt).subquery()
    total = session.scalar(
        select(func.coalesce(func.sum(m.c.signed), 0)).where(and_(m.c.role == role))
    )
    return int(total or 0)
