"""Path and query parameters every router shares: record ids and dates.

Invariant: no value from a URL reaches the database unless it fits the column. An id is
bounded under PostgreSQL's bigint (2**63 - 1) so 2**63 is a 422, not a 500 "bigint out of
range"; a date or date-time is an ISO 8601 string, so ``?as_of=0.5`` is a 422 instead of
pydantic's reading of a bare number as seconds since 1970.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import BeforeValidator, Field

MAX_RECORD_ID = 2**62
"""Above every id a table will hold, and well under bigint's 2**63 - 1."""

RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
"""A record's id in a path: 1 to ``MAX_RECORD_ID``."""
BodyId = Annotated[int, Field(ge=1, le=MAX_RECORD_ID)]
"""A record's id in a body: 1 to ``MAX_RECORD_ID``."""
AfterId = Annotated[int, Query(ge=0, le=MAX_RECORD_ID, description="Last id of the previous page")]
"""Keyset paging: the last id of the previous page (0 for the first)."""

PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
"""Free text in a query: no control characters (PostgreSQL text cannot hold NUL)."""
Filter = Annotated[str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE)]
"""An optional free-text filter of a list (a status, a kind, a name)."""

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}.*")


def _iso_date(value: object) -> object:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("Give an ISO 8601 date, e.g. 2026-03-02")


def _iso_datetime(value: object) -> object:
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        return value  # pydantic parses the rest (time, fraction, zone) strictly
    raise ValueError("Give an ISO 8601 date-time with a zone, e.g. 2026-03-02T07:00Z")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
"""A calendar date written ``YYYY-MM-DD``, nothing else (no number, no time)."""
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]
"""A date-time written ``YYYY-MM-DDTHH:MM[...]``, nothing else (no bare number)."""
