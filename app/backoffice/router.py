"""``/admin/v1``: running the fund (roles and maker-checker rules in docs/backoffice.md).

Each area's router carries the ``/admin/v1`` prefix itself (``routes.common.PREFIX``)."""

from fastapi import APIRouter

from app.backoffice.routes import approvals, borrowers, journals, loans, products, scoring, staff

router = APIRouter()
for _area in (staff, products, approvals, borrowers, loans, journals, scoring):
    router.include_router(_area.router)
