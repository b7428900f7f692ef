"""Process-wide wiring for workers and the CLI: settings, database, sessions, clock, ports.

Built once per process on first use (a Celery worker child builds its own after fork).
The HTTP service is wired separately by ``app.main.create_app``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from app.clock import Clock, system_clock
from app.db.engine import make_database
from app.db.session import Sessions
from app.ports import Ports
from app.settings import Settings, get_settings
from app.wiring import build_ports


@dataclass
class Runtime:
    settings: Settings
    sessions: Sessions
    clock: Clock = field(default=system_clock)

    @cached_property
    def ports(self) -> Ports:
        """Built on first use: migrating a database needs no keys, serving does."""
        return build_ports(self.settings, self.clock)


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    settings = get_settings()
    return Runtime(settings, Sessions(make_database(settings)))
