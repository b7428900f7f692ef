"""The second approval of an SME loan above its product's threshold: a four-eyes kind of the
one engine (``sme_loan_approval``). The maker is the credit officer who approved first; the
checker another credit officer or admin. Approving pays the loan out (the rules checked again
as they are then); rejecting, withdrawing or letting it expire rejects the application."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.approvals.kinds import Approved, DecisionPolicy, KindRules
from app.approvals.models import ApprovalKind, ApprovalRequest
from app.sme import errors
from app.sme.applications import close_rejected, get_application, pay_out, recheck
from app.sme.models import ApplicationStatus
from app.staff.models import Role
from ledger import Ledger


class SmeLoanApprovalHandler(KindRules):
    kind = ApprovalKind.SME_LOAN_APPROVAL
    effect = "sme.application.approve"
    policy = DecisionPolicy(
        decider_roles=frozenset({Role.ADMIN, Role.CREDIT_OFFICER}),
        expires_after=timedelta(days=3),
    )

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        application = get_application(session, int(asked["application_id"]))
        return {
            "application_id": application.id,
            "business_id": application.business_id,
            "amount_minor": application.amount_minor,
            "instalments": application.instalments,
        }

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return "sme_application", str(payload["application_id"])

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        application = get_application(session, payload["application_id"], lock=True)
        if application.status != ApplicationStatus.AWAITING_SECOND:
            raise errors.ApplicationDecided(f"Application {application.id} is {application.status}")
        recheck(session, application)
        return {"status": application.status}

    def apply(self, approved: Approved) -> dict[str, Any]:
        session, ledger, approval, _, now = approved.parts()
        application = get_application(session, approval.payload["application_id"])
        payouts = pay_out(session, ledger, application, now)
        return {
            "status": application.status,
            "loan_id": application.loan_id,
            "legs": [p.amount_minor for p in payouts],
        }

    def closed(self, session: Session, approval: ApprovalRequest, now: datetime) -> None:
        application = get_application(session, approval.payload["application_id"], lock=True)
        if application.status == ApplicationStatus.AWAITING_SECOND:
            close_rejected(application, approval.checker, f"Second approval {approval.status}", now)


SME_LOAN_APPROVAL = SmeLoanApprovalHandler()
