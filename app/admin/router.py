"""``/admin/v1``: running the fund (roles and maker-checker rules in docs/backoffice.md).

Each area's router carries the ``/admin/v1`` prefix itself (``routes.common.PREFIX``)."""

from fastapi import APIRouter

from app.accounting import float_transfer_routes as float_transfers
from app.accounting import journal_routes as journals
from app.admin import approval_routes as approvals
from app.admin import borrower_data_routes as borrower_data
from app.admin import borrower_routes as borrowers
from app.admin import loan_routes as loans
from app.admin import sme_routes as sme
from app.admin import staff_request_routes as staff_requests
from app.crb import routes as crb
from app.groups import routes as groups
from app.products import routes as products
from app.scoring import routes as scoring
from app.staff import routes as staff

router = APIRouter()
for _area in (
    staff,
    staff_requests,
    products,
    approvals,
    borrowers,
    borrower_data,
    loans,
    sme,
    journals,
    float_transfers,
    scoring,
    crb,
    groups,
):
    router.include_router(_area.router)
