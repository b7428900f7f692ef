"""A run's report for auditors, as JSON or CSV, streamed page by page (bounded memory).

Both carry the run (period, rules, status), counts and totals per outcome, the float check,
and every exception the run found or saw again, with its state and the suggested action.
Amounts are integers of cents.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import or_, select

from app.db.session import Sessions
from app.reconciliation.exceptions.models import ReconException
from app.reconciliation.models import Result, Run
from app.reconciliation.runs import get_run

PAGE = 1_000
CSV_COLUMNS = (
    "record",
    "outcome",
    "count",
    "statement_minor",
    "ledger_minor",
    "difference_minor",
    "exception_id",
    "kind",
    "state",
    "receipt",
    "role",
    "suggested_action",
    "suggested_loan_id",
    "detail",
)


def run_header(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind,
        "statement_id": run.statement_id,
        "period_from": run.period_from.isoformat(),
        "period_to": run.period_to.isoformat(),
        "rules": run.rules,
        "status": run.status,
        "requested_by": run.requested_by,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def exception_row(exception: ReconException) -> dict[str, Any]:
    return {
        "id": exception.id,
        "kind": exception.kind,
        "state": exception.state,
        "receipt": exception.receipt,
        "role": exception.role,
        "statement_minor": exception.statement_minor,
        "ledger_minor": exception.ledger_minor,
        "difference_minor": exception.difference_minor,
        "suggested_action": exception.suggested_action,
        "suggested_loan_id": exception.suggested_loan_id,
        "detail": exception.detail,
    }


def run_exceptions(sessions: Sessions, run_id: int) -> Iterator[ReconException]:
    """Every exception the run linked a finding to, or opened itself, by id."""
    linked = select(Result.exception_id).where(Result.run_id == run_id)
    after = 0
    while True:
        with sessions.reader() as session:
            page = session.scalars(
                select(ReconException)
                .where(
                    or_(ReconException.id.in_(linked), ReconException.first_run_id == run_id),
                    ReconException.id > after,
                )
                .order_by(ReconException.id)
                .limit(PAGE)
            ).all()
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].id


def _run(sessions: Sessions, run_id: int) -> Run:
    with sessions.reader() as session:
        return get_run(session, run_id)


def report_json(sessions: Sessions, run_id: int) -> Iterator[bytes]:
    run = _run(sessions, run_id)
    head = {"run": run_header(run), "summary": run.summary}
    yield json.dumps(head)[:-1].encode() + b', "exceptions": ['
    first = True
    for exception in run_exceptions(sessions, run_id):
        yield (b"" if first else b", ") + json.dumps(exception_row(exception)).encode()
        first = False
    yield b"]}\n"


def _csv_line(values: list[Any]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue().encode()


def report_csv(sessions: Sessions, run_id: int) -> Iterator[bytes]:
    """One ``total`` row per outcome, then one ``exception`` row per exception."""
    run = _run(sessions, run_id)
    yield _csv_line(list(CSV_COLUMNS))
    outcomes = (run.summary or {}).get("outcomes", {})
    for outcome, figures in sorted(outcomes.items()):
        yield _csv_line(
            [
                "total",
                outcome,
                figures["count"],
                figures["statement_minor"],
                figures["ledger_minor"],
                figures["difference_minor"],
                *[""] * 8,
            ]
        )
    for exception in run_exceptions(sessions, run_id):
        row = exception_row(exception)
        yield _csv_line(
            [
                "exception",
                "",
                "",
                row["statement_minor"],
                row["ledger_minor"],
                row["difference_minor"],
                row["id"],
                row["kind"],
                row["state"],
                row["receipt"],
                row["role"],
                row["suggested_action"],
                row["suggested_loan_id"],
                row["detail"],
            ]
        )
