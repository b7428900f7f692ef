"""``/admin/v1/reports`` (being built)."""

from fastapi import APIRouter

router = APIRouter(prefix="/admin/v1/reports", tags=["reports"])
