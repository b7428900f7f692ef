"""Request and response bodies of the app API.

Requests refuse unknown fields and bound every string, so a body cannot carry more than the
route needs. Amounts are integer cents (``*_minor``); headline amounts also come written for
people (``*_display``, ``KES 1,234.50``). Phones leave the API only masked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from app.lending.schemas import SettlementOut
from app.mobile.tokens import IssuedTokens

MAX_AMOUNT_MINOR = 100_000_000_00
"""KES 100m: far above any product; keeps arithmetic and columns far from overflow."""

Phone = Annotated[str, Field(min_length=9, max_length=20, examples=["0712345678"])]
Pin = Annotated[str, Field(min_length=1, max_length=8, examples=["4826"])]
AmountMinor = Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT_MINOR, examples=[100_000])]
ProductCode = Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,32}$")]


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhoneIn(RequestBody):
    phone: Phone


class CodeIn(RequestBody):
    phone: Phone
    code: str = Field(pattern=r"^[0-9]{6}$", examples=["123456"])


class RegistrationIn(RequestBody):
    verification_token: str = Field(min_length=1, max_length=100)
    national_id: str = Field(min_length=1, max_length=16, examples=["12345670"])
    accept_terms: StrictBool
    pin: Pin


class LoginIn(RequestBody):
    phone: Phone
    pin: Pin


class RefreshIn(RequestBody):
    refresh_token: str = Field(min_length=1, max_length=200)


class PinChangeIn(RequestBody):
    current_pin: Pin
    new_pin: Pin


class QuoteIn(RequestBody):
    amount_minor: AmountMinor
    product_code: ProductCode = "personal"


class AmountIn(RequestBody):
    amount_minor: AmountMinor


class CodeSentOut(BaseModel):
    detail: str
    expires_in_s: int


class VerifiedOut(BaseModel):
    verification_token: str
    expires_in_s: int


class TokensOut(BaseModel):
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme's name, not a secret
    access_token: str
    expires_in_s: int
    refresh_token: str
    refresh_expires_in_s: int
    borrower_id: int

    @classmethod
    def of(cls, issued: IssuedTokens, now: datetime) -> TokensOut:
        return cls(
            access_token=issued.access_token,
            expires_in_s=int((issued.access_expires_at - now).total_seconds()),
            refresh_token=issued.refresh_token,
            refresh_expires_in_s=int((issued.refresh_expires_at - now).total_seconds()),
            borrower_id=issued.borrower_id,
        )


class MeOut(BaseModel):
    borrower_id: int
    full_name: str
    phone_masked: str
    status: str
    terms_version: str
    opted_in_at: datetime
    opted_out_at: datetime | None
    frozen: bool
    credit_limit_minor: int
    credit_limit_display: str


class LimitOut(BaseModel):
    credit_limit_minor: int
    owed_principal_minor: int
    """Principal outstanding plus any disbursement still on its way."""
    available_minor: int
    available_display: str
    score_band: str | None
    frozen: bool


class QuotedInstalmentOut(BaseModel):
    """One instalment of a quoted schedule."""

    number: int
    due_on: date
    principal_minor: int
    interest_minor: int
    total_minor: int
    total_display: str


class QuoteOut(BaseModel):
    product_code: str
    amount_minor: int
    cash_minor: int
    savings_minor: int
    savings_long_minor: int
    savings_short_minor: int
    interest_to_due_minor: int
    total_due_minor: int
    """Owed on the due date if nothing is repaid, after ``credit_applied_minor``."""
    outstanding_before_minor: int
    credit_applied_minor: int
    """Your credit balance (earlier overpayments), applied to the loan when the money
    arrives: already taken off the total due."""
    due_on: date
    regular_rate_bp: int
    penalty_rate_bp: int
    amount_display: str
    cash_display: str
    savings_display: str
    interest_display: str
    credit_applied_display: str
    total_due_display: str
    instalments: list[QuotedInstalmentOut] | None = None
    """An instalment product's schedule (the total due is its principal plus its interest,
    ``interest_to_due_minor``: the total cost of credit); null for a bullet product."""


class DisbursementOut(BaseModel):
    """A payout to the borrower's wallet: a loan, a top-up or a savings withdrawal."""

    id: int
    purpose: str
    status: str
    """pending, submitted, unknown (being checked), succeeded or failed."""
    loan_id: int | None
    principal_minor: int
    cash_minor: int
    savings_minor: int
    cash_display: str
    receipt: str | None
    failure_reason: str | None
    requested_at: datetime
    completed_at: datetime | None


class RepaymentOut(BaseModel):
    id: int
    channel: str
    receipt: str | None
    amount_minor: int
    penalty_minor: int
    interest_minor: int
    principal_minor: int
    overpayment_minor: int
    """Paid beyond the debt: kept as the borrower's credit balance."""
    received_at: datetime


class InterestOut(BaseModel):
    interest_accrued_minor: int
    penalty_accrued_minor: int
    days_accrued: int
    accrued_through: date | None
    regular_rate_bp: int
    penalty_rate_bp: int
    penalty_from_day: int


class InstalmentOut(BaseModel):
    number: int
    """1 for a bullet loan's one instalment; a restructured loan's numbers continue after
    the instalments its new schedule replaced."""
    due_on: date
    principal_minor: int
    interest_minor: int
    """A bullet loan: interest owed now plus the interest still to accrue until the due
    date. An instalment loan: the interest due with the instalment."""
    penalty_minor: int
    total_minor: int
    """Principal + interest + penalty due with it."""
    total_display: str
    paid_minor: int
    """Paid towards it so far (a bullet loan: 0, its amounts are what is owed now)."""
    left_minor: int
    """What it still asks."""
    status: Literal["upcoming", "due_today", "overdue", "paid", "written_off"]


class LoanSummaryOut(BaseModel):
    id: int
    account_number: str
    """The paybill account number."""
    status: str
    product_code: str
    principal_disbursed_minor: int
    outstanding_minor: int
    outstanding_display: str
    disbursed_on: date | None
    due_on: date | None
    closed_at: datetime | None


class LoanHistoryOut(BaseModel):
    disbursements: list[DisbursementOut]
    repayments: list[RepaymentOut]
    interest: InterestOut
    truncated: bool
    """More disbursements or repayments than shown: see /statement for all."""


class LoanOut(LoanSummaryOut):
    principal_pending_minor: int
    principal_outstanding_minor: int
    interest_outstanding_minor: int
    penalty_outstanding_minor: int
    schedule: list[InstalmentOut]
    settlement: SettlementOut | None
    """What pays the loan off today; None once it is closed."""
    history: LoanHistoryOut


class LoansPage(BaseModel):
    items: list[LoanSummaryOut]
    next_offset: int | None


class StkRequestOut(BaseModel):
    id: int
    loan_id: int
    amount_minor: int
    amount_display: str
    status: str
    """pending, sent (prompt on the phone), succeeded, failed or unknown (being checked)."""
    receipt: str | None
    requested_at: datetime
    resolved_at: datetime | None


class SavingsOut(BaseModel):
    long_term_minor: int
    short_term_minor: int
    short_term_held_minor: int
    """Held against a defaulted loan (lien)."""
    credit_balance_minor: int
    withdrawable_minor: int
    withdrawable_display: str
    withdrawal_blocked_because: str | None


class StatementLineOut(BaseModel):
    id: str
    """``payout-<id>`` or ``repayment-<id>``: stable across pages."""
    at: datetime
    kind: str
    """loan, topup, savings_withdrawal, refund (money to you) or repayment (from you)."""
    direction: Literal["received", "paid"]
    amount_minor: int
    amount_display: str
    receipt: str | None
    loan_account: str | None


class StatementPage(BaseModel):
    items: list[StatementLineOut]
    next_offset: int | None
