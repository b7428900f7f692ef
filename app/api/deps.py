"""FastAPI dependencies that hand routes what the bootstrap built (``app.state.runtime``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.orm import Session

from app.clock import Clock
from app.db.session import RequestSessions, Sessions
from app.runtime import Runtime
from app.security.fields import BlindIndex, FieldCrypto, InvalidFieldKeysFile
from app.settings import Settings
from app.tasks.queue import TaskQueue


def app_runtime(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


def get_runtime(request: Request) -> Runtime:
    return app_runtime(request.app)


def get_sessions(request: Request) -> Sessions:
    """The request's own sessions (one per request: FastAPI caches a dependency's value for
    the request), of which at most one holds a database connection at a time."""
    return RequestSessions(app_runtime(request.app).sessions)


def get_settings_dep(request: Request) -> Settings:
    return app_runtime(request.app).settings


def get_clock(request: Request) -> Clock:
    return app_runtime(request.app).clock


def get_tasks(request: Request) -> TaskQueue:
    return app_runtime(request.app).tasks


def app_field_crypto(app: FastAPI) -> FieldCrypto:
    """The field keys, loaded once per process (``Runtime.field_crypto``). Raises ``OSError``
    or ``InvalidFieldKeysFile`` while the file is missing or broken; each caller answers
    that its own way."""
    return app_runtime(app).field_crypto()


def app_blind_index(request: Request) -> BlindIndex | None:
    """The keyed hash for phone and ID lookups (None without field keys: lookups by phone
    then find nobody)."""
    try:
        return app_field_crypto(request.app).blind_index
    except (OSError, InvalidFieldKeysFile):
        return None


def read_session(sessions: Annotated[Sessions, Depends(get_sessions)]) -> Iterator[Session]:
    """A read-only transaction for GET routes (never commits)."""
    with sessions.reader() as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session)]
AppClock = Annotated[Clock, Depends(get_clock)]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]
AppRuntime = Annotated[Runtime, Depends(get_runtime)]
AppSessions = Annotated[Sessions, Depends(get_sessions)]
Tasks = Annotated[TaskQueue, Depends(get_tasks)]
