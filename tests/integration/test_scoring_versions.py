"""Scorecard versions in the database: stored once, scored identically after the round trip,
activated only under four eyes, one active at a time."""

from __future__ import annotations

import json
import math

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from app.approvals import engine as approvals
from app.approvals.models import ApprovalStatus
from app.db.engine import Database
from app.scoring.binning import FeatureBinning
from app.scoring.models import ScorecardVersion, VersionStatus
from app.scoring.scorecard import FeatureCard, Scorecard
from app.scoring.simulated import simulated_population
from app.scoring.versions import (
    SCORECARD_ACTIVATION,
    ScorecardCorrupt,
    ScorecardNotUsable,
    active_version,
    get_version,
    load_card,
)
from tests.integration.test_maker_checker import ADMIN, OFFICER, OTHER_ADMIN, check, make
from tests.support.lending import Fund
from tests.support.scoring import AS_OF, simulated_card, store_draft


def draft(fund: Fund, card: Scorecard | None = None) -> int:
    with fund.sessions.unit_of_work() as session:
        return store_draft(session, fund.clock(), card).id


def status_of(fund: Fund, version_id: int) -> str:
    with fund.sessions.reader() as session:
        return get_version(session, version_id).status


def test_a_stored_version_scores_exactly_as_the_card_it_was_trained_as(fund: Fund) -> None:
    card = simulated_card()
    version_id = draft(fund)
    with fund.sessions.reader() as session:
        loaded = load_card(get_version(session, version_id))
    population = simulated_population(200, 99, AS_OF)
    for row in population.rows:
        assert loaded.score(row) == card.score(row)
    assert loaded == card


def test_a_changed_artifact_is_refused_when_loaded(fund: Fund) -> None:
    version_id = draft(fund)
    with fund.sessions.unit_of_work() as session:
        version = get_version(session, version_id)
        artifact = json.loads(json.dumps(version.artifact))
        artifact["features"][0]["points"][0] += 50
        version.artifact = artifact
    with fund.sessions.reader() as session, pytest.raises(ScorecardCorrupt):
        load_card(get_version(session, version_id))


def test_activation_needs_a_second_person_and_then_retires_the_active_version(
    fund: Fund,
) -> None:
    first, second = draft(fund), draft(fund)
    asked = make(fund, SCORECARD_ACTIVATION, {"version_id": first})
    with pytest.raises(approvals.SameChecker):
        check(fund, asked.approval.id, checker=OFFICER)
    assert status_of(fund, first) == "draft"
    assert check(fund, asked.approval.id, checker=ADMIN).failure is None
    assert status_of(fund, first) == "active"

    asked = make(fund, SCORECARD_ACTIVATION, {"version_id": second})
    assert check(fund, asked.approval.id, checker=OTHER_ADMIN).failure is None
    with fund.sessions.reader() as session:
        retired = get_version(session, first)
        assert (retired.status, retired.retired_at) == ("retired", fund.clock())
        active = active_version(session)
        assert active is not None
        assert (active.id, active.activated_by) == (second, OTHER_ADMIN.username)


def test_an_activation_asked_before_another_version_went_live_fails_on_approval(
    fund: Fund,
) -> None:
    first, second = draft(fund), draft(fund)
    stale = make(fund, SCORECARD_ACTIVATION, {"version_id": second})
    fresh = make(fund, SCORECARD_ACTIVATION, {"version_id": first})
    assert check(fund, fresh.approval.id).failure is None
    decision = check(fund, stale.approval.id)
    assert decision.failure is not None
    assert decision.approval.status == ApprovalStatus.FAILED
    assert status_of(fund, second) == "draft"
    assert status_of(fund, first) == "active"


def test_a_card_over_other_columns_cannot_go_live(fund: Fund) -> None:
    source = simulated_card().features[0]
    foreign = Scorecard(
        features=(
            FeatureCard(
                _renamed(source.binning, "duration_in_month"),
                coefficient=1.0,
                points=tuple(0 for _ in source.points),
                label="duration",
            ),
        ),
        intercept=0.0,
    )
    version_id = draft(fund, foreign)
    with pytest.raises(ScorecardNotUsable):
        make(fund, SCORECARD_ACTIVATION, {"version_id": version_id})


def _renamed(binning: FeatureBinning, name: str) -> FeatureBinning:
    data = binning.to_dict()
    data["name"] = name
    return FeatureBinning.from_dict(data)


def test_the_database_keeps_one_active_version(fund: Fund, database: Database) -> None:
    first, second = draft(fund), draft(fund)
    with fund.sessions.unit_of_work() as session:
        session.execute(
            update(ScorecardVersion)
            .where(ScorecardVersion.id == first)
            .values(status="active", activated_at=fund.clock())
        )
    with pytest.raises(IntegrityError), database.write_engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE scorecard_versions SET status = 'active', activated_at = :at WHERE id = :id"
            ),
            {"at": fund.clock(), "id": second},
        )


def test_the_database_refuses_an_active_version_without_its_activation_time(
    fund: Fund, database: Database
) -> None:
    version_id = draft(fund)
    with pytest.raises(IntegrityError), database.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE scorecard_versions SET status = 'active' WHERE id = :id"),
            {"id": version_id},
        )


def test_versions_keep_their_metrics_and_data_fingerprint(fund: Fund) -> None:
    version_id = draft(fund)
    with fund.sessions.reader() as session:
        version = session.scalar(select(ScorecardVersion).where(ScorecardVersion.id == version_id))
        assert version is not None
        assert version.status == VersionStatus.DRAFT
        assert version.metrics == {"auc": 0.7}
        assert version.data_fingerprint == "0" * 64
        assert not math.isnan(load_card(version).intercept)
