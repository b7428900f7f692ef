"""What one process runs on: settings, sessions, clock, the task queue and the ports.

Built once per process by ``app.bootstrap`` (the API at ``create_app``, the worker and the CLI
on first use, a Celery child after fork) and handed down: routes get it from ``app.state``,
worker tasks as their first argument. Nothing below the bootstrap builds a port or a session
factory itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from app.clock import Clock
from app.db.session import Sessions
from app.ports import Ports
from app.security.fields import FieldCrypto, load_field_crypto
from app.settings import Settings
from app.tasks.queue import TaskQueue


@dataclass
class Runtime:
    settings: Settings
    sessions: Sessions
    clock: Clock
    tasks: TaskQueue
    build_ports: Callable[[FieldCrypto], Ports]
    """Builds the ports from the field keys (the bootstrap picks adapters or simulators)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _crypto: FieldCrypto | None = field(default=None, repr=False)
    _ports: Ports | None = field(default=None, repr=False)

    def field_crypto(self) -> FieldCrypto:
        """The field keys of ``MKOPO_FIELD_KEYS_PATH``, loaded on first use. Raises
        ``OSError`` or ``InvalidFieldKeysFile`` while the file is missing or broken (nothing
        is kept then, so a fixed file is picked up): serving a health check or migrating a
        database needs no keys."""
        with self._lock:
            if self._crypto is None:
                self._crypto = load_field_crypto(self.settings.field_keys_path)
            return self._crypto

    @property
    def ports(self) -> Ports:
        """One bundle per process (a second SMS simulator would lose messages)."""
        crypto = self.field_crypto()
        with self._lock:
            if self._ports is None:
                self._ports = self.build_ports(crypto)
            return self._ports
