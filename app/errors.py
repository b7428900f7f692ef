"""Base class for refusals of the product's rules (the ledger has its own ``LedgerError``).

Each broken rule is its own subclass, defined beside the code that raises it, with a stable
``code`` and an HTTP status; ``app.api.problems`` turns any of them into problem+json.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"
    http_status = 422

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
