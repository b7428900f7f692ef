"""Reconciliation runs: created for a statement or a period, executed step by step.

A run is unique by its key (``statement:<sha256>``, ``period:<from>:<to>``): asking again
returns it, and executing a finished run changes nothing. Execution is a series of steps,
each its own transaction that commits with the run's phase and cursor:

1. snapshot: the ledger's float movements by receipt, for the period and a margin;
2. matching: the next chunk of statement lines (by id) decided against the snapshot;
3. closing: the rules after the join, ledger-only receipts, conflicting lines, exceptions,
   the float check and the summary.

A crash loses at most the step in progress (rolled back), and the next execution resumes
at that step. Steps take the run's row lock (SKIP LOCKED): two workers never run one step
twice, and a second worker finds the run busy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounting.chart import float_of, fund_accounts
from app.borrowers.models import Borrower
from app.clock import EAT, Clock
from app.db.session import Sessions
from app.reconciliation.errors import InvalidPeriod, NoStatementForPeriod, RunNotFound
from app.reconciliation.exceptions import opening as exceptions
from app.reconciliation.exceptions.models import FloatCheck, ReconException
from app.reconciliation.float_check import check_statement
from app.reconciliation.matching import after_receipts as rule_matching
from app.reconciliation.matching import receipts as matching
from app.reconciliation.matching import rules as r
from app.reconciliation.matching.after_receipts import PhoneOf
from app.reconciliation.matching.rules import MatchRules
from app.reconciliation.matching.snapshot import take_snapshot
from app.reconciliation.models import (
    FINISHED_RUN,
    UNFINISHED_RUN,
    Result,
    Run,
    RunStatus,
    Statement,
)
from app.reconciliation.sql import analyze_if_grown, tune_for_bulk
from app.reconciliation.statements.airtel import COLLECTION, DISBURSEMENT
from app.reconciliation.statements.importer import ImportResult, import_statement
from app.security.fields import FieldCipher
from integrations.payments.networks import Network
from ledger import Ledger

MATCH_CHUNK = 200_000
"""Statement lines decided per step (one transaction). Each step reads the whole snapshot
once (a hash join), so fewer, larger steps are cheaper: 200k lines take a few seconds."""
MAX_ATTEMPTS = 5
"""Failed steps before a run is marked failed (a transient error is retried, a bug is not
retried forever)."""
MAX_PERIOD_DAYS = 31
MIN_YEAR, MAX_YEAR = 2000, 2200
StepHook = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class RunPace:
    """How a run is executed: lines per step, a time budget, a hook after each step."""

    chunk_size: int = MATCH_CHUNK
    budget_s: float | None = None
    """Stop (to resume later) after the step that spends it; None: run to the end."""
    after_step: StepHook | None = None
    """Called with the phase after each step's commit (benchmarks time the phases)."""


DEFAULT_PACE = RunPace()


def scope(run: Run) -> tuple[datetime, datetime]:
    """[from, until): the statement's times have whole seconds, ``period_to`` included."""
    return run.period_from, run.period_to + timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class RunSubject:
    """What a run reconciles: a statement or a period, under the key that makes it unique."""

    key: str
    kind: str
    """``statement`` or ``period``."""
    bounds: tuple[datetime, datetime]
    """The first and last instants covered, both included."""
    statement_id: int | None = None
    network: str = Network.SAFARICOM.value
    """Whose lines and float the run reads."""


def _new_run(
    session: Session, subject: RunSubject, rules: MatchRules, requested_by: str, now: datetime
) -> Run:
    run = Run(
        run_key=subject.key,
        kind=subject.kind,
        network=subject.network,
        statement_id=subject.statement_id,
        period_from=subject.bounds[0],
        period_to=subject.bounds[1],
        rules=rules.as_dict(),
        status=RunStatus.QUEUED.value,
        phase="snapshot",
        cursor_line_id=0,
        lines_total=0,
        lines_done=0,
        items_total=0,
        attempts=0,
        requested_by=requested_by,
        created_at=now,
    )
    session.add(run)
    session.flush()
    return run


@dataclass(frozen=True, slots=True)
class Started:
    run: Run
    created: bool
    imported: ImportResult | None = None


def start_statement_run(  # noqa: PLR0913  (the upload's fields, then whose statement it is)
    session: Session,
    stream: IO[bytes],
    filename: str,
    requested_by: str,
    now: datetime,
    rules: MatchRules | None = None,
    network: str = Network.SAFARICOM.value,
) -> Started:
    """Import the file as ``network``'s statement (or find it imported) and its run; raises
    ``StatementRejected``."""
    imported = import_statement(session, stream, filename, requested_by, now, network=network)
    statement = session.get(Statement, imported.statement_id)
    assert statement is not None
    key = f"statement:{statement.sha256}"
    existing = session.scalar(select(Run).where(Run.run_key == key))
    if existing is not None:
        return Started(existing, False, imported)
    bounds = (statement.period_from, statement.period_to)
    subject = RunSubject(key, "statement", bounds, statement.id, statement.network)
    run = _new_run(session, subject, rules or MatchRules(), requested_by, now)
    return Started(run, True, imported)


def period_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """Business dates (Nairobi) ``first`` to ``last`` inclusive, as UTC instants."""
    if first.year < MIN_YEAR or last.year > MAX_YEAR:
        raise InvalidPeriod(f"Give dates between {MIN_YEAR} and {MAX_YEAR}")
    if last < first or (last - first).days >= MAX_PERIOD_DAYS:
        raise InvalidPeriod(f"Give a period of 1 to {MAX_PERIOD_DAYS} days, first day first")
    since = datetime.combine(first, clock_time(0, 0), tzinfo=EAT)
    until = datetime.combine(last, clock_time(23, 59, 59), tzinfo=EAT)
    return since.astimezone(UTC), until.astimezone(UTC)


def start_period_run(  # noqa: PLR0913  (the request's fields, then whose lines to read)
    session: Session,
    period: tuple[date, date],
    requested_by: str,
    now: datetime,
    rules: MatchRules | None = None,
    again: bool = False,
    network: str = Network.SAFARICOM.value,
) -> Started:
    """A run over ``network``'s statement lines already imported for the business dates
    ``period`` (first, last); ``again`` makes a fresh run when one exists (e.g. after
    resolutions). M-Pesa's keys are ``period:<first>:<last>``, other providers'
    ``period:<network>:<first>:<last>``."""
    first, last = period
    since, until = period_bounds(first, last)
    covered = session.execute(
        select(func.min(Statement.period_from), func.max(Statement.period_to)).where(
            Statement.network == network,
            Statement.period_from <= until,
            Statement.period_to >= since,
        )
    ).one()
    if covered[0] is None or covered[0] > since or covered[1] < until:
        raise NoStatementForPeriod(
            f"No imported statement covers {first.isoformat()} to {last.isoformat()}"
        )
    provider = "" if network == Network.SAFARICOM else f"{Network(network).value}:"
    key = f"period:{provider}{first.isoformat()}:{last.isoformat()}"
    existing = session.scalar(
        select(Run).where(Run.run_key.startswith(key)).order_by(Run.id.desc()).limit(1)
    )
    if existing is not None and not again:
        return Started(existing, False)
    if existing is not None:
        count = session.scalar(select(func.count()).where(Run.run_key.startswith(key)))
        key = f"{key}:{int(count or 0) + 1}"
    subject = RunSubject(key, "period", (since, until), network=network)
    return Started(_new_run(session, subject, rules or MatchRules(), requested_by, now), True)


def get_run(session: Session, run_id: int) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        raise RunNotFound(f"No reconciliation run {run_id}")
    return run


# -- execution -------------------------------------------------------------------------


def phone_lookup(session: Session, cipher: FieldCipher | None) -> PhoneOf | None:
    if cipher is None:
        return None

    def phone_of(borrower_id: int) -> str | None:
        encrypted = session.scalar(select(Borrower.phone_enc).where(Borrower.id == borrower_id))
        return cipher.decrypt(encrypted) if encrypted else None

    return phone_of


def execute_run(
    sessions: Sessions,
    clock: Clock,
    run_id: int,
    cipher: FieldCipher | None = None,
    pace: RunPace = DEFAULT_PACE,
) -> str:
    """Run steps until the run is done (or ``pace.budget_s`` is spent); returns its status, or
    "busy" when another worker holds it."""
    chunk_size, budget_s, after_step = pace.chunk_size, pace.budget_s, pace.after_step
    deadline = None if budget_s is None else time.monotonic() + budget_s
    while True:
        try:
            with sessions.unit_of_work() as session:
                run = session.scalar(
                    select(Run)
                    .where(Run.id == run_id)
                    .with_for_update(skip_locked=True)
                    .execution_options(populate_existing=True)
                )
                if run is None:
                    exists = session.scalar(select(Run.id).where(Run.id == run_id))
                    return "busy" if exists else "not_found"
                if run.status in FINISHED_RUN:
                    return run.status
                _step(session, Ledger(session, clock), run, clock(), cipher, chunk_size)
                phase, status = run.phase, run.status
        except Exception as exc:
            _count_failure(sessions, clock, run_id, exc)
            raise
        if after_step is not None:
            after_step(phase)
        if status == RunStatus.DONE or (deadline is not None and time.monotonic() >= deadline):
            return status


def _count_failure(sessions: Sessions, clock: Clock, run_id: int, exc: Exception) -> None:
    with sessions.unit_of_work() as session:
        run = session.get(Run, run_id, with_for_update=True)
        if run is None or run.status in FINISHED_RUN:
            return
        run.attempts += 1
        run.error = f"{type(exc).__name__}: {exc}"[:300]
        run.updated_at = clock()
        if run.attempts >= MAX_ATTEMPTS:
            run.status, run.finished_at = RunStatus.FAILED.value, clock()


def _step(
    session: Session,
    ledger: Ledger,
    run: Run,
    now: datetime,
    cipher: FieldCipher | None,
    chunk_size: int,
) -> None:
    since, until = scope(run)
    rules = MatchRules.from_dict(run.rules)
    run.updated_at = now
    tune_for_bulk(session)
    if run.phase == "snapshot":
        run.status, run.started_at = RunStatus.RUNNING.value, run.started_at or now
        float_id = fund_accounts(ledger)[float_of(run.network)]
        margin = r.SNAPSHOT_MARGIN
        run.items_total = take_snapshot(session, run.id, float_id, since - margin, until + margin)
        analyze_if_grown(session, "recon_ledger_items", run.items_total)
        run.lines_total = matching.count_lines(session, since, until, run.network)
        run.phase, run.cursor_line_id = "matching", 0
    elif run.phase == "matching":
        last = matching.next_chunk_end(
            session, run.cursor_line_id, since, until, chunk_size, run.network
        )
        if last is None:
            run.phase = "closing"
        else:
            chunk = matching.LineChunk(run.cursor_line_id, last)
            done = matching.match_chunk(session, run.id, chunk, (since, until), rules, run.network)
            run.cursor_line_id, run.lines_done = last, run.lines_done + done
    elif run.phase == "closing":
        _close(session, ledger, run, rules, now, phone_lookup(session, cipher))
        run.phase, run.status, run.finished_at = "done", RunStatus.DONE.value, now
    session.flush()


def _close(
    session: Session,
    ledger: Ledger,
    run: Run,
    rules: MatchRules,
    now: datetime,
    phone_of: PhoneOf | None,
) -> None:
    since, until = scope(run)
    if rules.group_charges:
        rule_matching.group_charges(session, run.id, rules)
    network = run.network
    rule_matching.match_payouts(session, run.id, rules, (since, until), phone_of, network)
    rule_matching.match_stk_prompts(session, run.id, rules, (since, until), network)
    matching.ledger_only(session, run.id, since, until, network, _payouts_only(session, run))
    matching.conflicting_lines(session, run.id, since, until, network)
    session.flush()
    opened = exceptions.open_exceptions(session, run.id, now)
    resolved = exceptions.auto_resolve(session, run.id, now)
    check = check_statement(session, ledger, run, now)
    run.summary = summarise(session, run, opened, resolved, check)


def _payouts_only(session: Session, run: Run) -> bool | None:
    """Airtel exports each account on its own: a disbursement file answers only for payouts,
    a collection file for everything else (so neither reports the other's receipts as
    missing at the provider)."""
    if run.network != Network.AIRTEL or run.statement_id is None:
        return None
    account = session.scalar(select(Statement.account_name).where(Statement.id == run.statement_id))
    return {DISBURSEMENT: True, COLLECTION: False}.get(account or "")


def summarise(
    session: Session,
    run: Run,
    opened: int,
    auto_resolved: int,
    check: FloatCheck | None,
) -> dict[str, Any]:
    """Counts and totals per outcome, exceptions by state, the float check (plain JSON)."""
    rows = session.execute(
        select(
            Result.outcome,
            func.count(),
            func.coalesce(func.sum(Result.statement_minor), 0),
            func.coalesce(func.sum(Result.ledger_minor), 0),
            func.coalesce(func.sum(Result.difference_minor), 0),
        )
        .where(Result.run_id == run.id)
        .group_by(Result.outcome)
        .order_by(Result.outcome)
    ).all()
    outcomes = {
        outcome: {
            "count": int(count),
            "statement_minor": int(statement or 0),
            "ledger_minor": int(ledger or 0),
            "difference_minor": int(difference or 0),
        }
        for outcome, count, statement, ledger, difference in rows
    }
    linked = select(Result.exception_id).where(Result.run_id == run.id).distinct()
    states = session.execute(
        select(ReconException.state, func.count())
        .where(ReconException.id.in_(linked) | (ReconException.first_run_id == run.id))
        .group_by(ReconException.state)
    ).all()
    return {
        "lines": run.lines_total,
        "ledger_receipts": run.items_total,
        "outcomes": outcomes,
        "exceptions": {
            "by_state": {state: int(count) for state, count in states},
            "opened": opened,
            "auto_resolved": auto_resolved,
        },
        "float_check": None
        if check is None
        else {
            "as_of": check.as_of.isoformat(),
            "provider_minor": check.provider_minor,
            "ledger_minor": check.ledger_minor,
            "difference_minor": check.difference_minor,
            "explained_minor": check.explained_minor,
            "unexplained_minor": check.difference_minor - (check.explained_minor or 0),
        },
    }


def unfinished_runs(session: Session, limit: int = 20) -> list[int]:
    return list(
        session.scalars(
            select(Run.id).where(Run.status.in_(UNFINISHED_RUN)).order_by(Run.id).limit(limit)
        )
    )
