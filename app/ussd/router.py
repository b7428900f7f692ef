"""``POST /ussd/africastalking`` (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["USSD"])
