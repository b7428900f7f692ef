"""What borrowers and staff are shown of a borrower's consents."""

from __future__ import annotations

from datetime import datetime

from app.api.bodies import RowOut


class ConsentOut(RowOut):
    terms_version: str
    channel: str
    given_at: datetime
    withdrawn_at: datetime | None
