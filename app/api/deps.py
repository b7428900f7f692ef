"""FastAPI dependencies that hand routes what the wiring built (no globals)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.clock import Clock
from app.db.session import Sessions
from app.security.fields import BlindIndex, load_field_keys
from app.settings import Settings
from app.taskqueue import TaskQueue


def get_sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_tasks(request: Request) -> TaskQueue:
    tasks: TaskQueue = request.app.state.tasks
    return tasks


def app_blind_index(request: Request) -> BlindIndex | None:
    """The keyed hash for phone and ID lookups, loaded once per app from the field-keys
    file (None when the file is absent: lookups by phone then find nobody)."""
    state = request.app.state
    if not hasattr(state, "blind_index"):
        path = get_settings_dep(request).field_keys_path
        state.blind_index = (
            BlindIndex(load_field_keys(path).blind_index_key) if path.is_file() else None
        )
    index: BlindIndex | None = state.blind_index
    return index


def read_session(sessions: Annotated[Sessions, Depends(get_sessions)]) -> Iterator[Session]:
    """A read-only transaction for GET routes (never commits)."""
    with sessions.reader() as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session)]
AppClock = Annotated[Clock, Depends(get_clock)]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]
Tasks = Annotated[TaskQueue, Depends(get_tasks)]
