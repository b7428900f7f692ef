"""Worker tasks of groups: the daily review of every active group's score and limit, and the
nightly run of group loans (``app.groups.accrual``)."""

from __future__ import annotations

from datetime import timedelta

from app.clock import Clock, business_date
from app.db.session import Sessions
from app.groups.accrual import accrue_group_loans
from app.groups.standing import Trigger, due_for_rescore, rescore
from app.runtime import Runtime
from app.tasks import refs
from app.tasks.registry import task
from app.tasks.sweeps import RowFailures

REVIEW_EVERY = timedelta(days=1)
"""A group is rescored when its last score is older than this."""


def review_groups(sessions: Sessions, clock: Clock) -> int:
    """Rescore the active groups not scored for ``REVIEW_EVERY``, each in its own
    transaction (one group that fails never stops the others); how many were scored."""
    now = clock()
    with sessions.reader() as session:
        due = due_for_rescore(session, now - REVIEW_EVERY)
    failures = RowFailures(refs.REVIEW_GROUPS.name)
    scored = 0
    for group_id in due:
        with failures.row(group_id), sessions.unit_of_work() as session:
            rescore(session, group_id, Trigger.SCHEDULED, clock())
            scored += 1
    failures.raise_if_any()
    return scored


@task(refs.REVIEW_GROUPS)
def review_groups_task(rt: Runtime) -> int:
    return review_groups(rt.sessions, rt.clock)


@task(refs.ACCRUE_GROUP_LOANS)
def accrue_group_loans_task(rt: Runtime) -> int:
    return accrue_group_loans(rt.sessions, rt.clock, business_date(rt.clock()))
