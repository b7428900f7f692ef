"""Bureau submissions, the records a bureau rejected, negative listings and disputes.

Database invariants: one open dispute per loan, and a dispute closed with its outcome and
time (an upheld one with the correction it made); one submission per (bureau, file name), so
a job run twice the same day sends nothing twice; one listing per loan; a listing is for more
than KES 1,000 (CHECK on the noticed and the listed amount: the regulations forbid listing at
or below it); a listed or later listing has the date it was listed, never before the date the
notice gave.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
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
    LIFTED = "lifted"
    """Taken back after the borrower's dispute was upheld (``app.crb.disputes``): the files
    carry the account as if never listed, and the loan is never noticed again."""


class CrbListing(Base):
    __tablename__ = "crb_listings"
    __table_args__ = (
        UniqueConstraint("loan_id", name="uq_crb_listings_loan"),
        CheckConstraint(
            "state IN ('notice_sent', 'listed', 'withdrawn', 'cleared', 'delisted', 'lifted')",
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


class DisputeReason(enum.StrEnum):
    PAID = "paid"
    """The borrower says the loan is paid (or was when it was listed)."""
    NOT_MINE = "not_mine"
    WRONG_AMOUNT = "wrong_amount"
    OTHER = "other"


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    """Flagged in the files (``dispute_flag`` Y) until resolved."""
    UPHELD = "upheld"
    """Resolved for the borrower under four eyes; the correction goes out in the next file."""
    REJECTED = "rejected"
    """Resolved against the borrower under four eyes, with the reason told to them."""


class DisputeChannel(enum.StrEnum):
    APP = "app"
    USSD = "ussd"
    SUPPORT = "support"


class Correction(enum.StrEnum):
    LIFT_LISTING = "lift_listing"
    """The loan's notice or listing is taken back (``ListingState.LIFTED``)."""


OPEN_DISPUTE = "status = 'open'"


class CrbDispute(Base):
    __tablename__ = "crb_disputes"
    __table_args__ = (
        CheckConstraint(
            "reason IN ('paid', 'not_mine', 'wrong_amount', 'other')", name="reason_known"
        ),
        CheckConstraint("status IN ('open', 'upheld', 'rejected')", name="status_known"),
        CheckConstraint("channel IN ('app', 'ussd', 'support')", name="channel_known"),
        CheckConstraint(
            "(status = 'open' AND resolved_at IS NULL AND correction IS NULL) OR "
            "(status = 'rejected' AND resolved_at IS NOT NULL AND correction IS NULL) OR "
            "(status = 'upheld' AND resolved_at IS NOT NULL AND correction = 'lift_listing')",
            name="closed_with_outcome",
        ),
        Index(
            "uq_crb_disputes_one_open_per_loan",
            "loan_id",
            unique=True,
            sqlite_where=text(OPEN_DISPUTE),
            postgresql_where=text(OPEN_DISPUTE),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(300))
    """The borrower's own words (app, support), if any."""
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    respond_by: Mapped[date] = mapped_column(Date)
    """20 days after it was opened: the CRB Regulations' time to answer a dispute."""
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_note: Mapped[str | None] = mapped_column(String(300))
    correction: Mapped[str | None] = mapped_column(String(16))
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approval_requests.id"))
    """The four-eyes request that resolved it."""
