"""``/console/groups``: the group book, read-only (borrowers decide), for the book's readers,
through ``app.groups.routes``' own functions: the groups, and one group's members (every
membership, officials first), score history with its reasons, and applications with their
shares, the draw and both gates' decisions."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from app.api import params
from app.api.deps import AppSessions
from app.console.auth import PREFIX, BookReaderPage
from app.console.pages import render
from app.console.refusals import REFUSALS, said
from app.groups import routes as group_api

router = APIRouter(prefix=PREFIX, include_in_schema=False)
OFFICES = ("chair", "secretary", "treasurer")


@router.get("/groups")
def groups(sessions: AppSessions, signed: BookReaderPage, after_id: params.AfterId = 0) -> Response:
    page = group_api.groups(sessions, signed.user, after_id, group_api.MAX_PAGE)
    next_after_id = page[-1].id if len(page) == group_api.MAX_PAGE else None
    return render("groups.html", signed, groups=page, next_after_id=next_after_id)


@router.get("/groups/{group_id}")
def group(group_id: params.RecordId, sessions: AppSessions, signed: BookReaderPage) -> Response:
    try:
        detail = group_api.group(group_id, sessions, signed.user)
        scores = group_api.scores(group_id, sessions, signed.user, group_api.MAX_PAGE)
        applications = group_api.group_applications(group_id, sessions, signed.user)
    except REFUSALS as exc:
        return render("message.html", signed, **said(exc))
    members = sorted(
        detail.members,
        key=lambda m: (m.role not in OFFICES, OFFICES.index(m.role) if m.role in OFFICES else 0),
    )
    return render(
        "group.html",
        signed,
        group=detail.group,
        members=members,
        scores=scores,
        applications=applications,
    )
