"""The demo's scorecard: trained on simulated borrowers and made active under four eyes.

``mkopo seed-demo`` (``make run``) calls ``ensure_demo_scorecard`` once: a population of
simulated mobile-money histories (``app.scoring.simulated``), a scorecard cross-validated
and trained on it (``app.scoring.workbench``), stored as version 1, asked for activation by
``demo-officer`` and approved by ``demo-admin`` through the same maker-checker engine staff
use. Nothing happens when any version already exists.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from app.admin.approval_kinds import HANDLERS
from app.approvals import engine as approvals
from app.audit.log import Actor
from app.clock import business_date
from app.runtime import Runtime
from app.scoring.models import ScorecardVersion
from app.scoring.simulated import simulated_population
from app.scoring.versions import SCORECARD_ACTIVATION, TrainedCard, store_version
from app.scoring.workbench import train_and_evaluate
from ledger import Ledger

DEMO_POPULATION = 1_500
DEMO_SEED = 20261128
FOLDS = 5
MAKER = Actor("demo-officer", "credit_officer")
CHECKER = Actor("demo-admin", "admin")


def ensure_demo_scorecard(rt: Runtime) -> int | None:
    """The id of the version made active, or None if versions existed already."""
    with rt.sessions.reader() as session:
        if session.scalar(select(func.count()).select_from(ScorecardVersion)):
            return None
    table = simulated_population(DEMO_POPULATION, DEMO_SEED, business_date(rt.clock()))
    card, metrics = train_and_evaluate(table, folds=FOLDS, seed=DEMO_SEED)
    fingerprint = hashlib.sha256(f"simulated:{DEMO_POPULATION}:{DEMO_SEED}".encode()).hexdigest()
    with rt.sessions.unit_of_work() as session:
        version = store_version(
            session,
            TrainedCard(
                card=card,
                name=f"simulated-{DEMO_POPULATION}",
                metrics=metrics,
                data_fingerprint=fingerprint,
                data_rows=len(table.bad),
            ),
            trained_by=MAKER,
            now=rt.clock(),
        )
        ledger = Ledger(session, rt.clock)
        reason = "Demo scorecard trained on simulated histories"
        ask = approvals.Ask(SCORECARD_ACTIVATION, {"version_id": version.id}, reason)
        asked = approvals.submit(session, ledger, ask, MAKER, rt.clock())
        decision = approvals.approve(
            session, ledger, HANDLERS, asked.approval.id, CHECKER, rt.clock()
        )
        if decision.failure is not None:
            raise decision.failure
        return version.id
