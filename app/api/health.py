"""Liveness (the process answers) and readiness (the database answers and is migrated)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import ReadSession
from app.db.migrations_state import head_revision

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: database reachable and migrated",
    responses={503: {"description": "Not ready"}},
)
def readyz(session: ReadSession) -> JSONResponse:
    try:
        versions = session.execute(text("SELECT version_num FROM alembic_version")).scalars()
        current = ",".join(sorted(versions))
    except SQLAlchemyError as exc:
        return JSONResponse(
            {"status": "unavailable", "database": type(exc).__name__}, status_code=503
        )
    head = head_revision()
    if current != head:
        return JSONResponse(
            {"status": "unavailable", "migration": current, "head": head}, status_code=503
        )
    return JSONResponse({"status": "ok", "migration": current})
