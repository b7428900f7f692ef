"""``/admin/v1/groups``: the group book for the book's readers (admin, credit officer,
auditor): groups, their members (every membership, ended ones too), their score history, and
their applications with the draw and both gates' decisions. Read-only: borrowers decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from app.api import params
from app.api.deps import AppSessions
from app.groups.errors import ApplicationNotFound
from app.groups.membership import get_group
from app.groups.models import Group, GroupApplication, GroupScore
from app.groups.queries import application_out, applications_of, group_detail, group_out
from app.groups.schemas import ApplicationOut, GroupDetailOut, GroupOut, ScoreOut
from app.staff.deps import ADMIN_PREFIX, BookReader

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: groups"])
MAX_PAGE = 200
Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]


@router.get("/groups", summary="The group book, by id")
def groups(
    sessions: AppSessions, _: BookReader, after_id: params.AfterId = 0, limit: Page = 50
) -> list[GroupOut]:
    with sessions.reader() as session:
        rows = session.scalars(
            select(Group).where(Group.id > after_id).order_by(Group.id).limit(limit)
        ).all()
        return [group_out(g) for g in rows]


@router.get("/groups/{group_id}", summary="A group, every membership and its latest score")
def group(group_id: params.RecordId, sessions: AppSessions, _: BookReader) -> GroupDetailOut:
    with sessions.reader() as session:
        return group_detail(session, group_id, live_only=False)


@router.get("/groups/{group_id}/scores", summary="A group's scores and why, newest first")
def scores(
    group_id: params.RecordId, sessions: AppSessions, _: BookReader, limit: Page = 50
) -> list[ScoreOut]:
    with sessions.reader() as session:
        get_group(session, group_id)
        rows = session.scalars(
            select(GroupScore)
            .where(GroupScore.group_id == group_id)
            .order_by(GroupScore.id.desc())
            .limit(limit)
        ).all()
        return [ScoreOut.model_validate(s) for s in rows]


@router.get("/groups/{group_id}/applications", summary="A group's applications, newest first")
def group_applications(
    group_id: params.RecordId, sessions: AppSessions, _: BookReader
) -> list[ApplicationOut]:
    with sessions.reader() as session:
        get_group(session, group_id)
        return [application_out(session, a) for a in applications_of(session, group_id)]


@router.get(
    "/group-applications/{application_id}",
    summary="An application: shares, schedule, the draw, and both gates' decisions",
)
def application(
    application_id: params.RecordId, sessions: AppSessions, _: BookReader
) -> ApplicationOut:
    with sessions.reader() as session:
        found = session.get(GroupApplication, application_id)
        if found is None:
            raise ApplicationNotFound(f"No group application {application_id}")
        return application_out(session, found)
