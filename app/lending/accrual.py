"""The daily accrual job: interest, penalty interest, default, reminders — for every open loan.

Bullet and instalment loans go through the same batches, compare-and-set and ledger entries;
what differs is one loan's night: a bullet loan accrues interest day by day
(``app.loan_math.interest``), an instalment loan has the interest of instalments fallen due
recognised and penalty charged on its overdue instalments (``instalment_accrual``). Instalment
loans of a batch are locked (``FOR UPDATE``, id order) and re-read before that, because the
repayment path writes their instalments and interest columns under the same lock.

``accrue_through(day)`` brings every open loan's accrual up to business date ``day``: loan
day ``n`` (``n`` = date - disbursement date) is charged at the start of that date, so a
borrower repaying on the due date pays exactly ``term_days`` of interest, and day 15 of a
Personal Loan is the first at the penalty rate. Missed runs catch up day by day.

Idempotent per loan and day: ``loans.days_accrued`` says how far each loan has gone, and is
moved with a compare-and-set (``WHERE days_accrued = <what we read>``) in the same
transaction as the ledger entries, so re-running, racing, or resuming after a crash never
charges a day twice. Bounded: loans are taken in id order, ``batch_size`` per transaction.

Ledger: per batch and per (date, kind), one entry: debit interest (or penalty) receivable,
credit interest (or penalty) income; value date = that date at 00:00 Nairobi time.

Cost (``bench/accrual/``): a loan's terms snapshot is read as JSON text and parsed
into a rate schedule once per distinct snapshot, not once per loan; on PostgreSQL a batch's
compare-and-sets are one ``UPDATE ... FROM unnest(...)`` statement instead of one statement
per loan (same rows, same rowcount check); a batch's reminders are one bulk insert.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, Text, and_, bindparam, cast, select, text, update
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, FundAccounts, fund_accounts
from app.clock import EAT, Clock
from app.db.session import Sessions
from app.lending import delinquency
from app.lending.delinquency import Accrued
from app.lending.instalment_accrual import accrue_night, instalments_by_loan
from app.lending.models import AccrualRun, Loan, LoanInstalment, LoanStatus
from app.loan_math.interest import AccrualState, InterestKind, RateSchedule, accrue_day
from app.products.terms import ProductTerms
from ledger import EntryRequest, Ledger, PostingLine

ACCRUAL_BATCH = 2_000
_INCOME = {
    InterestKind.REGULAR: (Acct.INTEREST, Acct.INTEREST_INCOME),
    InterestKind.PENALTY: (Acct.PENALTY, Acct.PENALTY_INCOME),
}


@dataclass
class RunTotals:
    loans_accrued: int = 0
    interest_minor: int = 0
    penalty_minor: int = 0
    loans_defaulted: int = 0
    by_day: dict[tuple[date, InterestKind], int] = field(default_factory=lambda: defaultdict(int))


_COLUMNS = (
    Loan.id,
    Loan.borrower_id,
    Loan.account_number,
    Loan.status,
    cast(Loan.product_terms, Text).label("terms_json"),
    Loan.disbursed_on,
    Loan.due_on,
    Loan.days_accrued,
    Loan.carry_units,
    Loan.interest_accrued_minor,
    Loan.penalty_accrued_minor,
    Loan.principal_outstanding_minor,
    Loan.principal_disbursed_minor,
    Loan.interest_outstanding_minor,
    Loan.penalty_outstanding_minor,
)

_CAS_UPDATE = (
    update(Loan)
    .where(
        and_(
            Loan.__table__.c.id == bindparam("loan_id"),
            Loan.__table__.c.days_accrued == bindparam("old_days"),
        )
    )
    .values(
        days_accrued=bindparam("days"),
        carry_units=bindparam("carry"),
        interest_accrued_minor=bindparam("interest_accrued"),
        penalty_accrued_minor=bindparam("penalty_accrued"),
        interest_outstanding_minor=Loan.__table__.c.interest_outstanding_minor
        + bindparam("interest_add"),
        penalty_outstanding_minor=Loan.__table__.c.penalty_outstanding_minor
        + bindparam("penalty_add"),
    )
)


_CAS_UPDATE_KEYS = (
    "loan_id",
    "old_days",
    "days",
    "carry",
    "interest_accrued",
    "penalty_accrued",
    "interest_add",
    "penalty_add",
)

_CAS_UPDATE_POSTGRESQL = text(
    """
    UPDATE loans SET
        days_accrued = v.days,
        carry_units = v.carry,
        interest_accrued_minor = v.interest_accrued,
        penalty_accrued_minor = v.penalty_accrued,
        interest_outstanding_minor = loans.interest_outstanding_minor + v.interest_add,
        penalty_outstanding_minor = loans.penalty_outstanding_minor + v.penalty_add
    FROM unnest(
        CAST(:loan_id AS BIGINT[]), CAST(:old_days AS BIGINT[]), CAST(:days AS BIGINT[]),
        CAST(:carry AS BIGINT[]), CAST(:interest_accrued AS BIGINT[]),
        CAST(:penalty_accrued AS BIGINT[]), CAST(:interest_add AS BIGINT[]),
        CAST(:penalty_add AS BIGINT[])
    ) AS v(loan_id, old_days, days, carry, interest_accrued, penalty_accrued, interest_add,
           penalty_add)
    WHERE loans.id = v.loan_id AND loans.days_accrued = v.old_days
    """
)
"""``_CAS_UPDATE`` for a whole batch in one statement: each row still moves only if its
``days_accrued`` is what was read, and the rowcount is checked the same way."""


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """A loan's terms snapshot (read-only), its product terms and rate schedule."""

    snapshot: Mapping[str, Any]
    schedule: RateSchedule
    product: ProductTerms


@functools.lru_cache(maxsize=256)
def loan_terms(terms_json: str) -> LoanTerms:
    """Parse a terms snapshot once per distinct JSON text (loans share a handful of them)."""
    snapshot = json.loads(terms_json)
    product = ProductTerms.from_snapshot(snapshot)
    return LoanTerms(MappingProxyType(snapshot), product.schedule, product)


@dataclass(frozen=True, slots=True)
class AccrualBatch:
    """Which loans one batch accrues: open ones with id > ``after_id``, at most ``size``."""

    through: date
    """The business date accrued up to."""
    after_id: int
    size: int = ACCRUAL_BATCH


def accrue_batch(
    session: Session, ledger: Ledger, accounts: FundAccounts, batch: AccrualBatch, now: datetime
) -> tuple[int | None, RunTotals]:
    """Accrue one batch of loans; returns (last id seen, totals).

    The last id is None when no loan is left.
    """
    through = batch.through
    conn = session.connection()
    rows = conn.execute(
        select(*_COLUMNS)
        .where(
            Loan.id > batch.after_id,
            Loan.status.in_((LoanStatus.ACTIVE, LoanStatus.DEFAULTED)),
            Loan.disbursed_on < through,
        )
        .order_by(Loan.id)
        .limit(batch.size)
    ).all()
    if not rows:
        return None, RunTotals()
    first_id, last_id = rows[0].id, rows[-1].id
    loans, schedules = _lock_instalment_loans(session, rows)
    totals = RunTotals()
    updates: list[dict[str, Any]] = []
    moved: list[Accrued] = []
    for row, terms in loans:
        target = (through - row.disbursed_on).days
        if target <= row.days_accrued:
            continue
        instalments = schedules.get(row.id, ())
        if terms.product.is_instalment:
            updates.append(_accrue_instalments(ledger, row, terms, instalments, target, totals))
        else:
            updates.append(_accrue_loan(row, terms.schedule, target, totals))
        moved.append(Accrued(row, terms.snapshot, instalments))
    session.flush()
    _apply_updates(conn, updates)
    _post_entries(ledger, accounts, totals, first_id, last_id)
    totals.loans_defaulted += delinquency.after_accrual(session, moved, through, now)
    return last_id, totals


def _lock_instalment_loans(
    session: Session, rows: Sequence[Any]
) -> tuple[list[tuple[Any, LoanTerms]], dict[int, list[LoanInstalment]]]:
    """Each row with its terms; the batch's instalment loans locked in id order and re-read
    (a repayment may have moved them since the batch was read), with their instalments. A
    loan closed meanwhile leaves the batch. Bullet rows are returned as read."""
    loans = [(row, loan_terms(row.terms_json)) for row in rows]
    ids = [row.id for row, terms in loans if terms.product.is_instalment]
    if not ids:
        return loans, {}
    fresh = {
        row.id: row
        for row in session.connection().execute(
            select(*_COLUMNS)
            .where(Loan.id.in_(ids), Loan.status.in_((LoanStatus.ACTIVE, LoanStatus.DEFAULTED)))
            .order_by(Loan.id)
            .with_for_update()
        )
    }
    instalment_ids = set(ids)
    kept = [
        (fresh.get(row.id, row), terms)
        for row, terms in loans
        if row.id not in instalment_ids or row.id in fresh
    ]
    return kept, instalments_by_loan(session, list(fresh))


def _accrue_loan(
    row: Any, schedule: RateSchedule, target: int, totals: RunTotals
) -> dict[str, Any]:
    """Accrue ``row`` up to loan day ``target`` (> ``row.days_accrued``)."""
    state = AccrualState(
        row.days_accrued, row.carry_units, row.interest_accrued_minor, row.penalty_accrued_minor
    )
    added = {InterestKind.REGULAR: 0, InterestKind.PENALTY: 0}
    while state.days_accrued < target:
        state, day = accrue_day(
            state, row.principal_outstanding_minor, row.principal_disbursed_minor, schedule
        )
        if day.amount_minor:
            added[day.kind] += day.amount_minor
            totals.by_day[(row.disbursed_on + timedelta(days=day.day), day.kind)] += (
                day.amount_minor
            )
    totals.loans_accrued += 1
    totals.interest_minor += added[InterestKind.REGULAR]
    totals.penalty_minor += added[InterestKind.PENALTY]
    return {
        "loan_id": row.id,
        "old_days": row.days_accrued,
        "days": state.days_accrued,
        "carry": state.carry_units,
        "interest_accrued": state.interest_minor,
        "penalty_accrued": state.penalty_minor,
        "interest_add": added[InterestKind.REGULAR],
        "penalty_add": added[InterestKind.PENALTY],
    }


def _accrue_instalments(
    ledger: Ledger,
    row: Any,
    terms: LoanTerms,
    instalments: Sequence[LoanInstalment],
    target: int,
    totals: RunTotals,
) -> dict[str, Any]:
    """One night of an instalment loan up to loan day ``target``, as ``_accrue_loan``'s
    compare-and-set row: interest fallen due, penalty on overdue instalments."""
    night = accrue_night(ledger, row, terms.product, instalments, target)
    for day, amount in night.penalty_by_day.items():
        totals.by_day[(day, InterestKind.PENALTY)] += amount
    totals.loans_accrued += 1
    totals.interest_minor += night.interest_minor
    totals.penalty_minor += night.penalty_minor
    return {
        "loan_id": row.id,
        "old_days": row.days_accrued,
        "days": target,
        "carry": row.carry_units,
        "interest_accrued": row.interest_accrued_minor + night.interest_minor,
        "penalty_accrued": row.penalty_accrued_minor + night.penalty_minor,
        "interest_add": night.interest_minor,
        "penalty_add": night.penalty_minor,
    }


class AccrualRace(RuntimeError):
    """Another run moved a loan while this one computed it; the batch is rolled back."""


def _apply_updates(conn: Connection, updates: list[dict[str, Any]]) -> None:
    if not updates:
        return
    if conn.dialect.name == "postgresql":
        columns = {key: [u[key] for u in updates] for key in _CAS_UPDATE_KEYS}
        moved = conn.execute(_CAS_UPDATE_POSTGRESQL, columns).rowcount
    else:
        moved = conn.execute(_CAS_UPDATE, updates).rowcount
    if moved != len(updates):
        raise AccrualRace(f"{len(updates) - moved} loans changed during accrual; retry")


def _post_entries(
    ledger: Ledger, accounts: FundAccounts, totals: RunTotals, first_id: int, last_id: int
) -> None:
    batch = uuid.uuid4().hex[:12]
    for (day, kind), amount in sorted(totals.by_day.items()):
        if not amount:
            continue
        receivable, income = _INCOME[kind]
        ledger.post(
            EntryRequest(
                f"accrual:{day.isoformat()}:{kind.value}:{first_id}-{last_id}:{batch}",
                [
                    PostingLine.debit(accounts[receivable], amount),
                    PostingLine.credit(accounts[income], amount),
                ],
                f"{kind.value.capitalize()} accrued on {day}, loans {first_id}-{last_id}",
                reference=f"accrual:{day.isoformat()}",
                metadata={
                    "accrual_date": day.isoformat(),
                    "kind": kind.value,
                    "first_loan_id": first_id,
                    "last_loan_id": last_id,
                },
                effective_at=datetime.combine(day, time(0, 0), tzinfo=EAT),
            )
        )


def accrue_through(
    sessions: Sessions, clock: Clock, through: date, batch_size: int = ACCRUAL_BATCH
) -> AccrualRun:
    """Run the job for business date ``through``: every open loan, batch by batch."""
    started = clock()
    grand = RunTotals()
    after_id = 0
    accounts: FundAccounts | None = None
    while True:
        with sessions.unit_of_work() as session:
            ledger = Ledger(session, clock)
            accounts = accounts or fund_accounts(ledger)
            batch = AccrualBatch(through, after_id, batch_size)
            last_id, totals = accrue_batch(session, ledger, accounts, batch, clock())
        if last_id is None:
            break
        after_id = last_id
        grand.loans_accrued += totals.loans_accrued
        grand.interest_minor += totals.interest_minor
        grand.penalty_minor += totals.penalty_minor
        grand.loans_defaulted += totals.loans_defaulted
    with sessions.unit_of_work() as session:
        run = AccrualRun(
            business_date=through,
            loans_accrued=grand.loans_accrued,
            interest_minor=grand.interest_minor,
            penalty_minor=grand.penalty_minor,
            loans_defaulted=grand.loans_defaulted,
            started_at=started,
            finished_at=clock(),
        )
        session.add(run)
    return run
