"""What a console page shows when a use case refuses: the refusal's own words and status,
never a 500 (the same refusals the API answers as problem documents)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from app.api.problems import ProblemError
from app.errors import DomainError
from ledger import LedgerError

REFUSALS = (DomainError, ProblemError, LedgerError, ValidationError)


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    message: str


def refusal(exc: Exception) -> Refusal:
    if isinstance(exc, DomainError | LedgerError):
        return Refusal(exc.http_status, str(exc))
    if isinstance(exc, ProblemError):
        return Refusal(exc.status, exc.detail)
    if isinstance(exc, ValidationError):
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        )
        return Refusal(422, f"Check the form: {fields}")
    raise exc


def said(exc: Exception) -> dict[str, Any]:
    """A refusal as a page's ``status`` and ``error`` (keywords of ``render`` and its kin)."""
    refused = refusal(exc)
    return {"status": refused.status, "error": refused.message}
