"""Task bodies, declared by the domains and bound to Celery by the worker.

A domain writes ``@task(refs.ACCRUE) def accrue(rt: Runtime) -> int`` in its ``tasks.py``:
a plain function of the process's runtime and the message's ids, testable without Celery.
``app.worker`` imports the domains' task modules and registers every declared body once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app.tasks.refs import TaskRef

Body = Callable[..., Any]
"""``(runtime, *ids) -> a small JSON-able summary``."""
_F = TypeVar("_F", bound=Body)
_declared: dict[TaskRef, Body] = {}


class TaskDeclaredTwice(RuntimeError):
    """Two bodies for one task reference: the worker would run only one of them."""


def task(ref: TaskRef) -> Callable[[_F], _F]:
    """Declare ``body`` as the worker's implementation of ``ref``."""

    def declare(body: _F) -> _F:
        known = _declared.get(ref)
        if known is not None and known is not body:
            raise TaskDeclaredTwice(f"{ref.name}: {known.__qualname__} and {body.__qualname__}")
        _declared[ref] = body
        return body

    return declare


def declared() -> dict[TaskRef, Body]:
    """Every body declared so far (the worker imports the task modules first)."""
    return dict(_declared)
