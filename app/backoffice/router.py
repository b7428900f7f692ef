"""``/admin/v1`` (being built)."""

from fastapi import APIRouter

router = APIRouter(prefix="/admin/v1", tags=["admin"])
