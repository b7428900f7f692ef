"""``/console/scorecards``: the scorecard versions (the book's readers, as
``GET /admin/v1/scorecards``), one version's features, bins and points, two versions
compared on the latest scored borrowers (their metrics, and the share of borrowers each puts
in every band, drawn as an inline SVG chart), and a maker's activation request (four eyes,
``request_activation``), decided by another admin in the inbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response
from markupsafe import Markup

from app.api import params
from app.api.bodies import ReasonIn
from app.api.deps import AppClock, AppSessions
from app.console.auth import PREFIX, BookReaderPage, MakerPost, Signed
from app.console.charts import Series, column_chart
from app.console.pages import render
from app.console.proposal_routes import asked_notice, asking
from app.console.refusals import REFUSALS, said
from app.db.session import Sessions
from app.scoring import routes as scoring_api
from app.scoring.schemas import ComparisonOut
from app.staff.deps import MAKERS

router = APIRouter(prefix=PREFIX, include_in_schema=False)
SHOWN = 200
Id = Annotated[int, Query(ge=1, le=2**62)]


@router.get("/scorecards")
def scorecards(sessions: AppSessions, signed: BookReaderPage) -> Response:
    versions = scoring_api.list_scorecards(sessions, signed.user, 0, SHOWN)
    return render("scorecards.html", signed, versions=versions)


def band_chart(result: ComparisonOut) -> Markup:
    """Per band, the per-mille of borrowers each version puts there (base, candidate)."""
    bands = sorted(set(result.base_band_shares) | set(result.candidate_band_shares))
    series = [
        Series(f"version {result.base_version_id}", _per_mille(result.base_band_shares, bands)),
        Series(
            f"version {result.candidate_version_id}",
            _per_mille(result.candidate_band_shares, bands),
        ),
    ]
    return column_chart("Borrowers per band (per mille)", bands, series)


def _per_mille(shares: dict[str, float], bands: list[str]) -> list[int]:
    return [round(shares.get(band, 0.0) * 1000) for band in bands]


@router.get("/scorecards/compare")
def compare(sessions: AppSessions, signed: BookReaderPage, base: Id, candidate: Id) -> Response:
    try:
        result = scoring_api.compare_scorecards(
            sessions, signed.user, base, candidate, scoring_api.DEFAULT_COMPARE_SAMPLE
        )
    except REFUSALS as exc:
        return render("message.html", signed, **said(exc))
    metrics = sorted(set(result.base_metrics) | set(result.candidate_metrics))
    return render(
        "scorecard_compare.html",
        signed,
        result=result,
        metrics=metrics,
        chart=band_chart(result) if result.borrowers_compared else None,
    )


def scorecard_page(
    sessions: Sessions, signed: Signed, version_id: int, status: int = 200, **shown: Any
) -> Response:
    try:
        version = scoring_api.get_scorecard(version_id, sessions, signed.user)
    except REFUSALS as exc:
        return render("message.html", signed, **said(exc))
    return render(
        "scorecard.html", signed, status, version=version, may_ask=signed.may(*MAKERS), **shown
    )


@router.get("/scorecards/{version_id}")
def scorecard(
    version_id: params.RecordId, sessions: AppSessions, signed: BookReaderPage
) -> Response:
    return scorecard_page(sessions, signed, version_id)


@router.post("/scorecards/{version_id}/activation")
def request_activation(
    version_id: params.RecordId,
    sessions: AppSessions,
    clock: AppClock,
    signed: MakerPost,
    reason: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    try:
        body = ReasonIn(reason=reason)
        asked = scoring_api.request_activation(version_id, body, asking(sessions, clock, signed))
    except REFUSALS as exc:
        return scorecard_page(sessions, signed, version_id, **said(exc))
    return scorecard_page(sessions, signed, version_id, notice=asked_notice(asked))
