"""Walking the app's own routes, so a test over "every route" covers tomorrow's route too:
each (method, path, route) the app serves, who may call it, the parameters it declares, and
headers of a caller it admits (so a walker reaches validation instead of stopping at 401)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, get_args, get_origin

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from hypothesis import HealthCheck, settings
from sqlalchemy import select

from app.console.auth import COOKIE, CSRF_HEADER, PREFIX
from app.console.sessions import Lifetimes, start
from app.mobile.auth import current_borrower
from app.mobile.tokens import start_session
from app.staff.models import Role, StaffUser
from tests.support.api import bearer, staff_token
from tests.support.lending import Fund

DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
BODY_METHODS = {"POST", "PUT", "PATCH"}


@dataclass(frozen=True)
class Audience:
    roles: frozenset[str] | None  # staff roles, when a staff route
    borrower: bool
    moves_money: bool = False
    """The route declares that it writes ledger entries (``require_roles(moves_money=True)``)."""


def _dependants(route: Any) -> Iterator[Any]:
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        yield dependant
        stack.extend(dependant.dependencies)


def audience(route: Any) -> Audience:
    roles: set[str] = set()
    borrower = moves_money = False
    for dependant in _dependants(route):
        allowed = getattr(dependant.call, "allowed_roles", None)
        if allowed is not None:
            roles |= allowed
            moves_money = moves_money or getattr(dependant.call, "moves_money", False)
        borrower = borrower or dependant.call is current_borrower
    return Audience(frozenset(roles) if roles else None, borrower, moves_money)


def routes(app: FastAPI) -> list[tuple[str, str, Any]]:
    """Every (method, path, route) the app serves, routers included (FastAPI resolves an
    included router's routes lazily: ``iter_route_contexts`` gives them with their
    router-level dependencies)."""
    found = [
        (method, context.path, context)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and context.path not in DOCS
        for method in context.methods
    ]
    return sorted(found, key=lambda item: (item[1], item[0]))


def params(route: Any, where: str) -> list[Any]:
    """The route's ``where`` ("path" or "query") parameters, its dependencies' included."""
    seen: dict[str, Any] = {}
    for dependant in _dependants(route):
        for field in getattr(dependant, f"{where}_params"):
            seen.setdefault(field.alias, field)
    return list(seen.values())


def _types(field: Any) -> set[Any]:
    """The plain types a parameter's annotation names (unions and ``Annotated`` unwrapped)."""
    found: set[Any] = set()
    stack = [field.field_info.annotation]
    while stack:
        annotation = stack.pop()
        if get_origin(annotation) is Annotated:
            stack.append(get_args(annotation)[0])
        elif get_args(annotation):
            stack.extend(get_args(annotation))
        else:
            found.add(annotation)
    return found


def is_int(field: Any) -> bool:
    return int in _types(field)


def is_datetime(field: Any) -> bool:
    return datetime in _types(field)


def is_date(field: Any) -> bool:
    return date in _types(field) and not is_datetime(field)


def bound(field: Any, name: str) -> int | None:
    """The ``ge`` or ``le`` a parameter declares, if any."""
    for constraint in field.field_info.metadata:
        value = getattr(constraint, name, None)
        if value is not None:
            return int(value)
    return None


def concrete(path: str, **values: str) -> str:
    """The path with ``values`` in their placeholders and 1 in every other one."""
    return re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), "1"), path)


def repeatable(max_examples: int) -> settings:
    """Hypothesis settings for walking operations with generated requests: derandomised and
    bounded, so CI is repeatable, and no example database."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )


class Callers:
    """Headers of a caller each route admits: a token of one of its staff roles, or a fresh
    borrower session (a route may end the session it used, e.g. logout)."""

    def __init__(self, fund: Fund) -> None:
        self.fund = fund
        self.borrower_id = fund.register()
        self.staff = {
            role.value: bearer(staff_token(fund.sessions, fund.clock, f"w-{role.value}", role))
            for role in Role
        }

    def borrower(self) -> dict[str, str]:
        with self.fund.sessions.unit_of_work() as session:
            issued = start_session(session, self.borrower_id, self.fund.clock())
        return bearer(issued.access_token)

    def console(self, role: str) -> dict[str, str]:
        """A new console session of the role: its cookie and its CSRF token."""
        with self.fund.sessions.unit_of_work() as session:
            user = session.scalar(select(StaffUser).where(StaffUser.username == f"w-{role}"))
            assert user is not None
            hour = timedelta(hours=1)
            started = start(session, user, self.fund.clock(), Lifetimes(hour, hour))
        return {"Cookie": f"{COOKIE}={started.token}", CSRF_HEADER: started.csrf_token}

    def for_route(self, route: Any) -> dict[str, str]:
        who = audience(route)
        if who.roles and getattr(route, "path", "").startswith(PREFIX + "/"):
            return self.console(sorted(who.roles)[0])
        if who.borrower:
            return self.borrower()
        if who.roles:
            return self.staff[sorted(who.roles)[0]]
        return {}


def error_locations(answer: Any) -> list[list[Any]]:
    """Where a 422 problem says the request is wrong."""
    return [error["loc"] for error in answer.json().get("errors", [])]
