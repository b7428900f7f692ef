"""``/admin/v1/scorecards`` and a borrower's credit decisions.

Staff list, read and compare scorecard versions (trained by ``mkopo scoring train``); a
credit officer or admin asks for a version's activation, another admin approves it in
``/admin/v1/approvals``. A borrower's decisions (inputs, version, score, reasons, limits)
are personal data: each read is audited. A rescoring can be asked for a borrower: the sweep
scores them within the minute.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api import params
from app.api.bodies import ReasonIn
from app.api.deps import AppClock, AppSessions
from app.approvals.requests import ASKS, MakerAsks
from app.approvals.schemas import ApprovalOut
from app.audit.log import record, staff_actor
from app.borrowers.service import get_borrower
from app.scoring import queries
from app.scoring.comparison import compare
from app.scoring.marks import mark_due
from app.scoring.models import Trigger
from app.scoring.schemas import ComparisonOut, DecisionOut, VersionDetailOut, VersionOut
from app.scoring.versions import SCORECARD_ACTIVATION, get_version
from app.staff.deps import ADMIN_PREFIX, BookReader, Maker, Reader

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: scoring"])
Page = Annotated[int, Query(ge=1, le=queries.MAX_PAGE)]
DEFAULT_COMPARE_SAMPLE = 1_000
MAX_COMPARE_SAMPLE = 10_000


@router.get("/scorecards", response_model=list[VersionOut])
def list_scorecards(
    sessions: AppSessions, _: BookReader, after_id: params.AfterId = 0, limit: Page = 50
) -> list[VersionOut]:
    with sessions.reader() as session:
        return [
            VersionOut.model_validate(v) for v in queries.list_versions(session, after_id, limit)
        ]


@router.get("/scorecards/compare", response_model=ComparisonOut)
def compare_scorecards(
    sessions: AppSessions,
    _: BookReader,
    base: Annotated[int, Query(ge=1, le=2**62, description="Usually the active version")],
    candidate: Annotated[int, Query(ge=1, le=2**62)],
    sample: Annotated[int, Query(ge=1, le=MAX_COMPARE_SAMPLE)] = DEFAULT_COMPARE_SAMPLE,
) -> ComparisonOut:
    """Both versions' metrics, and how each bands the latest ``sample`` scored borrowers."""
    with sessions.reader() as session:
        result = compare(
            session, get_version(session, base), get_version(session, candidate), sample
        )
    return ComparisonOut(base_version_id=base, candidate_version_id=candidate, **vars(result))


@router.get("/scorecards/{version_id}", response_model=VersionDetailOut)
def get_scorecard(
    version_id: params.RecordId, sessions: AppSessions, _: BookReader
) -> VersionDetailOut:
    """The version with its bins and points per feature."""
    with sessions.reader() as session:
        return VersionDetailOut.of(get_version(session, version_id))


@router.post("/scorecards/{version_id}/activation", **ASKS)
def request_activation(version_id: params.RecordId, body: ReasonIn, asks: MakerAsks) -> ApprovalOut:
    """Ask for this version to score borrowers from now on; another admin approves it."""
    return asks(SCORECARD_ACTIVATION, {"version_id": version_id}, body.reason)


@router.get("/borrowers/{borrower_id}/score-decisions", response_model=list[DecisionOut])
def borrower_decisions(
    borrower_id: params.RecordId,
    sessions: AppSessions,
    clock: AppClock,
    user: Reader,
    limit: Page = 20,
) -> list[DecisionOut]:
    """The borrower's credit decisions, newest first (audited: personal data)."""
    with sessions.unit_of_work() as session:
        borrower = get_borrower(session, borrower_id)
        found = queries.decisions_of(session, borrower.id, limit)
        record(
            session,
            staff_actor(user),
            "borrower.view_decisions",
            ("borrower", borrower.id),
            clock(),
        )
        return [DecisionOut.model_validate(d) for d in found]


@router.post("/borrowers/{borrower_id}/rescore", status_code=202)
def request_rescore(
    borrower_id: params.RecordId,
    body: ReasonIn,
    sessions: AppSessions,
    clock: AppClock,
    user: Maker,
) -> dict[str, str]:
    """Score the borrower again now (the sweep runs every minute); audited with the reason."""
    with sessions.unit_of_work() as session:
        borrower = get_borrower(session, borrower_id, lock=True)
        before = {
            "rescore_due_at": borrower.rescore_due_at,
            "rescore_trigger": borrower.rescore_trigger,
        }
        mark_due(borrower, Trigger.STAFF, clock())
        record(
            session,
            staff_actor(user),
            "borrower.rescore",
            ("borrower", borrower.id),
            clock(),
            before=before,
            after={"rescore_trigger": borrower.rescore_trigger, "reason": body.reason},
        )
    return {"status": "accepted"}
