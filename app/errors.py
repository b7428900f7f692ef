"""Base class for refusals of the product's rules (the ledger has its own ``LedgerError``).

Each broken rule is its own subclass, defined beside the code that raises it, with a stable
``code`` and an HTTP status given as class keywords; ``app.api.problems`` turns any of them
into problem+json.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    http_status = 422

    def __init_subclass__(cls, code: str = "", http_status: int = 0, **kwargs: Any) -> None:
        """``class OverLimit(DomainError, code="over_limit", http_status=409): ...``"""
        super().__init_subclass__(**kwargs)
        cls.code, cls.http_status = code or cls.code, http_status or cls.http_status

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
