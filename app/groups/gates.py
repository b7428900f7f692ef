"""The two approval gates of a group application as kinds of the one four-eyes engine.

``GROUP_APPLICATION``: the applicant (an official) is the maker; the deciders are the drawn
members and the officials other than the applicant (``application.approvers``); every one of
them must approve (``approvals_needed`` = their number), any rejection rejects, and the
request expires at the product's deadline (the application lapses). When the last approval
lands, the application is checked again (still at this gate, every approver and every member
with a share still active) and moves to ``pending_payout_approval``; in the same transaction
the payout gate is asked: a ``GROUP_PAYOUT`` request to the same approvers, with the same
rules. When that passes the application is ``ready_for_payout``.

A request closed without being applied (rejected, expired, withdrawn, failed) closes the
application the same way (``closed``): rejected, lapsed, withdrawn, failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.approvals import engine
from app.approvals.kinds import Approved, DecisionPolicy, KindRules
from app.approvals.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from app.audit.log import Actor
from app.groups import disbursement, errors, notices
from app.groups.actors import borrower_actor
from app.groups.membership import active_members, get_group, group_product
from app.groups.models import ApplicationStatus, GroupApplication, GroupApplicationShare
from ledger import Ledger

SUBJECT = "group_application"
CLOSED_AS = {
    ApprovalStatus.REJECTED.value: ApplicationStatus.REJECTED,
    ApprovalStatus.EXPIRED.value: ApplicationStatus.LAPSED,
    ApprovalStatus.WITHDRAWN.value: ApplicationStatus.WITHDRAWN,
    ApprovalStatus.FAILED.value: ApplicationStatus.FAILED,
}
GATE_NAMES = {
    ApprovalKind.GROUP_APPLICATION.value: "a group loan application",
    ApprovalKind.GROUP_PAYOUT.value: "paying out a group loan",
}


def gate_policy(approvers: int, approval_hours: int) -> DecisionPolicy:
    return DecisionPolicy(approvals_needed=approvers, expires_after=timedelta(hours=approval_hours))


def locked_application(session: Session, application_id: int) -> GroupApplication:
    application = session.get(
        GroupApplication, application_id, with_for_update=True, populate_existing=True
    )
    if application is None:
        raise errors.ApplicationNotFound(f"No group application {application_id}")
    return application


class Gate(KindRules):
    """One gate: an application at ``at`` moves to ``to`` once every approver approved."""

    kind: ApprovalKind
    effect: str
    """Audit action of the passed gate."""
    at: ApplicationStatus
    to: ApplicationStatus

    def __init__(self, policy: DecisionPolicy | None = None) -> None:
        self.policy = policy or DecisionPolicy()

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        application = locked_application(session, int(asked["application_id"]))
        return {
            "application_id": application.id,
            "group_id": application.group_id,
            "amount_minor": application.amount_minor,
            "approvers": list(application.approvers),
        }

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return SUBJECT, str(payload["application_id"])

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        application = locked_application(session, int(payload["application_id"]))
        if application.status != self.at:
            raise errors.ApplicationMoved(
                f"Application {application.id} is {application.status}, not {self.at.value}"
            )
        get_group(session, application.group_id, lock=True)
        active = {m.borrower_id for m in active_members(session, application.group_id)}
        sharing = set(
            session.scalars(
                select(GroupApplicationShare.borrower_id).where(
                    GroupApplicationShare.application_id == application.id,
                    GroupApplicationShare.amount_minor > 0,
                )
            ).all()
        )
        gone = (set(application.approvers) | sharing | {application.applicant_id}) - active
        if gone:
            raise errors.ApplicationMoved(
                "A member with a share or a decision left the group: apply again"
            )
        return {"status": application.status}

    def apply(self, approved: Approved) -> dict[str, Any]:
        session, ledger, approval, _checker, now = approved.parts()
        application = locked_application(session, int(approval.payload["application_id"]))
        application.status = self.to.value
        if self.to == ApplicationStatus.READY_FOR_PAYOUT:
            application.closed_at = now
        session.flush()
        self.after(session, ledger, application, now)
        return {"status": application.status}

    def after(
        self, session: Session, ledger: Ledger, application: GroupApplication, now: datetime
    ) -> None:
        """What the gate does next once passed (the application gate asks the payout gate)."""
        return None

    def eligible(self, session: Session, approval: ApprovalRequest, decider: Actor) -> str | None:
        approvers = {borrower_actor(b).username for b in approval.payload.get("approvers", [])}
        if decider.username not in approvers:
            return "Only the drawn members and the officials asked may decide this request"
        return None

    def closed(self, session: Session, approval: ApprovalRequest, now: datetime) -> None:
        application = locked_application(session, int(approval.payload["application_id"]))
        status = CLOSED_AS.get(approval.status)
        if status is not None and application.status == self.at:
            application.status, application.closed_at = status.value, now
            session.flush()


class PayoutGate(Gate):
    kind = ApprovalKind.GROUP_PAYOUT
    effect = "group_application.payout_approved"
    at = ApplicationStatus.PENDING_PAYOUT_APPROVAL
    to = ApplicationStatus.READY_FOR_PAYOUT

    def after(
        self, session: Session, ledger: Ledger, application: GroupApplication, now: datetime
    ) -> None:
        """Passed: the group loan is paid out at once (``app.groups.disbursement``)."""
        disbursement.pay_out(session, ledger, application, now)


class ApplicationGate(Gate):
    kind = ApprovalKind.GROUP_APPLICATION
    effect = "group_application.approved"
    at = ApplicationStatus.PENDING_APPROVAL
    to = ApplicationStatus.PENDING_PAYOUT_APPROVAL

    def after(
        self, session: Session, ledger: Ledger, application: GroupApplication, now: datetime
    ) -> None:
        application.payout_request_id = ask_gate(session, ledger, PayoutGate, application, now).id
        session.flush()


def ask_gate(
    session: Session,
    ledger: Ledger,
    gate: type[Gate],
    application: GroupApplication,
    now: datetime,
) -> ApprovalRequest:
    """Submit ``gate``'s request for ``application`` (the applicant is the maker) and SMS
    each approver."""
    rules = group_product(session, application.product_id).rules
    handler = gate(gate_policy(len(application.approvers), rules.approval_hours))
    ask = engine.Ask(handler, {"application_id": application.id}, f"{gate.kind.value} gate")
    request = engine.submit(
        session, ledger, ask, borrower_actor(application.applicant_id), now
    ).approval
    group = get_group(session, application.group_id)
    for borrower_id in application.approvers:
        notices.approval_asked(
            session, borrower_id, request, group.name, GATE_NAMES[gate.kind.value], now
        )
    return request


APPLICATION_GATE = ApplicationGate()
PAYOUT_GATE = PayoutGate()
