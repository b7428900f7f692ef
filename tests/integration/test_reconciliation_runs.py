"""Runs are idempotent, resumable after a crash, and a broken file imports nothing."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from app.db.session import Sessions
from app.reconciliation.exceptions.models import ReconException, Resolution
from app.reconciliation.matching import receipts as matching
from app.reconciliation.models import LineConflict, Result, Run, Statement, StatementLine
from app.reconciliation.runs import RunPace, execute_run, start_period_run, start_statement_run
from app.reconciliation.statements.reader import StatementRejected
from integrations.mpesa.simulator import statement as sim
from tests.integration.test_reconciliation_day import (
    DAY_START,
    Day,
    reconcile,
    script_day,
    scripted_fund,
)

pytestmark = pytest.mark.slow  # a scripted day on a whole fund: 1-4 s per test

THE_DAY = date(2026, 3, 2)
TABLES = (
    "ledger_entries",
    "ledger_postings",
    "repayments",
    "mpesa_callbacks",
    "recon_statements",
    "recon_statement_lines",
    "recon_runs",
    "recon_ledger_items",
    "recon_results",
    "recon_exceptions",
    "recon_resolutions",
    "recon_float_checks",
    "audit_log",
)


@pytest.fixture
def day(sessions: Sessions, tmp_path: Path) -> Day:
    return script_day(scripted_fund(sessions, tmp_path))


def counts(day: Day) -> dict[str, int]:
    with day.fund.sessions.reader() as session:
        return {
            table: int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in TABLES
        }


def findings(day: Day, run_id: int) -> list[tuple[Any, ...]]:
    """What a run concluded, without its own ids."""
    with day.fund.sessions.reader() as session:
        rows = session.execute(
            select(
                Result.line_id,
                Result.receipt,
                Result.role,
                Result.outcome,
                Result.rule,
                Result.statement_minor,
                Result.ledger_minor,
                Result.difference_minor,
                Result.candidate_ref,
                Result.exception_id,
            ).where(Result.run_id == run_id)
        ).all()
    return sorted((tuple(r) for r in rows), key=repr)


def period_run(day: Day, again: bool = True) -> int:
    with day.fund.sessions.unit_of_work() as session:
        started = start_period_run(
            session, (THE_DAY, THE_DAY), "auditor1", day.fund.clock(), again=again
        )
    return started.run.id


def test_reconciling_the_same_statement_again_changes_nothing(day: Day) -> None:
    first = reconcile(day)
    before = counts(day)
    with day.fund.sessions.reader() as session:
        summary = session.get(Run, first.run.id).summary  # type: ignore[union-attr]
    again = reconcile(day)
    assert (again.run.id, again.created) == (first.run.id, False)
    assert again.imported is not None
    assert not again.imported.created
    assert counts(day) == before
    with day.fund.sessions.reader() as session:
        assert session.get(Run, first.run.id).summary == summary  # type: ignore[union-attr]
    status = execute_run(day.fund.sessions, day.fund.clock, first.run.id)
    assert status == "done"
    assert counts(day) == before


def test_a_fresh_run_of_the_period_finds_the_same_and_opens_nothing_new(day: Day) -> None:
    first = reconcile(day)
    before = counts(day)
    fresh = period_run(day)
    execute_run(day.fund.sessions, day.fund.clock, fresh, day.fund.ports.cipher)
    after = counts(day)
    assert after["recon_exceptions"] == before["recon_exceptions"]
    assert after["ledger_entries"] == before["ledger_entries"]
    assert after["recon_resolutions"] == before["recon_resolutions"]
    same = [f for f in findings(day, first.run.id) if f[4] != "statement_conflict"]
    assert findings(day, fresh) == same


def test_a_crash_after_a_committed_chunk_resumes_to_the_same_result(day: Day) -> None:
    reference = reconcile(day).run.id
    crashed = period_run(day)
    steps: list[str] = []

    def crash_after_first_chunk(phase: str) -> None:
        steps.append(phase)
        if phase == "matching" and steps.count("matching") == 2:
            raise SystemExit("worker killed")

    with pytest.raises(SystemExit):
        execute_run(
            day.fund.sessions,
            day.fund.clock,
            crashed,
            day.fund.ports.cipher,
            RunPace(chunk_size=4, after_step=crash_after_first_chunk),
        )
    with day.fund.sessions.reader() as session:
        run = session.get(Run, crashed)
        assert run is not None
        assert (run.status, run.phase) == ("running", "matching")
        assert 0 < run.lines_done < run.lines_total
    assert execute_run(
        day.fund.sessions, day.fund.clock, crashed, day.fund.ports.cipher, RunPace(4)
    ) == ("done")
    assert findings(day, crashed) == findings(day, reference)


def test_an_error_inside_a_step_rolls_it_back_and_the_next_run_completes_it(
    day: Day, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = reconcile(day).run.id
    crashed = period_run(day)
    real = matching.match_chunk
    calls = 0

    def failing_second_chunk(*args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        done = real(*args, **kwargs)
        if calls == 2:
            raise ConnectionError("database restarted")
        return done

    monkeypatch.setattr(matching, "match_chunk", failing_second_chunk)
    with pytest.raises(ConnectionError):
        execute_run(day.fund.sessions, day.fund.clock, crashed, day.fund.ports.cipher, RunPace(5))
    with day.fund.sessions.reader() as session:
        run = session.get(Run, crashed)
        assert run is not None
        assert (run.attempts, run.lines_done) == (1, 5)
        assert "database restarted" in (run.error or "")
    execute_run(day.fund.sessions, day.fund.clock, crashed, day.fund.ports.cipher, RunPace(5))
    assert findings(day, crashed) == findings(day, reference)


def test_a_broken_file_is_refused_with_its_line_and_imports_nothing(day: Day) -> None:
    data = day.statement_csv().decode()
    broken = data.replace("-15.00", "-15.0O", 1)
    stream = io.BytesIO(broken.encode())
    with pytest.raises(StatementRejected) as refused, day.fund.sessions.unit_of_work() as session:
        start_statement_run(session, stream, "broken.csv", "auditor1", day.fund.clock())
    line = next(n for n, text_ in enumerate(broken.splitlines(), 1) if "-15.0O" in text_)
    assert refused.value.line_no == line
    assert "Withdrawn is not an amount" in refused.value.detail
    with day.fund.sessions.reader() as session:
        for model in (Statement, StatementLine, Run):
            assert session.scalar(select(func.count()).select_from(model)) == 0


def test_an_overlapping_statement_stores_each_line_once_and_reports_a_conflicting_repeat(
    day: Day,
) -> None:
    reconcile(day)
    later = DAY_START.replace(day=2)
    extra = [
        sim.Movement("RNEW000001", later, later, "Pay Utility", "Pay Utility", 10_00),
        # The lost confirmation's receipt again, with another amount.
        sim.Movement("RC2B000002", later, later, "Pay Utility", "Pay Utility", 70_00),
    ]
    heading = sim.StatementHeading(
        "Mkopo Fund", "600000", sim.ALL_ACCOUNTS, DAY_START, later, "auditor", later, 0
    )
    overlap = sim.statement_csv(heading, day.movements + extra).encode()
    with day.fund.sessions.unit_of_work() as session:
        started = start_statement_run(
            session, io.BytesIO(overlap), "overlap.csv", "auditor1", day.fund.clock()
        )
    imported = started.imported
    assert imported is not None
    assert (imported.lines_new, imported.lines_conflicting) == (1, 1)
    assert imported.lines_known == len(day.movements)
    execute_run(day.fund.sessions, day.fund.clock, started.run.id, day.fund.ports.cipher)
    with day.fund.sessions.reader() as session:
        conflict = session.scalar(select(LineConflict))
        duplicate = session.scalar(
            select(ReconException).where(ReconException.natural_key == "conflict:RC2B000002/main")
        )
        assert session.scalar(select(func.count()).select_from(Resolution)) == 0
    assert conflict is not None
    assert conflict.amount_minor == 70_00
    assert duplicate is not None
    assert (duplicate.kind, duplicate.suggested_action) == ("duplicate", "explain")
