"""Writing the database's own guards (triggers) for both dialects, and undoing them.

A guard module lists what it installs per dialect (``Guards``); what uninstalls it is read
back from those statements (every trigger and function it created, dropped in reverse
order), so the two lists cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

Guards = Mapping[str, Sequence[str]]
"""The statements that install a module's guards, by dialect name."""

_CREATED = re.compile(r"CREATE (?P<what>TRIGGER|FUNCTION) (?P<name>\w+)(?:.*? ON (?P<on>\w+))?")


def sqlite_refusal(name: str, event: str, table: str, message: str, when: str = "") -> str:
    """A SQLite trigger that aborts ``event`` on ``table`` with ``message`` (when ``when``)."""
    condition = f"WHEN {when} " if when else ""
    return (
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} {condition}"
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def pg_trigger(name: str, events: str, table: str, function: str) -> str:
    """A PostgreSQL trigger running ``function`` before ``events`` (TRUNCATE per statement)."""
    per = "STATEMENT" if events == "TRUNCATE" else "ROW"
    return (
        f"CREATE TRIGGER {name} BEFORE {events} ON {table} "
        f"FOR EACH {per} EXECUTE FUNCTION {function}()"
    )


def install(guards: Guards, dialect: str) -> list[str]:
    if dialect not in guards:
        raise ValueError(f"unsupported database dialect: {dialect}")
    return list(guards[dialect])


def uninstall(guards: Guards, dialect: str) -> list[str]:
    """Drop every trigger and function ``install`` creates, the last created first."""
    drops = []
    for statement in reversed(install(guards, dialect)):
        created = _CREATED.search(statement)
        if created is None:
            continue
        name = created["name"]
        if created["what"] == "FUNCTION":
            drops.append(f"DROP FUNCTION IF EXISTS {name}()")
        elif dialect == "postgresql":
            drops.append(f"DROP TRIGGER IF EXISTS {name} ON {created['on']}")
        else:
            drops.append(f"DROP TRIGGER IF EXISTS {name}")
    return drops
