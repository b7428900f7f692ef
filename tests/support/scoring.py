"""Scorecards for tests: one trained on a small simulated population, stored and activated."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from sqlalchemy.orm import Session

from app.audit.log import Actor
from app.scoring.models import ScorecardVersion, VersionStatus
from app.scoring.scorecard import Scorecard
from app.scoring.simulated import simulated_population
from app.scoring.training import train_scorecard
from app.scoring.versions import TrainedCard, store_version
from app.scoring.workbench import training_config

POPULATION = 600
SEED = 11
AS_OF = date(2026, 11, 28)


@lru_cache(maxsize=1)
def simulated_card() -> Scorecard:
    """A card trained on 600 simulated borrowers (deterministic)."""
    table = simulated_population(POPULATION, SEED, AS_OF)
    return train_scorecard(table, training_config(table, SEED))


def store_draft(session: Session, now: datetime, card: Scorecard | None = None) -> ScorecardVersion:
    return store_version(
        session,
        TrainedCard(
            card=card or simulated_card(),
            name="simulated",
            metrics={"auc": 0.7},
            data_fingerprint="0" * 64,
            data_rows=POPULATION,
        ),
        trained_by=Actor("tests", "credit_officer"),
        now=now,
    )


def store_active(session: Session, now: datetime) -> ScorecardVersion:
    """A version made active directly (the four-eyes path has tests of its own)."""
    version = store_draft(session, now)
    version.status = VersionStatus.ACTIVE.value
    version.activated_at = now
    version.activated_by = "tests"
    session.flush()
    return version
