"""The scheduled jobs' bodies (thin Celery tasks call these): the nightly reconciliation,
resuming unfinished runs, and the float check.

Nightly: every statement file dropped in ``STATEMENT_DROP_DIR`` (by whoever exports it from
the M-Pesa portal) is imported and reconciled, then moved to ``imported/`` (or ``rejected/``
with the reason beside it); then yesterday (Nairobi) is reconciled as a period, if the
imported statements cover it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import structlog

from app.clock import Clock, business_date
from app.db.session import Sessions
from app.reconciliation.errors import NoStatementForPeriod
from app.reconciliation.float_check import check_inbox_balances
from app.reconciliation.runs import (
    RunPace,
    execute_run,
    start_period_run,
    start_statement_run,
    unfinished_runs,
)
from app.reconciliation.statements.reader import StatementRejected
from app.security.fields import FieldCipher
from app.settings import VAR_DIR
from app.tasks import refs
from app.tasks.sweeps import RowFailures
from ledger import Ledger

log = structlog.get_logger("mkopo.reconciliation")

STATEMENT_DROP_DIR = VAR_DIR / "statements"
MAX_FILES_PER_NIGHT = 50
RUN_BUDGET_S = 240.0
"""A task works on a run this long, then leaves the rest to the resume job (below the
worker's time limit, so a long run is never killed mid-step by it)."""
SYSTEM = "system"


@dataclass
class NightlyReport:
    run_ids: list[int] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def _move(path: Path, folder: str) -> Path:
    target = path.parent / folder
    target.mkdir(exist_ok=True)
    return Path(shutil.move(str(path), target / path.name))


def import_dropped(sessions: Sessions, clock: Clock, drop_dir: Path) -> NightlyReport:
    report = NightlyReport()
    if not drop_dir.is_dir():
        return report
    files = sorted(p for p in drop_dir.iterdir() if p.suffix.lower() in (".csv", ".xlsx"))
    for path in files[:MAX_FILES_PER_NIGHT]:
        try:
            with sessions.unit_of_work() as session, path.open("rb") as stream:
                started = start_statement_run(session, stream, path.name, SYSTEM, clock())
                report.run_ids.append(started.run.id)
        except StatementRejected as exc:
            moved = _move(path, "rejected")
            moved.with_name(moved.name + ".error.txt").write_text(exc.detail + "\n")
            report.rejected.append(path.name)
            log.warning("statement_rejected", file=path.name, problem=exc.detail)
            continue
        _move(path, "imported")
    return report


def nightly(
    sessions: Sessions,
    clock: Clock,
    cipher: FieldCipher | None,
    drop_dir: Path = STATEMENT_DROP_DIR,
) -> NightlyReport:
    report = import_dropped(sessions, clock, drop_dir)
    yesterday = business_date(clock()) - timedelta(days=1)
    try:
        with sessions.unit_of_work() as session:
            started = start_period_run(session, (yesterday, yesterday), SYSTEM, clock())
            report.run_ids.append(started.run.id)
    except NoStatementForPeriod:
        log.info("no_statement_for_yesterday", date=yesterday.isoformat())
    for run_id in report.run_ids:
        execute_run(sessions, clock, run_id, cipher, RunPace(budget_s=RUN_BUDGET_S))
    return report


def resume_runs(sessions: Sessions, clock: Clock, cipher: FieldCipher | None) -> int:
    """Carry on with runs a crash, a lost task or a budget left unfinished."""
    with sessions.reader() as session:
        ids = unfinished_runs(session)
    failures = RowFailures(refs.RESUME_RUNS.name)
    for run_id in ids:
        with failures.row(run_id):  # a failing run counts its failure itself (runs.py)
            execute_run(sessions, clock, run_id, cipher, RunPace(budget_s=RUN_BUDGET_S))
    failures.raise_if_any()
    return len(ids)


def float_check(sessions: Sessions, clock: Clock) -> int:
    with sessions.unit_of_work() as session:
        return check_inbox_balances(session, Ledger(session, clock), clock())
