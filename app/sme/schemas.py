"""What the app and the admin API send and receive about businesses and SME applications."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.sme.models import Business, BusinessLimitDecision, SmeApplication

SmeAmount = Annotated[StrictInt, Field(gt=0, le=10_000_000_000, examples=[50_000_000])]
Term = Annotated[StrictInt, Field(ge=1, le=60, examples=[6])]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BusinessIn(_Body):
    registration_number: str = Field(min_length=1, max_length=20, examples=["PVT-AJU7QL9"])
    kra_pin: str = Field(min_length=1, max_length=20, examples=["P051234567X"])
    till_number: str = Field(min_length=1, max_length=10, examples=["123454"])


class LimitDecisionOut(BaseModel):
    limit_minor: int
    reason: str
    decided_at: datetime
    facts: dict[str, Any]


class BusinessOut(BaseModel):
    id: int
    registration_number: str
    name: str
    kra_pin: str
    till_number: str
    limit_minor: int
    registered_at: datetime
    latest_decision: LimitDecisionOut | None

    @classmethod
    def of(cls, business: Business, decision: BusinessLimitDecision | None) -> BusinessOut:
        return cls(
            id=business.id,
            registration_number=business.registration_number,
            name=business.name,
            kra_pin=business.kra_pin,
            till_number=business.till_number,
            limit_minor=business.limit_minor,
            registered_at=business.registered_at,
            latest_decision=None
            if decision is None
            else LimitDecisionOut(
                limit_minor=decision.limit_minor,
                reason=decision.reason,
                decided_at=decision.decided_at,
                facts=decision.facts,
            ),
        )


class SmeQuoteIn(_Body):
    amount_minor: SmeAmount
    instalments: Term


class QuotedRowIn(_Body):
    due_on: date
    total_minor: StrictInt


class SmeApplicationIn(SmeQuoteIn):
    schedule: list[QuotedRowIn] = Field(min_length=1, max_length=60)
    """The quote's instalments accepted: each due date and total, as quoted today."""


class SmeApplicationOut(BaseModel):
    id: int
    business_id: int
    amount_minor: int
    instalments: int
    status: str
    quoted: dict[str, Any]
    decided_by: str | None
    approval_request_id: int | None
    loan_id: int | None
    reason: str | None
    created_at: datetime
    decided_at: datetime | None

    @classmethod
    def of(cls, application: SmeApplication) -> SmeApplicationOut:
        return cls(
            id=application.id,
            business_id=application.business_id,
            amount_minor=application.amount_minor,
            instalments=application.instalments,
            status=application.status,
            quoted=application.quoted,
            decided_by=application.decided_by,
            approval_request_id=application.approval_request_id,
            loan_id=application.loan_id,
            reason=application.reason,
            created_at=application.created_at,
            decided_at=application.decided_at,
        )
