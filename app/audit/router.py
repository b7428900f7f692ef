"""``/audit/v1/audit-log`` (being built)."""

from fastapi import APIRouter

router = APIRouter(prefix="/audit/v1", tags=["audit log"])
