"""Process-wide wiring for workers and the CLI: settings, database, sessions, clock.

Built once per process on first use (a Celery worker child builds its own after fork).
The HTTP service is wired separately by ``app.main.create_app``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from app.clock import Clock, system_clock
from app.db.engine import make_database
from app.db.session import Sessions
from app.settings import Settings, get_settings


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    sessions: Sessions
    clock: Clock


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    settings = get_settings()
    return Runtime(settings, Sessions(make_database(settings)), system_clock)
