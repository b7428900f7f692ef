"""FastAPI dependencies that hand routes what the wiring built (no globals)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.orm import Session

from app.clock import Clock
from app.db.session import RequestSessions, Sessions
from app.security.fields import BlindIndex, FieldCrypto, InvalidFieldKeysFile, load_field_crypto
from app.settings import Settings
from app.tasks.queue import TaskQueue

_field_keys_lock = threading.Lock()


def get_sessions(request: Request) -> Sessions:
    """The request's own sessions (one per request: FastAPI caches a dependency's value for
    the request), of which at most one holds a database connection at a time."""
    return RequestSessions(request.app.state.sessions)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_tasks(request: Request) -> TaskQueue:
    tasks: TaskQueue = request.app.state.tasks
    return tasks


def app_field_crypto(app: FastAPI) -> FieldCrypto:
    """The field keys of ``MKOPO_FIELD_KEYS_PATH``, loaded once per app and shared by every
    router. Raises ``OSError`` or ``InvalidFieldKeysFile`` while the file is missing or
    broken (nothing is cached then, so a fixed file is picked up); each caller answers that
    its own way."""
    crypto: FieldCrypto | None = getattr(app.state, "field_crypto", None)
    if crypto is None:
        with _field_keys_lock:
            crypto = getattr(app.state, "field_crypto", None)
            if crypto is None:
                crypto = load_field_crypto(app.state.settings.field_keys_path)
                app.state.field_crypto = crypto
    return crypto


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
Tasks = Annotated[TaskQueue, Depends(get_tasks)]
