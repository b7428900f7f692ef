"""Request and response shapes of the admin API. Amounts are integers of minor units.

Bodies forbid unknown fields (no mass assignment). Free text refuses control characters.
Responses carry masked phone numbers and national IDs only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, StrictInt

from app.admin.borrower_views import MaskedIdentity
from app.api.bodies import FREE_TEXT, ReasonIn, RowOut, StrictBody
from app.borrowers.models import Borrower
from app.lending.models import Loan
from app.lending.schemas import InstalmentRowOut, SettlementOut
from app.reports.loan_book import days_overdue
from ledger.types import MAX_AMOUNT_MINOR


class FreezeIn(StrictBody):
    reason: str = Field(min_length=3, max_length=56, pattern=FREE_TEXT)
    """Shown on the borrower as ``staff: <reason>``."""


class LimitOverrideIn(ReasonIn):
    limit_minor: StrictInt = Field(ge=0, le=MAX_AMOUNT_MINOR)


class LoanOut(BaseModel):
    id: int
    account_number: str
    borrower_id: int
    business_id: int | None
    """An SME loan's business (its borrower is the owner); None for a personal loan."""
    product_code: str
    status: str
    credit_limit_minor: int
    principal_pending_minor: int
    principal_disbursed_minor: int
    principal_outstanding_minor: int
    interest_outstanding_minor: int
    penalty_outstanding_minor: int
    outstanding_minor: int
    disbursed_on: date | None
    due_on: date | None
    days_overdue: int
    defaulted_at: datetime | None
    closed_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, loan: Loan, today: date) -> LoanOut:
        return cls(**_loan_fields(loan, today))


def _loan_fields(loan: Loan, today: date) -> dict[str, Any]:
    names = set(LoanOut.model_fields) - {"product_code", "outstanding_minor", "days_overdue"}
    return {
        **{name: getattr(loan, name) for name in names},
        "product_code": loan.product_terms["code"],
        "outstanding_minor": loan.outstanding_minor,
        "days_overdue": days_overdue(loan, today),
    }


class LoanPage(BaseModel):
    items: list[LoanOut]
    next_after_id: int | None


class RepaymentOut(RowOut):
    id: int
    channel: str
    provider_receipt: str | None
    amount_minor: int
    penalty_minor: int
    interest_minor: int
    principal_minor: int
    overpayment_minor: int
    received_at: datetime


class LoanDetailOut(LoanOut):
    interest_accrued_minor: int
    penalty_accrued_minor: int
    product_terms: dict[str, Any]
    """The terms the loan was made on."""
    repayments: list[RepaymentOut]
    """The latest repayments, newest first (at most 50)."""
    settlement: SettlementOut | None
    """What pays the loan off today; None once it is closed."""
    restructured_at: datetime | None
    restructure_count: int
    instalments: list[InstalmentRowOut]
    """An instalment loan's rows, superseded ones included (none for a bullet loan)."""

    @classmethod
    def of_loan(
        cls,
        loan: Loan,
        today: date,
        repayments: list[RepaymentOut],
        extra: tuple[SettlementOut | None, list[InstalmentRowOut]],
    ) -> LoanDetailOut:
        settlement, instalments = extra
        return cls(
            **_loan_fields(loan, today),
            interest_accrued_minor=loan.interest_accrued_minor,
            penalty_accrued_minor=loan.penalty_accrued_minor,
            product_terms=loan.product_terms,
            repayments=repayments,
            settlement=settlement,
            restructured_at=loan.restructured_at,
            restructure_count=loan.restructure_count,
            instalments=instalments,
        )


class BorrowerOut(BaseModel):
    id: int
    status: str
    phone_masked: str
    national_id_masked: str
    full_name: str | None
    opted_in_at: datetime
    opted_out_at: datetime | None
    frozen_at: datetime | None
    frozen_reason: str | None
    credit_limit_minor: int
    score_band: str | None
    loans_repaid_on_time: int
    savings_long_minor: int
    savings_short_minor: int
    savings_short_held_minor: int
    credit_balance_minor: int
    pin_locked_until: datetime | None
    loan: LoanOut | None
    """The open loan, else the latest one."""

    @classmethod
    def of(
        cls, borrower: Borrower, identity: MaskedIdentity, loan: Loan | None, today: date
    ) -> BorrowerOut:
        names = set(cls.model_fields) - {"phone_masked", "national_id_masked", "full_name", "loan"}
        return cls(
            **{name: getattr(borrower, name) for name in names},
            phone_masked=identity.phone_masked,
            national_id_masked=identity.national_id_masked,
            full_name=identity.full_name,
            loan=LoanOut.of(loan, today) if loan is not None else None,
        )
