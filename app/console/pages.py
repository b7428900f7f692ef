"""Rendering console pages: Jinja2 templates from this package, autoescaped, with the
signed-in user, their CSRF token and the navigation they may use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.console.auth import PREFIX, Signed
from app.staff.deps import ADMINS, BOOK_READERS, READERS
from app.staff.models import Role

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
NAVIGATION: tuple[tuple[str, str, tuple[Role, ...]], ...] = (
    ("Dashboard", "/dashboard", BOOK_READERS),
    ("Approvals", "/approvals", BOOK_READERS),
    ("Borrowers", "/borrowers", READERS),
    ("Loan book", "/loans", BOOK_READERS),
    ("Products", "/products", READERS),
    ("Credit bureau", "/crb", BOOK_READERS),
    ("Disputes", "/crb/disputes", READERS),
    ("Groups", "/groups", BOOK_READERS),
    ("Scorecards", "/scorecards", BOOK_READERS),
    ("Reports", "/reports", BOOK_READERS),
    ("Reconciliation", "/reconciliation", BOOK_READERS),
    ("Trial balance", "/ledger", BOOK_READERS),
    ("Fund proposals", "/fund-proposals", ADMINS),
    ("Audit log", "/audit", (Role.ADMIN, Role.AUDITOR)),
    ("Staff", "/staff", (Role.ADMIN, Role.AUDITOR)),
)


def kes(amount_minor: int | None) -> str:
    """Cents as ``KES 1,234.50`` (empty for None)."""
    if amount_minor is None:
        return ""
    sign = "-" if amount_minor < 0 else ""
    shillings, cents = divmod(abs(amount_minor), 100)
    return f"{sign}KES {shillings:,}.{cents:02d}"


def percent_bp(bp: int | None) -> str:
    return "" if bp is None else f"{bp / 100:.2f}%"


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(kes=kes, percent_bp=percent_bp, pretty_json=pretty_json)
_env.globals["prefix"] = PREFIX


def render(template: str, signed: Signed | None, status: int = 200, **context: Any) -> HTMLResponse:
    navigation = (
        [(label, PREFIX + path) for label, path, roles in NAVIGATION if signed.may(*roles)]
        if signed is not None
        else []
    )
    html = _env.get_template(template).render(
        signed=signed,
        csrf_token=signed.csrf_token if signed is not None else "",
        navigation=navigation,
        notice=context.pop("notice", None),
        error=context.pop("error", None),
        **context,
    )
    return HTMLResponse(html, status_code=status)
