"""Credit decisions: features -> score -> band -> limit, stored with everything that explains
them (Data Protection Act s.35).

One call, one decision, inside the caller's transaction (a registration, or one borrower's
rescoring): the caller fetched the wallet statement before the transaction began (provider
calls never run under a lock). Treatments, in order (docs/scoring.md):

1. thin file: fewer than three months of mobile-money activity and no loan with the fund:
   not scored; a new borrower gets the entry limit, a known one keeps theirs;
2. no scorecard active yet: a new borrower gets the rule table's limit, a known one keeps
   theirs;
3. scorecard: points, band and reason codes; the limit policy turns the band into a limit
   (``LimitPolicy.scored`` on registration, ``after_rescore`` later: in default the limit
   stays at the floor and the band stays cleared).

A rescoring that changes the limit tells the borrower by SMS (through the outbox, in the same
transaction). Every decision schedules the next one (``LimitPolicy.rescore_interval`` later).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.borrowers.models import DEFAULT_FREEZE, Borrower
from app.clock import business_date
from app.lending.limit_decisions import LimitChange, record_limit
from app.lending.limits import LimitFacts, LimitPolicy
from app.money import kes
from app.notifications.outbox import queue_sms
from app.scoring.features import Features, borrower_features
from app.scoring.fund_history import fund_history
from app.scoring.models import ScoreDecision, Treatment, Trigger
from app.scoring.scorecard import ScoreResult
from app.scoring.versions import active_version, load_card
from integrations.mobile_money import MoneyTransaction

HISTORY_DAYS = 730
"""How much of the wallet statement a decision reads (two years)."""
THIN_FILE_REASON = {
    "feature": "thin_file",
    "label": "too little M-Pesa history to score yet (under 3 months)",
    "bin": "yes",
    "points_lost": 0,
}
NO_SCORECARD_REASON = {
    "feature": "rule_table",
    "label": "limit set from SIM age and monthly M-Pesa inflow",
    "bin": "",
    "points_lost": 0,
}


@dataclass(frozen=True, slots=True)
class ScoringEvidence:
    """What a decision knows of the borrower from outside the fund's books."""

    wallet: Sequence[MoneyTransaction]
    """The wallet statement (``HISTORY_DAYS`` back), fetched before the transaction began."""
    rule_facts: LimitFacts | None = None
    """The registration's SIM facts, for the no-scorecard rule table."""


def decide(
    session: Session,
    policy: LimitPolicy,
    borrower: Borrower,
    evidence: ScoringEvidence,
    trigger: Trigger,
    now: datetime,
) -> ScoreDecision:
    """Score ``borrower`` (locked by the caller), set their limit and band, store why."""
    wallet, rule_facts = evidence.wallet, evidence.rule_facts
    today = business_date(now)
    history = fund_history(session, borrower, today)
    features = borrower_features(wallet, history, today)
    registering = trigger == Trigger.REGISTRATION
    in_default = borrower.frozen_reason == DEFAULT_FREEZE
    current = borrower.credit_limit_minor
    version = active_version(session)
    result: ScoreResult | None = None
    if features["thin_file"] == "yes" and history.loans_taken == 0:
        treatment, reasons = Treatment.THIN_FILE, [THIN_FILE_REASON]
        limit = policy.thin_file_minor if registering else current
    elif version is None:
        treatment, reasons = Treatment.NO_SCORECARD, [NO_SCORECARD_REASON]
        limit = policy.initial(rule_facts) if registering and rule_facts else current
    else:
        treatment = Treatment.SCORECARD
        result = load_card(version).score(features)
        reasons = [
            {
                "feature": r.feature,
                "label": r.label,
                "bin": r.bin_label,
                "points_lost": r.points_lost,
            }
            for r in result.reasons
        ]
        if registering:
            limit = policy.scored(result.band)
        else:
            limit = policy.after_rescore(current, result.band, in_default)
    decision = ScoreDecision(
        borrower_id=borrower.id,
        scorecard_version_id=version.id if result is not None and version else None,
        trigger=trigger.value,
        treatment=treatment.value,
        points=result.points if result else None,
        band=result.band if result else None,
        features=stored_features(features),
        reasons=reasons,
        previous_limit_minor=current,
        limit_minor=limit,
        decided_at=now,
    )
    session.add(decision)
    session.flush()
    band = None if in_default or result is None else result.band
    if limit != current or band != borrower.score_band:
        facts: dict[str, Any] = {"score_decision_id": decision.id, "treatment": treatment.value}
        if result is not None:
            facts |= {
                "points": result.points,
                "scorecard_version_id": decision.scorecard_version_id,
            }
        elif treatment == Treatment.NO_SCORECARD and rule_facts is not None:
            facts |= {
                "sim_age_days": rule_facts.sim_age_days,
                "monthly_inflow_minor": rule_facts.monthly_inflow_minor,
            }
        reason = "initial" if registering else "rescore"
        record_limit(session, borrower, LimitChange(limit, reason, facts, band), now)
        borrower.score_band = band
        if not registering and limit != current:  # the welcome SMS tells the first one
            queue_sms(session, borrower.id, f"limit:{decision.id}", _limit_sms(limit), now)
    borrower.rescore_due_at = now + policy.rescore_interval
    borrower.rescore_trigger = Trigger.SCHEDULED.value
    return decision


def _limit_sms(limit_minor: int) -> str:
    return (
        f"Mkopo: your loan limit is now {kes(limit_minor)}. To see why, dial and choose "
        "My account > Why this limit, or open the app."
    )


def stored_features(features: Features) -> dict[str, Any]:
    """JSON-ready features: NaN (a value undefined for this borrower) becomes null, which
    the scorecard reads back as missing, so a stored decision re-scores identically."""
    return {
        name: None if isinstance(value, float) and math.isnan(value) else value
        for name, value in features.items()
    }
