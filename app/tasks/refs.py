"""Every worker task by reference: the one place a task's name is written.

A use case hands work to the worker with ``after_commit(session, SUBMIT_PAYOUT, payout.id)``,
a domain declares the body with ``@task(SUBMIT_PAYOUT)``, beat schedules by reference: a
misspelt name is an import error, not a message no worker takes. Tasks carry ids only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TaskRef:
    name: str
    """Celery's name for the task (``domain.verb``): what the broker's messages carry."""


EXPIRE_APPROVALS = TaskRef("approvals.expire_due")
SEAL_LEDGER = TaskRef("accounting.seal_ledger")
EXPIRE_HOLDS = TaskRef("accounting.expire_holds")
ACCRUE = TaskRef("lending.accrue")
PROCESS_CALLBACKS = TaskRef("mpesa.process_callbacks")
SEND_STK = TaskRef("mpesa.send_stk")
SWEEP_STK = TaskRef("mpesa.sweep_stk")
SWEEP_REVERSALS = TaskRef("mpesa.sweep_reversals")
SEND_SMS = TaskRef("notifications.send_sms")
SUBMIT_PAYOUT = TaskRef("payments.submit_payout")
SWEEP_PAYOUTS = TaskRef("payments.sweep_payouts")
EXECUTE_RUN = TaskRef("reconciliation.execute_run")
RECONCILE_NIGHTLY = TaskRef("reconciliation.nightly")
RESUME_RUNS = TaskRef("reconciliation.resume_runs")
RESOLVE_PENDING = TaskRef("reconciliation.resolve_pending")
FLOAT_CHECK = TaskRef("reconciliation.float_check")
CRB_REPORT_DAY = TaskRef("crb.report_day")
RESCORE_DUE = TaskRef("scoring.rescore_due")
REVIEW_GROUPS = TaskRef("groups.review_scores")
ACCRUE_GROUP_LOANS = TaskRef("groups.accrue_loans")
COMPLETE_REGISTRATION = TaskRef("ussd.complete_registration")
SWEEP_REGISTRATIONS = TaskRef("ussd.sweep_registrations")
PURGE_USSD_SESSIONS = TaskRef("ussd.purge_sessions")
ERASE_EXPIRED = TaskRef("privacy.erase_expired")

ALL: tuple[TaskRef, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, TaskRef))
assert len({ref.name for ref in ALL}) == len(ALL), "two task references share a name"
