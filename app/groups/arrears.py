"""Arrears on a group loan freeze every member's new borrowing until cured.

A group loan is **in arrears** on date D when an instalment due before D is not fully paid;
``GroupLoan.arrears_since`` is the oldest such instalment's due date (None when cured). It is
refreshed after every payment and every nightly run (``refresh``). Each active member of a
group whose loan is in arrears carries ``borrowers.group_arrears_since`` (the oldest date over
their groups): individual loans refuse it (``lending.origination``: 409 ``group_arrears``)
and so do group applications of any group they belong to. A member of two groups stays
frozen until both have caught up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.groups.loan_models import OPEN_GROUP_LOAN_STATUSES, GroupLoan, GroupLoanInstalment
from app.groups.models import GroupMember, MemberStatus


def oldest_overdue(rows: Sequence[GroupLoanInstalment], today: date) -> date | None:
    """The due date of the oldest instalment due before ``today`` and not fully paid."""
    for row in sorted(rows, key=lambda r: r.number):
        if row.due_on < today and row.status != "paid":
            return row.due_on
    return None


def refresh(
    session: Session, loan: GroupLoan, rows: Sequence[GroupLoanInstalment], today: date
) -> None:
    """Set the loan's arrears from its rows, and its members' freezes from all their groups."""
    since = oldest_overdue(rows, today) if loan.status in OPEN_GROUP_LOAN_STATUSES else None
    if since == loan.arrears_since:
        return
    loan.arrears_since = since
    session.flush()
    members = session.scalars(
        select(GroupMember.borrower_id).where(
            GroupMember.group_id == loan.group_id, GroupMember.status == MemberStatus.ACTIVE
        )
    ).all()
    for borrower_id in members:
        oldest = session.scalar(
            select(func.min(GroupLoan.arrears_since))
            .join(GroupMember, GroupMember.group_id == GroupLoan.group_id)
            .where(
                GroupMember.borrower_id == borrower_id,
                GroupMember.status == MemberStatus.ACTIVE,
                GroupLoan.status.in_(OPEN_GROUP_LOAN_STATUSES),
            )
        )
        session.execute(
            update(Borrower).where(Borrower.id == borrower_id).values(group_arrears_since=oldest)
        )
    session.flush()


def members_in_arrears(session: Session, borrower_ids: Sequence[int]) -> list[int]:
    """Those of ``borrower_ids`` frozen by a group's arrears."""
    return list(
        session.scalars(
            select(Borrower.id).where(
                Borrower.id.in_(borrower_ids), Borrower.group_arrears_since.is_not(None)
            )
        )
    )
