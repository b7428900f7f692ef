"""What every API body shares: bodies refuse unknown fields (no mass assignment), rows are
read from attributes, and free text refuses control characters."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

FREE_TEXT = r"^[^\x00-\x1f\x7f]+$"


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ReasonIn(StrictBody):
    reason: str = Field(min_length=3, max_length=200, pattern=FREE_TEXT)
