"""Every kind of four-eyes request, by name: what the engine dispatches on. Each domain
defines its kind beside the change it makes; the staff channel gathers them, and
``app.bootstrap.wire_domains`` registers them with the engine (``app.approvals.kinds``)."""

from __future__ import annotations

from collections.abc import Mapping

from app.accounting.float_transfers import FLOAT_TRANSFER
from app.accounting.manual_journals import MANUAL_JOURNAL
from app.admin.staff_requests import STAFF_CREATION
from app.approvals.kinds import ApprovalHandler
from app.crb.dispute_kind import CRB_DISPUTE
from app.groups.gates import APPLICATION_GATE, PAYOUT_GATE
from app.groups.officials import OFFICIAL_CHANGE
from app.lending.limit_overrides import LIMIT_OVERRIDE
from app.lending.restructure_requests import LOAN_RESTRUCTURE
from app.lending.write_off_requests import WRITE_OFF
from app.mpesa.reversal_kind import COLLECTION_REVERSAL
from app.products.changes import PRODUCT_CHANGE
from app.reconciliation.exceptions.resolution_kind import RECON_RESOLUTION, ResolutionHandler
from app.scoring.versions import SCORECARD_ACTIVATION
from app.security.fields import BlindIndex
from app.sme.approval_kind import SME_LOAN_APPROVAL

KINDS: tuple[ApprovalHandler, ...] = (
    PRODUCT_CHANGE,
    LIMIT_OVERRIDE,
    WRITE_OFF,
    MANUAL_JOURNAL,
    SCORECARD_ACTIVATION,
    RECON_RESOLUTION,
    COLLECTION_REVERSAL,
    FLOAT_TRANSFER,
    CRB_DISPUTE,
    APPLICATION_GATE,
    PAYOUT_GATE,
    OFFICIAL_CHANGE,
    LOAN_RESTRUCTURE,
    SME_LOAN_APPROVAL,
    STAFF_CREATION,
)
HANDLERS: Mapping[str, ApprovalHandler] = {handler.kind.value: handler for handler in KINDS}


def handlers(blind_index: BlindIndex | None) -> Mapping[str, ApprovalHandler]:
    """The kinds, with the request's blind index for a resolution that stores a callback."""
    resolution = ResolutionHandler(blind_index)
    return {**HANDLERS, resolution.kind.value: resolution}
