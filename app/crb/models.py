"""Bureau submissions, the records a bureau rejected, and negative listings.

Database invariants: one submission per (bureau, file name), so a job run twice the same day
sends nothing twice; one listing per loan; a listing is for more than KES 1,000 (CHECK on the
noticed and the listed amount: the regulations forbid listing at or below it); a listed or
later listing has the date it was listed, never before the date the notice gave.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, UTCDateTime

# KES 1,000 (integrations.crb.validation.LISTING_THRESHOLD_MINOR), written out in the CHECKs.


class SubmissionStatus(enum.StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class CrbSubmission(Base):
    """One file dropped in one bureau's inbox, and the bureau's answer."""

    __tablename__ = "crb_submissions"
    __table_args__ = (
        UniqueConstraint("bureau", "file_name", name="uq_crb_submissions_bureau_file"),
        CheckConstraint("status IN ('sent', 'accepted', 'rejected')", name="status_known"),
        CheckConstraint("kind IN ('daily', 'monthly')", name="kind_known"),
        CheckConstraint("file_type IN ('consumer', 'account')", name="file_type_known"),
        CheckConstraint("rejections >= 0 AND records >= 0", name="counts_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    bureau: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(8))
    """``daily`` or ``monthly``."""
    file_type: Mapped[str] = mapped_column(String(10))
    """``consumer`` or ``account``."""
    business_date: Mapped[date] = mapped_column(Date, index=True)
    file_name: Mapped[str] = mapped_column(String(80))
    file_sha256: Mapped[str] = mapped_column(String(64))
    records: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    rejections: Mapped[int] = mapped_column(Integer, default=0)
    """Errors in the bureau's acknowledgement (0 while sent, and when accepted)."""
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CrbRejection(Base):
    """One error of a rejected file: kept until a later file of the same bureau and type is
    accepted (every file is a full file, so it carries the corrected record)."""

    __tablename__ = "crb_rejections"
    __table_args__ = (CheckConstraint("record >= 0", name="record_non_negative"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("crb_submissions.id"), index=True)
    record: Mapped[int] = mapped_column(Integer)
    """1 for the first record after the header; 0 for the file itself."""
    field: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When a later file of the same bureau and type was accepted."""


class ListingState(enum.StrEnum):
    NOTICE_SENT = "notice_sent"
    """Pre-listing notice sent; listed on ``listing_on`` if still owing above KES 1,000."""
    LISTED = "listed"
    """Listed: the loan's account records carry the negative status."""
    WITHDRAWN = "withdrawn"
    """Never listed: repaid, or down to KES 1,000 or less, by the listing date."""
    CLEARED = "cleared"
    """Repaid after the listing: the files carry the cleared status."""
    DELISTED = "delisted"
    """Down to KES 1,000 or less while listed, still owing: delisted (the regulations)."""


class CrbListing(Base):
    __tablename__ = "crb_listings"
    __table_args__ = (
        UniqueConstraint("loan_id", name="uq_crb_listings_loan"),
        CheckConstraint(
            "state IN ('notice_sent', 'listed', 'withdrawn', 'cleared', 'delisted')",
            name="state_known",
        ),
        CheckConstraint("noticed_amount_minor > 100000", name="noticed_above_threshold"),
        CheckConstraint(
            "(listed_on IS NULL AND listed_amount_minor IS NULL) OR "
            "(listed_on IS NOT NULL AND listed_amount_minor > 100000 AND listed_on >= listing_on)",
            name="listed_above_threshold_on_time",
        ),
        CheckConstraint(
            "state NOT IN ('listed', 'cleared', 'delisted') OR listed_on IS NOT NULL",
            name="listed_has_date",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), index=True)
    noticed_amount_minor: Mapped[int] = mapped_column(BigInteger)
    """What the loan owed when the notice went out (told to the borrower)."""
    notice_on: Mapped[date] = mapped_column(Date)
    listing_on: Mapped[date] = mapped_column(Date)
    """``notice_on`` + 30 days: the earliest listing date told to the borrower."""
    listed_on: Mapped[date | None] = mapped_column(Date)
    listed_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    """What the loan owed when it was listed."""
    closed_on: Mapped[date | None] = mapped_column(Date)
    """When the listing was withdrawn, cleared or delisted."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
