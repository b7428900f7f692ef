"""A business's limit from its till's cash flow and its owner's record.

``limit = average monthly net inflow (the product's ``cash_flow_months`` whole months before
today) x ``cash_flow_multiple_bp`` x the owner's factor``, rounded down to KES 1,000 and
capped at the product's maximum. The owner's factor: 100% with 3 or more loans repaid on
time, 75% with 1 or 2, 50% with none. Zero, with the reason, when the owner ever defaulted
(``owner_defaulted``), when the till shows no net inflow (``no_cash_flow``) or when the
result is below the product's minimum (``below_minimum``); else the reason is ``cash_flow``.
Every decision is a ``BusinessLimitDecision`` row with its facts (no personal identifiers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.borrowers.service import get_borrower
from app.money import SHILLING
from app.products.models import Product
from app.scoring.business_features import cash_flow, whole_months_before
from app.sme.models import BUSINESS_AUDIENCE, Business, BusinessLimitDecision, BusinessProductRules
from app.sme.owners import OwnerRecord, owner_record
from integrations.mobile_money import TillHistory

ROUND_TO_MINOR = 1_000 * SHILLING
BP = 10_000
ON_TIME_FULL = 3


@dataclass(frozen=True, slots=True)
class LimitOutcome:
    limit_minor: int
    reason: str
    facts: dict[str, Any]


def owner_factor_pct(record: OwnerRecord) -> int:
    if record.repaid_on_time >= ON_TIME_FULL:
        return 100
    return 75 if record.repaid_on_time > 0 else 50


def business_product(session: Session) -> tuple[Product, BusinessProductRules]:
    row = session.execute(
        select(Product, BusinessProductRules)
        .join(BusinessProductRules, BusinessProductRules.product_id == Product.id)
        .where(Product.audience == BUSINESS_AUDIENCE)
        .order_by(Product.id)
    ).first()
    assert row is not None, "migration 0030 seeds the SME product"
    return row[0], row[1]


def compute_limit(
    product: Product, rules: BusinessProductRules, average_net_minor: int, record: OwnerRecord
) -> LimitOutcome:
    factor = owner_factor_pct(record)
    facts: dict[str, Any] = {
        "average_net_inflow_minor": average_net_minor,
        "cash_flow_multiple_bp": rules.cash_flow_multiple_bp,
        "owner_repaid_on_time": record.repaid_on_time,
        "owner_ever_defaulted": record.ever_defaulted,
        "owner_factor_pct": factor,
        "product_min_minor": product.min_amount_minor,
        "product_max_minor": product.max_amount_minor,
    }
    if record.ever_defaulted:
        return LimitOutcome(0, "owner_defaulted", facts)
    if average_net_minor <= 0:
        return LimitOutcome(0, "no_cash_flow", facts)
    raw = average_net_minor * rules.cash_flow_multiple_bp * factor // (BP * 100)
    limit = min(raw // ROUND_TO_MINOR * ROUND_TO_MINOR, product.max_amount_minor)
    if limit < product.min_amount_minor:
        return LimitOutcome(0, "below_minimum", {**facts, "computed_minor": limit})
    return LimitOutcome(limit, "cash_flow", facts)


def decide_limit(
    session: Session, tills: TillHistory, business: Business, today: date, now: datetime
) -> BusinessLimitDecision:
    """Recompute and record the business's limit as of ``today``."""
    product, rules = business_product(session)
    months = whole_months_before(today, rules.cash_flow_months)
    statement = tills.history(business.till_number, months[0][0], months[-1][1])
    flow = cash_flow(statement, months)
    record = owner_record(session, get_borrower(session, business.owner_borrower_id))
    outcome = compute_limit(product, rules, flow.average_net_minor, record)
    decision = BusinessLimitDecision(
        business_id=business.id,
        previous_limit_minor=business.limit_minor,
        limit_minor=outcome.limit_minor,
        reason=outcome.reason,
        facts={**outcome.facts, **flow.facts()},
        decided_at=now,
    )
    session.add(decision)
    business.limit_minor = outcome.limit_minor
    session.flush()
    return decision
