"""Credit decisions: a new borrower's scored limit with reasons, the thin-file treatment, and
rescoring after a repayment, a default and four months."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.lending.limits import LimitPolicy
from app.lending.models import LimitDecision, LoanStatus
from app.notifications.models import SmsMessage
from app.scoring.models import ScoreDecision
from app.scoring.schedule import SweepResult, rescore_due
from app.scoring.versions import get_version, load_card
from integrations.mobile_money import MobileMoneyHistory, MoneyTransaction
from tests.support.lending import KES, Fund
from tests.support.scoring import simulated_card, store_active

POLICY = LimitPolicy()


class NoWallet:
    def history(self, msisdn: str, since: date, until: date) -> Sequence[MoneyTransaction]:
        return []


@pytest.fixture
def scored_fund(fund: Fund) -> Fund:
    with fund.sessions.unit_of_work() as session:
        store_active(session, fund.clock())
    return fund


def decisions(fund: Fund, borrower_id: int) -> list[ScoreDecision]:
    with fund.sessions.reader() as session:
        return list(
            session.scalars(
                select(ScoreDecision)
                .where(ScoreDecision.borrower_id == borrower_id)
                .order_by(ScoreDecision.id)
            )
        )


def sms_texts(fund: Fund, borrower_id: int) -> list[str]:
    with fund.sessions.reader() as session:
        return list(
            session.scalars(
                select(SmsMessage.text)
                .where(SmsMessage.borrower_id == borrower_id)
                .order_by(SmsMessage.id)
            )
        )


def sweep(fund: Fund) -> SweepResult:
    return rescore_due(fund.sessions, fund.ports, fund.clock, POLICY)


def test_a_new_borrower_gets_the_limit_of_their_band_with_reasons(scored_fund: Fund) -> None:
    borrower_id = scored_fund.register()
    [decision] = decisions(scored_fund, borrower_id)
    borrower = scored_fund.borrower(borrower_id)
    assert (decision.trigger, decision.treatment) == ("registration", "scorecard")
    assert decision.band is not None
    assert decision.points is not None
    assert borrower.score_band == decision.band
    assert borrower.credit_limit_minor == decision.limit_minor == POLICY.scored(decision.band)
    expected = simulated_card().score(decision.features)
    assert decision.points == expected.points
    assert [r["feature"] for r in decision.reasons] == [r.feature for r in expected.reasons]
    assert all(r["label"] and r["points_lost"] > 0 for r in decision.reasons)
    with scored_fund.sessions.reader() as session:
        limit = session.scalar(
            select(LimitDecision).where(LimitDecision.borrower_id == borrower_id)
        )
    assert limit is not None
    assert (limit.reason, limit.band, limit.facts["score_decision_id"]) == (
        "initial",
        decision.band,
        decision.id,
    )


def test_a_stored_decision_scores_the_same_from_its_stored_features(scored_fund: Fund) -> None:
    borrower_id = scored_fund.register()
    [decision] = decisions(scored_fund, borrower_id)
    with scored_fund.sessions.reader() as session:
        assert decision.scorecard_version_id is not None
        card = load_card(get_version(session, decision.scorecard_version_id))
    assert card.score(decision.features).points == decision.points


def test_a_borrower_with_no_wallet_history_gets_the_thin_file_entry_limit(
    scored_fund: Fund,
) -> None:
    scored_fund.ports = dataclasses.replace(scored_fund.ports, wallets=NoWallet())
    borrower_id = scored_fund.register()
    [decision] = decisions(scored_fund, borrower_id)
    assert (decision.treatment, decision.band, decision.points) == ("thin_file", None, None)
    assert decision.scorecard_version_id is None
    assert [r["feature"] for r in decision.reasons] == ["thin_file"]
    borrower = scored_fund.borrower(borrower_id)
    assert borrower.credit_limit_minor == POLICY.thin_file_minor == 500 * KES
    assert borrower.score_band is None


def test_a_thin_file_borrower_who_has_repaid_a_loan_is_scored_by_the_card(
    scored_fund: Fund,
) -> None:
    scored_fund.ports = dataclasses.replace(scored_fund.ports, wallets=NoWallet())
    borrower_id = scored_fund.register()
    scored_fund.borrow(borrower_id, 200 * KES)
    loan = scored_fund.loan_of(borrower_id)
    scored_fund.repay(loan.id, loan.outstanding_minor, "RKT0000001")
    assert sweep(scored_fund).scored == 1
    latest = decisions(scored_fund, borrower_id)[-1]
    assert (latest.trigger, latest.treatment) == ("repaid", "scorecard")
    assert latest.features["fund_loans_taken"] == 1.0
    assert latest.features["fund_on_time_rate"] == 1.0
    # With no wallet history the card bands them C3: the entry limit stays, no SMS.
    assert (latest.band, latest.limit_minor, latest.previous_limit_minor) == (
        "C3",
        500 * KES,
        500 * KES,
    )
    assert not any("loan limit is now" in text for text in sms_texts(scored_fund, borrower_id))


def test_a_rescore_that_moves_the_limit_tells_the_borrower_by_sms(scored_fund: Fund) -> None:
    wallets = scored_fund.ports.wallets
    scored_fund.ports = dataclasses.replace(scored_fund.ports, wallets=NoWallet())
    borrower_id = scored_fund.register()
    assert scored_fund.borrower(borrower_id).credit_limit_minor == 500 * KES  # thin file
    scored_fund.ports = dataclasses.replace(scored_fund.ports, wallets=wallets)
    scored_fund.clock.advance(days=120)
    assert sweep(scored_fund).scored == 1
    latest = decisions(scored_fund, borrower_id)[-1]
    assert latest.band is not None
    assert latest.limit_minor == POLICY.scored(latest.band) > 500 * KES
    assert sms_texts(scored_fund, borrower_id)[-1] == (
        f"Mkopo: your loan limit is now KES {latest.limit_minor // KES:,}.00. To see why, dial "
        "and choose My account > Why this limit, or open the app."
    )


def test_repaying_a_loan_asks_for_a_rescore_that_the_sweep_takes(scored_fund: Fund) -> None:
    borrower_id = scored_fund.register()
    scored_fund.borrow(borrower_id, 200 * KES)
    loan = scored_fund.loan_of(borrower_id)
    scored_fund.repay(loan.id, loan.outstanding_minor, "RKT0000002")
    marked = scored_fund.borrower(borrower_id)
    assert (marked.rescore_due_at, marked.rescore_trigger) == (scored_fund.clock(), "repaid")
    assert sweep(scored_fund) == SweepResult(scored=1, skipped=0)
    assert sweep(scored_fund) == SweepResult(scored=0, skipped=0)
    latest = decisions(scored_fund, borrower_id)[-1]
    assert latest.trigger == "repaid"
    assert latest.limit_minor == POLICY.after_rescore(
        latest.previous_limit_minor, str(latest.band), in_default=False
    )
    rescheduled = scored_fund.borrower(borrower_id)
    assert rescheduled.rescore_due_at == scored_fund.clock() + POLICY.rescore_interval
    assert rescheduled.rescore_trigger == "scheduled"


def test_after_a_default_the_rescore_keeps_the_floor_and_clears_the_band(
    scored_fund: Fund,
) -> None:
    borrower_id = scored_fund.register()
    scored_fund.borrow(borrower_id, 200 * KES)
    scored_fund.days_pass(30)
    assert scored_fund.loan_of(borrower_id).status == LoanStatus.DEFAULTED
    assert sweep(scored_fund).scored == 1
    latest = decisions(scored_fund, borrower_id)[-1]
    assert latest.trigger == "default"
    assert latest.features["fund_max_days_late"] >= 16.0
    borrower = scored_fund.borrower(borrower_id)
    assert borrower.credit_limit_minor == POLICY.floor_minor
    assert borrower.score_band is None


def test_every_borrower_is_scored_again_four_months_after_the_last_decision(
    scored_fund: Fund,
) -> None:
    borrower_id = scored_fund.register()
    assert sweep(scored_fund).scored == 0
    scored_fund.clock.advance(days=119)
    assert sweep(scored_fund).scored == 0
    scored_fund.clock.advance(days=1)
    assert sweep(scored_fund).scored == 1
    latest = decisions(scored_fund, borrower_id)[-1]
    assert latest.trigger == "scheduled"
    assert latest.decided_at - decisions(scored_fund, borrower_id)[0].decided_at == timedelta(
        days=120
    )


def test_without_an_active_scorecard_a_rescore_keeps_the_limit(fund: Fund) -> None:
    borrower_id = fund.register()
    before = fund.borrower(borrower_id).credit_limit_minor
    fund.clock.advance(days=120)
    assert sweep(fund).scored == 1
    latest = decisions(fund, borrower_id)[-1]
    assert (latest.treatment, latest.limit_minor) == ("no_scorecard", before)


class BrokenWallet:
    """A provider that fails for one number and answers for the others."""

    def __init__(self, working: MobileMoneyHistory, broken_msisdn: str) -> None:
        self.working = working
        self.broken = broken_msisdn

    def history(self, msisdn: str, since: date, until: date) -> Sequence[MoneyTransaction]:
        if msisdn == self.broken:
            raise ConnectionError("statement service timed out")
        return self.working.history(msisdn, since, until)


def test_a_borrower_whose_scoring_fails_is_retried_later_without_stopping_the_sweep(
    scored_fund: Fund,
) -> None:
    first = scored_fund.register()
    second = scored_fund.register(national_id="23456780", phone="0722345673")
    scored_fund.ports = dataclasses.replace(
        scored_fund.ports, wallets=BrokenWallet(scored_fund.ports.wallets, "254712345678")
    )
    scored_fund.clock.advance(days=120)
    assert sweep(scored_fund) == SweepResult(scored=1, skipped=0, failed=1)
    assert [d.trigger for d in decisions(scored_fund, second)] == ["registration", "scheduled"]
    deferred = scored_fund.borrower(first)
    assert deferred.rescore_due_at == scored_fund.clock() + timedelta(hours=1)
    assert sweep(scored_fund) == SweepResult(scored=0, skipped=0, failed=0)
