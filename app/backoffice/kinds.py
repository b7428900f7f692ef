"""Every kind of maker-checker request, by name: what ``approve`` dispatches on."""

from __future__ import annotations

from collections.abc import Mapping

from app.backoffice.approvals import ApprovalHandler
from app.backoffice.limit_overrides import LimitOverrideHandler
from app.backoffice.loan_write_offs import WriteOffHandler
from app.backoffice.manual_journals import ManualJournalHandler
from app.backoffice.product_changes import ProductChangeHandler
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
