"""Groups in the app: create a group, invite, accept or decline, leave or remove, propose a
change of official, apply for a group loan, and decide the requests you are asked to
approve. Every route reads or changes only what the signed-in borrower may (docs/app-api.md,
"Groups"); the rules are the group domain's (docs/groups.md)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from sqlalchemy.orm import Session

from app.api.deps import AppClock, ReadSession
from app.api.params import RecordId
from app.approvals.models import Verdict
from app.groups import formation
from app.groups.applications import NewApplication, Vote, decide, pending_for, touch
from app.groups.applications import apply as apply_for_loan
from app.groups.errors import ApplicationNotFound, GroupNotFound, InvalidSplit
from app.groups.formation import Invitation, NewGroup
from app.groups.models import GroupApplication, Role, Schedule
from app.groups.officials import Proposal, propose_official
from app.groups.queries import (
    application_out,
    applications_of,
    group_out,
    groups_of,
    invitations_of,
    own_application,
    own_group,
    request_out,
)
from app.groups.schemas import (
    ApplicationIn,
    ApplicationOut,
    CreateGroupIn,
    DecisionOut,
    GroupDetailOut,
    GroupOut,
    GroupRequestOut,
    InvitationOut,
    InviteIn,
    MemberOut,
    NoteIn,
    OfficialChangeIn,
)
from app.mobile.auth import CurrentBorrower
from app.mobile.deps import AppSessions, BoundedBodyRoute, SplitBodyRoute
from app.mobile.errors import NotFound
from app.mobile.ports import AppPorts
from ledger import Ledger

router = APIRouter(route_class=BoundedBodyRoute, tags=["app: groups"])
split_router = APIRouter(route_class=SplitBodyRoute, tags=["app: groups"])
NOT_YOURS: dict[int | str, dict[str, Any]] = {404: {"description": "No such group of yours"}}


def _own_group(session: Session, borrower_id: int, group_id: int) -> GroupDetailOut:
    """A group of yours; another's answers exactly as one that does not exist."""
    try:
        return own_group(session, borrower_id, group_id)
    except GroupNotFound:
        raise NotFound(f"No group {group_id}") from None


def _own_application(session: Session, borrower_id: int, application_id: int) -> GroupApplication:
    try:
        return own_application(session, borrower_id, application_id)
    except (GroupNotFound, ApplicationNotFound):
        raise NotFound(f"No group application {application_id}") from None


@router.post("/groups", status_code=201, summary="Create a group (you are one of its officials)")
def create_group(
    body: CreateGroupIn,
    owner: CurrentBorrower,
    sessions: AppSessions,
    clock: AppClock,
    ports: AppPorts,
) -> GroupOut:
    new = NewGroup(
        body.name,
        body.registration_number,
        Role(body.role),
        {Role(office): phone for office, phone in body.officials.items()},
    )
    with sessions.unit_of_work() as session:
        group = formation.create_group(
            session, ports.registers, ports.blind_index, owner.borrower_id, new, clock()
        )
        return group_out(group)


@router.get("/groups", summary="The groups you are a member of")
def my_groups(owner: CurrentBorrower, session: ReadSession) -> list[GroupOut]:
    return groups_of(session, owner.borrower_id)


@router.get("/groups/{group_id}", summary="One of your groups", responses=NOT_YOURS)
def my_group(group_id: RecordId, owner: CurrentBorrower, session: ReadSession) -> GroupDetailOut:
    return _own_group(session, owner.borrower_id, group_id)


@router.post(
    "/groups/{group_id}/invitations",
    status_code=201,
    summary="Invite an opted-in borrower by phone (officials)",
)
def invite(
    group_id: RecordId,
    body: InviteIn,
    owner: CurrentBorrower,
    sessions: AppSessions,
    clock: AppClock,
    ports: AppPorts,
) -> MemberOut:
    asked = Invitation(group_id, body.phone, Role(body.role))
    with sessions.unit_of_work() as session:
        member = formation.invite(session, ports.blind_index, owner.borrower_id, asked, clock())
        return MemberOut.model_validate(member)


@router.get("/group-invitations", summary="Your pending invitations")
def my_invitations(owner: CurrentBorrower, session: ReadSession) -> list[InvitationOut]:
    return invitations_of(session, owner.borrower_id)


@router.post(
    "/group-invitations/{membership_id}/{answer}",
    summary="Accept or decline an invitation",
    responses={404: {"description": "No pending invitation of yours"}},
)
def answer_invitation(
    membership_id: RecordId,
    answer: Literal["accept", "decline"],
    owner: CurrentBorrower,
    sessions: AppSessions,
    clock: AppClock,
) -> MemberOut:
    act = formation.accept if answer == "accept" else formation.decline
    with sessions.unit_of_work() as session:
        return MemberOut.model_validate(act(session, owner.borrower_id, membership_id, clock()))


@router.post(
    "/groups/{group_id}/leave", summary="Leave a group (not while it has an open application)"
)
def leave(
    group_id: RecordId, owner: CurrentBorrower, sessions: AppSessions, clock: AppClock
) -> MemberOut:
    with sessions.unit_of_work() as session:
        return MemberOut.model_validate(
            formation.leave(session, owner.borrower_id, group_id, clock())
        )


@router.post(
    "/groups/{group_id}/members/{borrower_id}/remove",
    summary="Remove a member or withdraw an invitation (officials)",
)
def remove(
    group_id: RecordId,
    borrower_id: RecordId,
    owner: CurrentBorrower,
    sessions: AppSessions,
    clock: AppClock,
) -> MemberOut:
    with sessions.unit_of_work() as session:
        member = formation.remove(session, owner.borrower_id, group_id, borrower_id, clock())
        return MemberOut.model_validate(member)


@router.post(
    "/groups/{group_id}/official-changes",
    status_code=201,
    summary="Propose a member for an office (officials; one more official's approval carries it)",
)
def propose(
    group_id: RecordId,
    body: OfficialChangeIn,
    owner: CurrentBorrower,
    sessions: AppSessions,
    clock: AppClock,
) -> GroupRequestOut:
    proposal = Proposal(group_id, Role(body.role), body.borrower_id)
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        return request_out(propose_official(session, ledger, owner.borrower_id, proposal, clock()))


@split_router.post(
    "/groups/{group_id}/applications",
    status_code=201,
    summary="Apply for a group loan (officials): amount, schedule and each member's share",
)
def apply(
    group_id: RecordId,
    body: ApplicationIn,
    owner: CurrentBorrower,
    sessions: AppSessions,
    clock: AppClock,
) -> ApplicationOut:
    shares = {share.borrower_id: share.amount_minor for share in body.shares}
    if len(shares) != len(body.shares):
        raise InvalidSplit("A member appears twice in the split")
    new = NewApplication(group_id, body.amount_minor, Schedule(body.schedule), shares)
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        application = apply_for_loan(session, ledger, owner.borrower_id, new, clock())
        return application_out(session, application)


@router.get("/groups/{group_id}/applications", summary="A group's applications, newest first")
def group_applications(
    group_id: RecordId, owner: CurrentBorrower, session: ReadSession
) -> list[ApplicationOut]:
    _own_group(session, owner.borrower_id, group_id)
    return [application_out(session, a) for a in applications_of(session, group_id)]


@router.get(
    "/group-applications/{application_id}",
    summary="An application of one of your groups (a gate past its deadline lapses now)",
    responses=NOT_YOURS,
)
def group_application(
    application_id: RecordId, owner: CurrentBorrower, sessions: AppSessions, clock: AppClock
) -> ApplicationOut:
    with sessions.unit_of_work() as session:
        application = touch(
            session, _own_application(session, owner.borrower_id, application_id), clock()
        )
        return application_out(session, application)


@router.get("/group-requests", summary="Group requests waiting for your approval")
def my_requests(
    owner: CurrentBorrower, session: ReadSession, clock: AppClock
) -> list[GroupRequestOut]:
    return [request_out(r) for r in pending_for(session, owner.borrower_id, clock())]


def _decide(sessions: AppSessions, clock: AppClock, request_id: int, vote: Vote) -> DecisionOut:
    with sessions.unit_of_work() as session:
        decision = decide(session, Ledger(session, clock), request_id, vote, clock())
        out = DecisionOut(
            request_id=request_id, status=decision.approval.status, applied=decision.applied
        )
    if decision.failure is not None:  # closed as expired or failed: committed, then told
        raise decision.failure
    return out


@router.post("/group-requests/{request_id}/approve", summary="Approve a group request")
def approve(
    request_id: RecordId, owner: CurrentBorrower, sessions: AppSessions, clock: AppClock
) -> DecisionOut:
    return _decide(sessions, clock, request_id, Vote(owner.borrower_id, Verdict.APPROVE))


@router.post("/group-requests/{request_id}/reject", summary="Reject a group request")
def reject(
    request_id: RecordId,
    body: NoteIn,
    owner: CurrentBorrower,
    sessions: AppSessions,
    clock: AppClock,
) -> DecisionOut:
    vote = Vote(owner.borrower_id, Verdict.REJECT, body.note)
    return _decide(sessions, clock, request_id, vote)
