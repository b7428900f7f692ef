"""What the accrual benchmark checks: the figures a run must move by exactly one day per
loan (and a re-run must leave alone), and each loan's state against the closed form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import psycopg

from app.accounting.chart import Acct
from app.db.session import Sessions
from app.lending import delinquency
from app.lending.models import AccrualRun
from app.products.terms import ProductTerms
from bench.accrual.instalments import INSTALMENT_EVERY
from bench.common.seed import closed_form_sql
from ledger import Ledger

SPREAD_DAYS = 20
"""Loans are disbursed ``id % 20`` days before D0: days 1 to 20 of their life on D."""


def snapshot(sessions: Sessions, clock: Callable[[], datetime], through: date) -> dict[str, Any]:
    """Figures the run must move (or, re-run, leave alone)."""
    with sessions.reader() as session:
        ledger = Ledger(session, clock)
        accounts = {code: ledger.account_by_code(code).id for code in (Acct.INTEREST, Acct.PENALTY)}
        row = (
            session.connection()
            .exec_driver_sql(
                "SELECT count(*), sum(days_accrued), sum(interest_outstanding_minor),"
                " sum(penalty_outstanding_minor), sum(carry_units),"
                " count(*) FILTER (WHERE status = 'defaulted'),"
                " count(*) FILTER (WHERE days_accrued = %s::date - disbursed_on)"
                " FROM loans",
                (through,),
            )
            .one()
        )
        counts = session.connection().exec_driver_sql(
            "SELECT (SELECT count(*) FROM ledger_entries), (SELECT count(*) FROM sms_outbox),"
            " (SELECT count(*) FROM accrual_runs)"
        )
        entries, sms, runs = counts.one()
        return {
            "loans": int(row[0]),
            "days_accrued_sum": int(row[1] or 0),
            "interest_outstanding": int(row[2] or 0),
            "penalty_outstanding": int(row[3] or 0),
            "carry_sum": int(row[4] or 0),
            "defaulted": int(row[5]),
            "at_through": int(row[6]),
            "ledger_interest": ledger.balance(accounts[Acct.INTEREST]).posted_minor,
            "ledger_penalty": ledger.balance(accounts[Acct.PENALTY]).posted_minor,
            "ledger_entries": int(entries),
            "sms": int(sms),
            "accrual_runs": int(runs),
        }


def state_matches_closed_form(libpq_url: str, through: date, terms: ProductTerms) -> int:
    """Bullet loans whose state is NOT the closed form for day (through - disbursed_on)."""
    s = closed_form_sql("d", terms)
    with psycopg.connect(libpq_url) as conn:
        row = conn.execute(
            f"""
            SELECT count(*) FROM (
                SELECT l.*, l.principal_outstanding_minor AS p, (%s::date - disbursed_on) AS d
                FROM loans l
                WHERE l.product_terms->>'kind' IS DISTINCT FROM 'instalment') AS x
            WHERE days_accrued <> d
               OR interest_accrued_minor <> {s["interest"]}
               OR penalty_accrued_minor <> {s["penalty"]}
               OR carry_units <> {s["carry"]}
               OR interest_outstanding_minor <> interest_accrued_minor
               OR penalty_outstanding_minor <> penalty_accrued_minor
            """,
            (through,),
        ).fetchone()
    return int(row[0]) if row else -1


def expected_reminders(size: int, terms: ProductTerms, every: int) -> int:
    """Bullet loans whose new day is a reminder day (one SMS each): ids with id % 20 = day - 1
    (an instalment loan, id % ``every`` = 0, has no due date near enough for a reminder)."""
    days = set(delinquency.reminder_days(terms.term_days, terms.default_day))
    return sum(1 for i in range(1, size + 1) if (i % SPREAD_DAYS) + 1 in days and i % every)


def verify_run(
    before: dict[str, Any],
    after: dict[str, Any],
    run: AccrualRun,
    through: date,
    size: int,
    terms: ProductTerms,
    off_form: int,
    disagreements: list[str],
) -> list[str]:
    failures = []
    interest_added = after["interest_outstanding"] - before["interest_outstanding"]
    penalty_added = after["penalty_outstanding"] - before["penalty_outstanding"]
    ledger_added = (
        after["ledger_interest"]
        + after["ledger_penalty"]
        - before["ledger_interest"]
        - before["ledger_penalty"]
    )
    if after["at_through"] != size:
        failures.append(f"{size - after['at_through']} loans did not reach day D")
    if after["days_accrued_sum"] - before["days_accrued_sum"] != size:
        failures.append("days_accrued did not advance by exactly one per loan")
    if off_form:
        failures.append(f"{off_form} loans' state differs from the closed form for day D")
    if interest_added + penalty_added != ledger_added:
        failures.append(
            f"loans gained {interest_added + penalty_added} cents, ledger 1210+1220 {ledger_added}"
        )
    if after["ledger_interest"] - before["ledger_interest"] != interest_added:
        failures.append("interest receivable (1210) moved differently from the loans' interest")
    if after["ledger_penalty"] - before["ledger_penalty"] != penalty_added:
        failures.append("penalty receivable (1220) moved differently from the loans' penalty")
    expected_run = (through, size, interest_added, penalty_added, 0)
    got_run = (
        run.business_date,
        run.loans_accrued,
        run.interest_minor,
        run.penalty_minor,
        run.loans_defaulted,
    )
    if got_run != expected_run:
        failures.append(f"accrual_runs row {got_run} != expected {expected_run}")
    if after["accrual_runs"] != before["accrual_runs"] + 1:
        failures.append("not exactly one accrual_runs row added")
    if after["defaulted"] != 0:
        failures.append(f"{after['defaulted']} loans defaulted; none should")
    reminders = expected_reminders(size, terms, INSTALMENT_EVERY)
    if after["sms"] - before["sms"] != reminders:
        failures.append(f"{after['sms'] - before['sms']} reminders queued, expected {reminders}")
    failures += [f"subledger: {d}" for d in disagreements]
    return failures


def verify_rerun(after: dict[str, Any], again: dict[str, Any], run: AccrualRun) -> list[str]:
    failures = []
    unchanged = {k: v for k, v in after.items() if k != "accrual_runs"}
    now = {k: v for k, v in again.items() if k != "accrual_runs"}
    for key, value in unchanged.items():
        if now[key] != value:
            failures.append(f"re-run changed {key}: {value} -> {now[key]}")
    if (run.loans_accrued, run.interest_minor, run.penalty_minor, run.loans_defaulted) != (
        0,
        0,
        0,
        0,
    ):
        failures.append("re-run's accrual_runs row is not all zeros")
    return failures
