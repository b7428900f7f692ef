"""Scoring a group: gather its active members' records (their latest score band and limit,
their repayment record) and its age, apply ``app.groups.score``, store a ``GroupScore`` and
set the group's score and limit. On demand (before an application) and by the scheduled task.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.borrowers.models import DEFAULT_FREEZE, Borrower
from app.groups.membership import active_members, get_group, group_product
from app.groups.models import Group, GroupScore, GroupStatus
from app.groups.score import LimitRules, MemberRecord, Standing, standing
from app.lending.models import Loan, LoanStatus

EVER_DEFAULTED = (LoanStatus.DEFAULTED.value, LoanStatus.WRITTEN_OFF.value)
RESCORE_BATCH = 200


class Trigger:
    SCHEDULED = "scheduled"
    APPLICATION = "application"
    REQUESTED = "requested"


def member_records(session: Session, borrower_ids: list[int]) -> list[MemberRecord]:
    if not borrower_ids:
        return []
    borrowers = session.scalars(select(Borrower).where(Borrower.id.in_(borrower_ids))).all()
    defaulted = set(
        session.scalars(
            select(Loan.borrower_id).where(
                Loan.borrower_id.in_(borrower_ids),
                (Loan.status.in_(EVER_DEFAULTED)) | (Loan.defaulted_at.is_not(None)),
            )
        ).all()
    )
    open_default = set(
        session.scalars(
            select(Loan.borrower_id).where(
                Loan.borrower_id.in_(borrower_ids), Loan.status == LoanStatus.DEFAULTED
            )
        ).all()
    )
    return [
        MemberRecord(
            borrower_id=b.id,
            band=b.score_band,
            repaid_on_time=b.loans_repaid_on_time,
            ever_defaulted=b.id in defaulted,
            in_default=b.id in open_default or b.frozen_reason == DEFAULT_FREEZE,
            limit_minor=b.credit_limit_minor,
        )
        for b in sorted(borrowers, key=lambda b: b.id)
    ]


def rescore(session: Session, group_id: int, trigger: str, now: datetime) -> Standing:
    """Score the group now (locking it), store why, and set its score and limit."""
    group = get_group(session, group_id, lock=True)
    product = group_product(session, group.product_id)
    members = member_records(session, [m.borrower_id for m in active_members(session, group.id)])
    days = (now - group.activated_at).days if group.activated_at is not None else 0
    rules = LimitRules(
        product.rules.min_members,
        product.product.min_amount_minor,
        product.product.max_amount_minor,
    )
    result = standing(members, days, rules)
    session.add(
        GroupScore(
            group_id=group.id,
            score=result.score,
            limit_minor=result.limit_minor,
            reasons=result.reasons,
            facts=result.facts,
            trigger=trigger,
            decided_at=now,
        )
    )
    group.score, group.limit_minor, group.scored_at = result.score, result.limit_minor, now
    session.flush()
    return result


def due_for_rescore(session: Session, before: datetime, limit: int = RESCORE_BATCH) -> list[int]:
    """Active groups not scored since ``before`` (never scored first)."""
    return list(
        session.scalars(
            select(Group.id)
            .where(
                Group.status == GroupStatus.ACTIVE,
                (Group.scored_at.is_(None)) | (Group.scored_at <= before),
            )
            .order_by(Group.scored_at.is_not(None), Group.scored_at, Group.id)
            .limit(limit)
        )
    )
