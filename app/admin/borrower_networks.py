"""Correcting the stored network of borrowers who opted in before Airtel support
(``mkopo borrowers renetwork``): migration 0018 set every existing borrower to ``safaricom``
because it could not read the encrypted numbers; this reads them with the field keys and
derives the network (``integrations.payments.networks.network_of``).

Rules:
- a borrower whose number maps to a different network we serve is corrected;
- one with a payout or a push in flight is left as it is and reported: its money went
  through the old network's provider, and its result must land on that provider's float.
  The borrower row is locked first (``FOR UPDATE``), as taking a loan locks it, so no new
  payout slips in between the check and the change;
- a number in no range we serve, or that does not decrypt, is reported, never changed;
- idempotent (a second run finds nothing to change); a dry run changes nothing.

Each correction is audited (``borrower.network_corrected``). The service flushes; the caller
commits (one transaction for the run).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.audit.log import Actor, record
from app.borrowers.models import Borrower
from app.mpesa.models import StkRequest, StkStatus
from app.payments.models import OPEN_PAYOUT_STATUSES, Payout
from app.security.fields import FieldCipher, UndecryptableField
from integrations.payments.networks import network_of

BATCH = 500
"""Borrowers read at a time (keyset by id)."""
OPEN_PUSH_STATUSES = (StkStatus.PENDING, StkStatus.SENT, StkStatus.UNKNOWN)
OPERATOR = Actor("mkopo-cli", "system")
"""Who the audit names: the one-off command, run by an operator with the field keys."""


@dataclass
class RenetworkReport:
    examined: int = 0
    unchanged: int = 0
    corrected: Counter[str] = field(default_factory=Counter)
    """By change, e.g. ``{"safaricom->airtel": 3}`` (what would be, in a dry run)."""
    skipped_in_flight: list[int] = field(default_factory=list)
    """Borrower ids left as they are: a payout or a push is in flight."""
    unknown_network: list[int] = field(default_factory=list)
    """Numbers in no range of a network we serve."""
    undecryptable: list[int] = field(default_factory=list)

    def as_dict(self, dry_run: bool) -> dict[str, Any]:
        return {
            "dry_run": dry_run,
            "examined": self.examined,
            "unchanged": self.unchanged,
            "corrected": sum(self.corrected.values()),
            "corrected_by_change": dict(sorted(self.corrected.items())),
            "skipped_in_flight": self.skipped_in_flight,
            "unknown_network": self.unknown_network,
            "undecryptable": self.undecryptable,
        }


def _in_flight(session: Session, borrower_id: int) -> bool:
    payout = exists().where(
        Payout.borrower_id == borrower_id,
        Payout.status.in_([s.value for s in OPEN_PAYOUT_STATUSES]),
    )
    push = exists().where(
        StkRequest.borrower_id == borrower_id,
        StkRequest.status.in_([s.value for s in OPEN_PUSH_STATUSES]),
    )
    return bool(session.scalar(select(payout | push)))


def renetwork_borrowers(
    session: Session, cipher: FieldCipher, now: datetime, *, dry_run: bool
) -> RenetworkReport:
    report = RenetworkReport()
    after_id = 0
    while True:
        batch = list(
            session.scalars(
                select(Borrower).where(Borrower.id > after_id).order_by(Borrower.id).limit(BATCH)
            )
        )
        for borrower in batch:
            _one(session, cipher, borrower, now, report, dry_run)
        if len(batch) < BATCH:
            return report
        after_id = batch[-1].id


def _one(
    session: Session,
    cipher: FieldCipher,
    borrower: Borrower,
    now: datetime,
    report: RenetworkReport,
    dry_run: bool,
) -> None:
    report.examined += 1
    try:
        found = network_of(cipher.decrypt(borrower.phone_enc))
    except UndecryptableField:
        report.undecryptable.append(borrower.id)
        return
    if found is None:
        report.unknown_network.append(borrower.id)
        return
    if found == borrower.network:
        report.unchanged += 1
        return
    session.refresh(borrower, with_for_update=True)  # a loan being taken waits, or we do
    if _in_flight(session, borrower.id):
        report.skipped_in_flight.append(borrower.id)
        return
    was = borrower.network
    report.corrected[f"{was}->{found.value}"] += 1
    if dry_run:
        return
    borrower.network = found.value
    session.flush()
    record(
        session,
        OPERATOR,
        "borrower.network_corrected",
        ("borrower", borrower.id),
        now,
        before={"network": was},
        after={"network": found.value},
    )
