"""``/api/v1``: the mobile app API, assembled from one router per area.

Every route but registration, sign-in and refresh takes ``current_borrower`` and reads or
writes only that borrower's records. See docs/app-api.md for the flows and choices.
"""

from fastapi import APIRouter

from app.mobile import (
    account_routes,
    auth_routes,
    group_routes,
    loan_routes,
    privacy_routes,
    registration_routes,
    savings_routes,
    sme_routes,
)

router = APIRouter(prefix="/api/v1")
for _area in (
    registration_routes,
    auth_routes,
    account_routes,
    loan_routes,
    savings_routes,
    privacy_routes,
    sme_routes,
):
    router.include_router(_area.router)
router.include_router(group_routes.router)
router.include_router(group_routes.split_router)
