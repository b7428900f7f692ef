"""Every kind of four-eyes request, by name: what ``approve`` dispatches on. Each domain
defines its kind beside the change it makes; the staff channel gathers them."""

from __future__ import annotations

from collections.abc import Mapping

from app.accounting.manual_journals import MANUAL_JOURNAL
from app.approvals.engine import ApprovalHandler
from app.lending.limit_overrides import LIMIT_OVERRIDE
from app.lending.write_off_requests import WRITE_OFF
from app.products.changes import PRODUCT_CHANGE
from app.scoring.versions import SCORECARD_ACTIVATION

HANDLERS: Mapping[str, ApprovalHandler] = {
    handler.kind.value: handler
    for handler in (PRODUCT_CHANGE, LIMIT_OVERRIDE, WRITE_OFF, MANUAL_JOURNAL, SCORECARD_ACTIVATION)
}
