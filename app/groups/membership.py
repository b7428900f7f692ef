"""Reading memberships and the group product: who is in a group, in which role, and the
rules of the product. Functions take a session and only read (or lock)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.groups import errors
from app.groups.models import (
    LIVE_MEMBER_STATUSES,
    OFFICIAL_ROLES,
    Group,
    GroupMember,
    GroupRules,
    MemberStatus,
    Role,
)
from app.products.models import Product

GROUP_PRODUCT = "group"
"""The code of the group loan product (seeded by migration 0026)."""


@dataclass(frozen=True, slots=True)
class GroupProduct:
    product: Product
    rules: GroupRules


def group_product(session: Session, product_id: int | None = None) -> GroupProduct:
    """The group product (by id, else the ``group`` code) and its rules; it must be active."""
    query = select(Product, GroupRules).join(GroupRules, GroupRules.product_id == Product.id)
    query = query.where(
        Product.id == product_id if product_id is not None else Product.code == GROUP_PRODUCT
    )
    row = session.execute(query).first()
    if row is None or not row[0].active:
        raise errors.GroupProductMissing("The group loan product is not available")
    return GroupProduct(row[0], row[1])


def get_group(session: Session, group_id: int, lock: bool = False) -> Group:
    group = session.get(Group, group_id, with_for_update=lock, populate_existing=lock)
    if group is None:
        raise errors.GroupNotFound(f"No group {group_id}")
    return group


def live_membership(session: Session, group_id: int, borrower_id: int) -> GroupMember | None:
    return session.scalar(
        select(GroupMember).where(
            GroupMember.group_id == group_id,
            GroupMember.borrower_id == borrower_id,
            GroupMember.status.in_([s.value for s in LIVE_MEMBER_STATUSES]),
        )
    )


def active_members(session: Session, group_id: int) -> list[GroupMember]:
    """The group's active members, by borrower id."""
    return list(
        session.scalars(
            select(GroupMember)
            .where(GroupMember.group_id == group_id, GroupMember.status == MemberStatus.ACTIVE)
            .order_by(GroupMember.borrower_id)
        )
    )


def require_member(session: Session, group_id: int, borrower_id: int) -> GroupMember:
    member = live_membership(session, group_id, borrower_id)
    if member is None or member.status != MemberStatus.ACTIVE:
        raise errors.NotAMember("You are not an active member of this group")
    return member


def require_official(session: Session, group_id: int, borrower_id: int) -> GroupMember:
    member = live_membership(session, group_id, borrower_id)
    if member is None or member.status != MemberStatus.ACTIVE or member.role == Role.MEMBER:
        raise errors.NotAnOfficial("Only the group's chair, secretary or treasurer may do this")
    return member


def officials(session: Session, group_id: int) -> list[GroupMember]:
    """The group's active officials."""
    return [m for m in active_members(session, group_id) if m.role != Role.MEMBER]


def is_official_role(role: str) -> bool:
    return role in {r.value for r in OFFICIAL_ROLES}


def live_memberships_of(session: Session, borrower_id: int) -> int:
    """How many groups the borrower is invited to or a member of."""
    return int(
        session.scalar(
            select(func.count()).where(
                GroupMember.borrower_id == borrower_id,
                GroupMember.status.in_([s.value for s in LIVE_MEMBER_STATUSES]),
            )
        )
        or 0
    )
