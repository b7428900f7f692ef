"""Every kind of maker-checker request, by name: what ``approve`` dispatches on."""

from __future__ import annotations

from collections.abc import Mapping

from app.accounting.manual_journals import ManualJournalHandler
from app.approvals.engine import ApprovalHandler
from app.lending.limit_overrides import LimitOverrideHandler
from app.lending.write_off_requests import WriteOffHandler
from app.products.changes import ProductChangeHandler
from app.scoring.versions import ScorecardActivationHandler

PRODUCT_CHANGE = ProductChangeHandler()
LIMIT_OVERRIDE = LimitOverrideHandler()
WRITE_OFF = WriteOffHandler()
MANUAL_JOURNAL = ManualJournalHandler()
SCORECARD_ACTIVATION = ScorecardActivationHandler()

HANDLERS: Mapping[str, ApprovalHandler] = {
    handler.kind.value: handler
    for handler in (PRODUCT_CHANGE, LIMIT_OVERRIDE, WRITE_OFF, MANUAL_JOURNAL, SCORECARD_ACTIVATION)
}
