"""Reading the maker-checker queue: requests by status, kind, maker and subject, by id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.approvals.errors import ApprovalNotFound
from app.approvals.models import ApprovalRequest

MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class ApprovalFilter:
    status: str | None = None
    kind: str | None = None
    maker: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None


def list_approvals(
    session: Session, where: ApprovalFilter, after_id: int = 0, limit: int = 100
) -> Sequence[ApprovalRequest]:
    query = select(ApprovalRequest).where(ApprovalRequest.id > after_id)
    for column, value in (
        (ApprovalRequest.status, where.status),
        (ApprovalRequest.kind, where.kind),
        (ApprovalRequest.maker, where.maker),
        (ApprovalRequest.subject_type, where.subject_type),
        (ApprovalRequest.subject_id, where.subject_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return session.scalars(query.order_by(ApprovalRequest.id).limit(min(limit, MAX_PAGE))).all()


def get_approval(session: Session, approval_id: int) -> ApprovalRequest:
    approval = session.get(ApprovalRequest, approval_id)
    if approval is None:
        raise ApprovalNotFound(f"No approval request {approval_id}")
    return approval
