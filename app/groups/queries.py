"""Reading groups for the channels: a borrower's groups and invitations, a group's detail,
an application with its shares, schedule and gates. Each builds the schema the app and the
staff API answer with."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.approvals.models import ApprovalRequest
from app.groups import errors
from app.groups.applications import shares_of
from app.groups.membership import get_group, live_membership
from app.groups.models import (
    Group,
    GroupApplication,
    GroupMember,
    GroupScore,
    MemberStatus,
    Schedule,
)
from app.groups.schedule_quotes import quote_schedule
from app.groups.schemas import (
    ApplicationOut,
    DecisionRowOut,
    GateOut,
    GroupDetailOut,
    GroupOut,
    GroupRequestOut,
    InstalmentOut,
    InvitationOut,
    MemberOut,
    ScoreOut,
    ShareOut,
)
from app.money import kes
from app.products.terms import ProductTerms

PAGE_MAX = 200


def group_out(group: Group, member: GroupMember | None = None) -> GroupOut:
    out = GroupOut.model_validate(group)
    out.limit_display = kes(group.limit_minor)
    if member is not None:
        out.my_role, out.my_status = member.role, member.status
    return out


def groups_of(session: Session, borrower_id: int) -> list[GroupOut]:
    """The groups the borrower is an active member of, newest first."""
    rows = session.execute(
        select(Group, GroupMember)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .where(GroupMember.borrower_id == borrower_id, GroupMember.status == MemberStatus.ACTIVE)
        .order_by(Group.id.desc())
        .limit(PAGE_MAX)
    ).all()
    return [group_out(group, member) for group, member in rows]


def invitations_of(session: Session, borrower_id: int) -> list[InvitationOut]:
    rows = session.execute(
        select(GroupMember, Group.name)
        .join(Group, Group.id == GroupMember.group_id)
        .where(GroupMember.borrower_id == borrower_id, GroupMember.status == MemberStatus.INVITED)
        .order_by(GroupMember.id)
        .limit(PAGE_MAX)
    ).all()
    return [
        InvitationOut(
            id=m.id, group_id=m.group_id, group_name=name, role=m.role, invited_at=m.invited_at
        )
        for m, name in rows
    ]


def members_of(session: Session, group_id: int, live_only: bool = True) -> list[MemberOut]:
    query = select(GroupMember).where(GroupMember.group_id == group_id)
    if live_only:
        query = query.where(GroupMember.status.in_([MemberStatus.INVITED, MemberStatus.ACTIVE]))
    rows = session.scalars(query.order_by(GroupMember.id)).all()
    return [MemberOut.model_validate(m) for m in rows]


def latest_score(session: Session, group_id: int) -> GroupScore | None:
    return session.scalar(
        select(GroupScore)
        .where(GroupScore.group_id == group_id)
        .order_by(GroupScore.id.desc())
        .limit(1)
    )


def group_detail(session: Session, group_id: int, live_only: bool = True) -> GroupDetailOut:
    group = get_group(session, group_id)
    score = latest_score(session, group_id)
    return GroupDetailOut(
        group=group_out(group),
        members=members_of(session, group_id, live_only),
        latest_score=ScoreOut.model_validate(score) if score is not None else None,
    )


def own_group(session: Session, borrower_id: int, group_id: int) -> GroupDetailOut:
    """A group the borrower is an active member of (else 404: not theirs to see)."""
    member = live_membership(session, group_id, borrower_id)
    if member is None or member.status != MemberStatus.ACTIVE:
        raise errors.GroupNotFound(f"No group {group_id} of yours")
    detail = group_detail(session, group_id)
    detail.group.my_role, detail.group.my_status = member.role, member.status
    return detail


def own_application(session: Session, borrower_id: int, application_id: int) -> GroupApplication:
    application = session.get(GroupApplication, application_id)
    if application is None:
        raise errors.ApplicationNotFound(f"No group application {application_id}")
    own_group(session, borrower_id, application.group_id)
    return application


def applications_of(session: Session, group_id: int) -> list[GroupApplication]:
    return list(
        session.scalars(
            select(GroupApplication)
            .where(GroupApplication.group_id == group_id)
            .order_by(GroupApplication.id.desc())
            .limit(PAGE_MAX)
        )
    )


def application_out(session: Session, application: GroupApplication) -> ApplicationOut:
    terms = ProductTerms.from_snapshot(application.product_terms)
    start = application.created_at.date()
    schedule = quote_schedule(
        terms, application.amount_minor, Schedule(application.schedule), start
    )
    gates = [
        _gate(session.get(ApprovalRequest, request_id))
        for request_id in (application.approval_request_id, application.payout_request_id)
        if request_id is not None
    ]
    return ApplicationOut(
        id=application.id,
        group_id=application.group_id,
        applicant_id=application.applicant_id,
        amount_minor=application.amount_minor,
        amount_display=kes(application.amount_minor),
        schedule=application.schedule,
        status=application.status,
        group_limit_minor=application.group_limit_minor,
        draw_seed=application.draw_seed,
        draw_candidates=list(application.draw_candidates),
        drawn=list(application.drawn),
        approvers=list(application.approvers),
        shares=[ShareOut.model_validate(s) for s in shares_of(session, application.id)],
        instalments=[
            _instalment(i.number, i.due_date, i.principal_minor, i.interest_minor)
            for i in schedule.instalments
        ],
        gates=gates,
        created_at=application.created_at,
        closed_at=application.closed_at,
    )


def request_out(request: ApprovalRequest) -> GroupRequestOut:
    payload = request.payload
    return GroupRequestOut(
        request_id=request.id,
        kind=request.kind,
        group_id=int(payload["group_id"]),
        application_id=payload.get("application_id"),
        amount_minor=payload.get("amount_minor"),
        role=payload.get("role"),
        borrower_id=payload.get("borrower_id"),
        expires_at=request.expires_at,
    )


def _instalment(number: int, due: date, principal: int, interest: int) -> InstalmentOut:
    return InstalmentOut(
        number=number,
        due_on=due,
        principal_minor=principal,
        interest_minor=interest,
        total_minor=principal + interest,
    )


def _gate(request: ApprovalRequest | None) -> GateOut:
    assert request is not None  # a foreign key
    return GateOut(
        request_id=request.id,
        kind=request.kind,
        status=request.status,
        approvals_needed=request.approvals_needed,
        expires_at=request.expires_at,
        decisions=[DecisionRowOut.model_validate(d) for d in request.decisions],
    )
