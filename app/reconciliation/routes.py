"""The auditor API of reconciliation (``/audit/v1/reconciliations`` and its exceptions).

Auditors and administrators upload a statement (CSV or XLSX, multipart) or pick a period of
statements already imported; they, and credit officers, watch the run's progress, read its
results and exceptions, download its report (JSON or CSV) and investigate exceptions.
Resolving one is operations work (segregation of duties: auditors find, they never post):
an explanation by one admin or credit officer, anything that moves money proposed by one and
approved by another. Every write is in the audit log.

An upload is read and stored within the request (bounded by ``MKOPO_MAX_BODY_BYTES``);
matching runs in the worker. Larger files go through ``mkopo reconcile --statement``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import select

from app.api.deps import AppClock, AppSettings, ReadSession, app_blind_index, get_sessions
from app.api.params import AfterId
from app.api.params import RecordId as Id
from app.api.problems import ProblemError
from app.audit.log import Actor, current_request_id, record
from app.db.session import Sessions
from app.reconciliation import report
from app.reconciliation.errors import ExceptionNotFound
from app.reconciliation.exceptions import resolutions
from app.reconciliation.exceptions.models import FloatCheck, ReconException, Resolution
from app.reconciliation.matching.rules import (
    DEFAULT_TIME_WINDOW_S,
    MAX_TIME_WINDOW_S,
    MAX_TOLERANCE_MINOR,
    MatchRules,
)
from app.reconciliation.models import UNFINISHED_RUN, Result, Run, Statement, StatementLine
from app.reconciliation.runs import Started, get_run, start_period_run, start_statement_run
from app.reconciliation.schemas import (
    ExceptionDetailOut,
    ExceptionOut,
    FloatCheckOut,
    NoteIn,
    ProposalIn,
    ResolutionOut,
    ResultOut,
    RunOut,
)
from app.staff.auth import require_roles
from app.staff.models import Role, StaffUser
from app.tasks import refs
from app.tasks.queue import after_commit
from integrations.payments.networks import Network
from ledger import Ledger

router = APIRouter(prefix="/audit/v1", tags=["reconciliation"])

Reader = Annotated[StaffUser, Depends(require_roles(Role.AUDITOR, Role.ADMIN, Role.CREDIT_OFFICER))]
Runner = Annotated[StaffUser, Depends(require_roles(Role.AUDITOR, Role.ADMIN))]
Operations = Annotated[StaffUser, Depends(require_roles(Role.ADMIN, Role.CREDIT_OFFICER))]
MoneyMover = Annotated[
    StaffUser, Depends(require_roles(Role.ADMIN, Role.CREDIT_OFFICER, moves_money=True))
]
AppSessions = Annotated[Sessions, Depends(get_sessions)]
Limit = Annotated[int, Query(ge=1, le=500)]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=128)
]


def _actor(user: StaffUser) -> Actor:
    return Actor(user.username, user.role, current_request_id())


def _run_out(session: Any, run: Run) -> RunOut:
    statement = session.get(Statement, run.statement_id) if run.statement_id else None
    return RunOut.of(run, statement)


# -- runs ---------------------------------------------------------------------------------


@router.post(
    "/reconciliations",
    response_model=RunOut,
    status_code=202,
    responses={200: {"model": RunOut, "description": "This statement or period has a run"}},
)
def start_reconciliation(
    sessions: AppSessions,
    clock: AppClock,
    user: Runner,
    statement: Annotated[UploadFile | None, File(description="CSV or XLSX export")] = None,
    period_from: Annotated[date | None, Form(description="First business date")] = None,
    period_to: Annotated[date | None, Form(description="Last business date")] = None,
    again: Annotated[bool, Form(description="A fresh run of a period run before")] = False,
    amount_tolerance_minor: Annotated[int, Form(ge=0, le=MAX_TOLERANCE_MINOR)] = 0,
    time_window_s: Annotated[int, Form(ge=1, le=MAX_TIME_WINDOW_S)] = DEFAULT_TIME_WINDOW_S,
    match_reference: Annotated[bool, Form()] = True,
    match_phone: Annotated[bool, Form()] = True,
    provider: Annotated[
        Network, Form(description="Whose statement: safaricom (M-Pesa) or airtel")
    ] = Network.SAFARICOM,
) -> JSONResponse:
    """Upload a statement, or give a period of statements already imported; the run is
    matched by the worker. The same file (or period) again returns its run (200)."""
    rules = MatchRules(amount_tolerance_minor, time_window_s, match_reference, match_phone)
    period = (period_from, period_to)
    if (statement is None) == (period_from is None and period_to is None) or (
        statement is None and None in period
    ):
        raise ProblemError(
            422, "invalid_request", "Upload a statement, or give period_from and period_to"
        )
    with sessions.unit_of_work() as session:
        now = clock()
        started: Started
        if statement is not None:
            name = (statement.filename or "statement")[:200]
            started = start_statement_run(
                session, statement.file, name, user.username, now, rules, provider.value
            )
        else:
            assert period_from is not None
            assert period_to is not None
            started = start_period_run(
                session,
                (period_from, period_to),
                user.username,
                now,
                rules,
                again,
                provider.value,
            )
        if started.created:
            record(
                session,
                _actor(user),
                "reconciliation.start",
                ("recon_run", started.run.id),
                now,
                None,
                {"kind": started.run.kind, "run_key": started.run.run_key},
            )
        out = _run_out(session, started.run)
        if out.status in UNFINISHED_RUN:  # a run left unfinished is resumed too
            after_commit(session, refs.EXECUTE_RUN, out.id)
    return JSONResponse(out.model_dump(mode="json"), status_code=202 if started.created else 200)


@router.get("/reconciliations", response_model=list[RunOut])
def list_reconciliations(
    session: ReadSession,
    _: Reader,
    status: Annotated[str | None, Query(max_length=8)] = None,
    after_id: AfterId = 0,
    limit: Limit = 50,
) -> list[RunOut]:
    query = select(Run).where(Run.id > after_id)
    if status is not None:
        query = query.where(Run.status == status)
    runs = session.scalars(query.order_by(Run.id).limit(limit)).all()
    return [_run_out(session, run) for run in runs]


@router.get("/reconciliations/{run_id}", response_model=RunOut)
def get_reconciliation(run_id: Id, session: ReadSession, _: Reader) -> RunOut:
    """Status and progress (``lines_done`` of ``lines_total``); the summary once done."""
    return _run_out(session, get_run(session, run_id))


@router.get("/reconciliations/{run_id}/results", response_model=list[ResultOut])
def list_results(
    run_id: Id,
    session: ReadSession,
    _: Reader,
    outcome: Annotated[str | None, Query(max_length=20)] = None,
    after_id: AfterId = 0,
    limit: Limit = 100,
) -> list[ResultOut]:
    get_run(session, run_id)
    query = (
        select(Result, StatementLine)
        .outerjoin(StatementLine, StatementLine.id == Result.line_id)
        .where(Result.run_id == run_id, Result.id > after_id)
    )
    if outcome is not None:
        query = query.where(Result.outcome == outcome)
    rows = session.execute(query.order_by(Result.id).limit(limit)).all()
    out = []
    for result, line in rows:
        item = ResultOut.model_validate(result)
        if line is not None:
            item.line_no, item.completed_at = line.line_no, line.completed_at
            item.category = line.category
        out.append(item)
    return out


@router.get("/reconciliations/{run_id}/exceptions", response_model=list[ExceptionOut])
def list_run_exceptions(
    run_id: Id,
    session: ReadSession,
    _: Reader,
    after_id: AfterId = 0,
    limit: Limit = 100,
) -> list[ExceptionOut]:
    get_run(session, run_id)
    linked = select(Result.exception_id).where(Result.run_id == run_id)
    found = session.scalars(
        select(ReconException)
        .where(
            (ReconException.id.in_(linked)) | (ReconException.first_run_id == run_id),
            ReconException.id > after_id,
        )
        .order_by(ReconException.id)
        .limit(limit)
    ).all()
    return [ExceptionOut.of(x) for x in found]


_JSON_REPORT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}}, "description": "The report"}
}
_CSV_REPORT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "The report"}
}


@router.get("/reconciliations/{run_id}/report.json", responses=_JSON_REPORT)
def download_json_report(
    run_id: Id, session: ReadSession, sessions: AppSessions, _: Reader
) -> StreamingResponse:
    """Counts and totals per outcome, the float check, every exception (streamed)."""
    get_run(session, run_id)
    return StreamingResponse(
        report.report_json(sessions, run_id),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="reconciliation-{run_id}.json"'},
    )


@router.get("/reconciliations/{run_id}/report.csv", responses=_CSV_REPORT)
def download_csv_report(
    run_id: Id, session: ReadSession, sessions: AppSessions, _: Reader
) -> StreamingResponse:
    """``total`` rows per outcome, then one ``exception`` row each (streamed)."""
    get_run(session, run_id)
    return StreamingResponse(
        report.report_csv(sessions, run_id),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="reconciliation-{run_id}.csv"'},
    )


@router.get("/reconciliation-float-checks", response_model=list[FloatCheckOut])
def list_float_checks(
    session: ReadSession, _: Reader, after_id: AfterId = 0, limit: Limit = 100
) -> list[FloatCheck]:
    """The provider's balance against the float account (1010), newest last."""
    return list(
        session.scalars(
            select(FloatCheck).where(FloatCheck.id > after_id).order_by(FloatCheck.id).limit(limit)
        )
    )


# -- exceptions -----------------------------------------------------------------------------


@router.get("/reconciliation-exceptions", response_model=list[ExceptionOut])
def list_exceptions(
    session: ReadSession,
    _: Reader,
    state: Annotated[str | None, Query(max_length=14)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    after_id: AfterId = 0,
    limit: Limit = 100,
) -> list[ExceptionOut]:
    query = select(ReconException).where(ReconException.id > after_id)
    if state is not None:
        query = query.where(ReconException.state == state)
    if kind is not None:
        query = query.where(ReconException.kind == kind)
    found = session.scalars(query.order_by(ReconException.id).limit(limit)).all()
    return [ExceptionOut.of(x) for x in found]


def _detail(session: Any, exception_id: int) -> ExceptionDetailOut:
    exception = session.get(ReconException, exception_id)
    if exception is None:
        raise ExceptionNotFound(f"No reconciliation exception {exception_id}")
    found = session.scalars(
        select(Resolution).where(Resolution.exception_id == exception_id).order_by(Resolution.id)
    ).all()
    return ExceptionDetailOut.with_resolutions(exception, list(found))


@router.get("/reconciliation-exceptions/{exception_id}", response_model=ExceptionDetailOut)
def get_exception(exception_id: Id, session: ReadSession, _: Reader) -> ExceptionDetailOut:
    return _detail(session, exception_id)


@router.post(
    "/reconciliation-exceptions/{exception_id}/investigate", response_model=ExceptionDetailOut
)
def investigate(
    exception_id: Id, body: NoteIn, sessions: AppSessions, clock: AppClock, user: Reader
) -> ExceptionDetailOut:
    with sessions.unit_of_work() as session:
        resolutions.investigate(session, exception_id, body.note, _actor(user), clock())
        return _detail(session, exception_id)


@router.post(
    "/reconciliation-exceptions/{exception_id}/resolutions",
    response_model=ResolutionOut,
    status_code=201,
)
def propose_resolution(
    exception_id: Id,
    body: ProposalIn,
    sessions: AppSessions,
    clock: AppClock,
    user: Operations,
    idempotency_key: IdempotencyKey = None,
) -> Resolution:
    """Propose how to resolve it: ``explain`` resolves at once (no money moves); any other
    action waits for another admin or credit officer to approve it."""
    proposal = resolutions.Proposal(body.action, body.note, body.loan_id, idempotency_key)
    with sessions.unit_of_work() as session:
        return resolutions.propose(session, exception_id, proposal, _actor(user), clock())


@router.post("/reconciliation-resolutions/{resolution_id}/approve", response_model=ResolutionOut)
def approve_resolution(
    resolution_id: Id,
    request: Request,
    sessions: AppSessions,
    settings: AppSettings,
    clock: AppClock,
    user: MoneyMover,
) -> Resolution:
    """Apply someone else's proposal. If it no longer fits the books it is marked failed
    (``outcome`` says why) and nothing is applied."""
    blind_index = app_blind_index(request)
    with sessions.unit_of_work() as session:
        return resolutions.approve(
            session, Ledger(session, clock), blind_index, resolution_id, _actor(user), clock()
        )


@router.post("/reconciliation-resolutions/{resolution_id}/reject", response_model=ResolutionOut)
def reject_resolution(
    resolution_id: Id, body: NoteIn, sessions: AppSessions, clock: AppClock, user: Operations
) -> Resolution:
    """Turn a proposal down (the proposer's own rejection withdraws it)."""
    with sessions.unit_of_work() as session:
        return resolutions.reject(session, resolution_id, body.note, _actor(user), clock())
