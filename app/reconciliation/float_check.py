"""The float check: what the provider says we hold against the ledger's float account of that
provider (``float_of``: 1010 M-Pesa, 1011 Airtel Money; never one for the other).

Three sources, each recorded once (``recon_float_checks.source_ref``):
- a statement's closing balance, against the ledger as of the period's end; the run's
  findings (their differences) and the opening difference should explain all of it, and
  what they do not becomes a ``float_difference`` exception. Airtel exports its collection
  and disbursement accounts as two files: each is reconciled as its own statement, and the
  float check compares the SUM of both closing balances with 1011, made by the run that
  finishes second (``statement:<id>+<id>``), when both files end on the same business day
  (they are assumed exported together, so neither account moved after its last row);
  M-Pesa only:
- ``OrgAccountBalance`` of a C2B confirmation in the inbox, as of the payment's time;
- an Account Balance API result in the inbox (the Utility and Working accounts together),
  as of its ``BOCompletedTime``.
The ledger figure is the posted balance by value date, so a late booking counts when it
belongs.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounting.chart import float_of, fund_accounts
from app.clock import business_date
from app.db.upsert import insert_for
from app.mpesa.models import CallbackStatus, MpesaCallback
from app.reconciliation.exceptions.models import FloatCheck, ReconException
from app.reconciliation.matching import rules as r
from app.reconciliation.models import SAFARICOM, Result, Run, RunStatus, Statement
from app.reconciliation.sql import changed
from app.reconciliation.statements.airtel import COLLECTION, DISBURSEMENT
from integrations.mpesa.callbacks import parse_c2b
from integrations.mpesa.normalise import MalformedCallback
from integrations.mpesa.results import balance_result, parse_result
from integrations.payments.networks import Network
from ledger import Ledger

PROVIDER_FLOAT_ACCOUNTS = ("Utility Account", "Working Account")
"""The provider accounts the ledger's float stands for (C2B lands in one, B2C leaves the other
in the simulator; in production both are usually the Utility account)."""
AIRTEL_ACCOUNTS = (COLLECTION, DISBURSEMENT)
"""Airtel's merchant exports: each account's file is a statement of its own, and together
they stand for the Airtel float (1011)."""
PAIR_CANDIDATES = 20
"""Statements of Airtel's other account looked at to find the same day's."""
RECENT_CALLBACKS = 20
"""Balance-bearing callbacks looked at per check (the newest)."""
_JUST_BEFORE = timedelta(microseconds=1)


def ledger_float_minor(ledger: Ledger, as_of: datetime, network: str = SAFARICOM) -> int:
    return ledger.balance(fund_accounts(ledger)[float_of(network)], as_of).posted_minor


def _record(session: Session, check: dict[str, object]) -> bool:
    statement = insert_for(session, FloatCheck).values(**check)
    return bool(changed(session, statement.on_conflict_do_nothing(index_elements=["source_ref"])))


def check_statement(session: Session, ledger: Ledger, run: Run, now: datetime) -> FloatCheck | None:
    """The statement's closing balance against its provider's float; opens a
    float_difference exception for what the runs' findings do not explain. An Airtel
    statement of one account is checked once its other account's statement of the same
    business day has a finished run (``airtel_pair``); until then there is no check."""
    statement = session.get(Statement, run.statement_id) if run.statement_id else None
    if statement is None or statement.closing_balance_minor is None:
        return None
    statements, run_ids = [statement], [run.id]
    if statement.network == Network.AIRTEL and statement.account_name in AIRTEL_ACCOUNTS:
        pair = airtel_pair(session, statement)
        if pair is None:
            return None
        statements.append(pair[0])
        run_ids.append(pair[1])
    source_ref = "statement:" + "+".join(str(s.id) for s in sorted(statements, key=_id))
    as_of = max(s.period_to for s in statements) + timedelta(seconds=1) - _JUST_BEFORE
    network = statement.network
    provider_minor = sum(s.closing_balance_minor or 0 for s in statements)
    ledger_minor = ledger_float_minor(ledger, as_of, network)
    difference = provider_minor - ledger_minor
    opening = 0
    if all(s.opening_balance_minor is not None for s in statements):
        since = min(s.period_from for s in statements) - _JUST_BEFORE
        opening_provider = sum(s.opening_balance_minor or 0 for s in statements)
        opening = opening_provider - ledger_float_minor(ledger, since, network)
    findings = session.scalar(
        select(func.coalesce(func.sum(Result.difference_minor), 0)).where(
            Result.run_id.in_(run_ids), Result.outcome.in_(r.FLOAT_OUTCOMES)
        )
    )
    explained = opening + int(findings or 0)
    _record(
        session,
        dict(
            source="statement",
            source_ref=source_ref,
            run_id=run.id,
            as_of=as_of,
            provider_minor=provider_minor,
            ledger_minor=ledger_minor,
            difference_minor=difference,
            explained_minor=explained,
            checked_at=now,
        ),
    )
    if difference != explained:
        _unexplained(session, run, f"float:{source_ref}", difference - explained, now)
    return session.scalar(select(FloatCheck).where(FloatCheck.source_ref == source_ref))


def _id(statement: Statement) -> int:
    return statement.id


def airtel_pair(session: Session, statement: Statement) -> tuple[Statement, int] | None:
    """The newest statement of Airtel's other account whose period ends on the same business
    day (Nairobi) as ``statement``'s, with its newest finished statement run; or None."""
    other = next(a for a in AIRTEL_ACCOUNTS if a != statement.account_name)
    day = business_date(statement.period_to)
    candidates = session.scalars(
        select(Statement)
        .where(
            Statement.network == Network.AIRTEL.value,
            Statement.account_name == other,
            Statement.closing_balance_minor.is_not(None),
            Statement.period_to >= statement.period_to - timedelta(days=1),
            Statement.period_to <= statement.period_to + timedelta(days=1),
        )
        .order_by(Statement.id.desc())
        .limit(PAIR_CANDIDATES)
    ).all()
    for partner in candidates:
        if business_date(partner.period_to) != day:
            continue
        run_id = session.scalar(
            select(Run.id)
            .where(Run.statement_id == partner.id, Run.status == RunStatus.DONE.value)
            .order_by(Run.id.desc())
            .limit(1)
        )
        if run_id is not None:
            return partner, int(run_id)
    return None


def _unexplained(session: Session, run: Run, key: str, unexplained: int, now: datetime) -> None:
    if session.scalar(select(ReconException.id).where(ReconException.natural_key == key)):
        return
    session.add(
        ReconException(
            natural_key=key,
            kind="float_difference",
            state="open",
            first_run_id=run.id,
            difference_minor=unexplained,
            suggested_action="write_off",
            detail="The float differs from the provider's closing balance by more than the "
            "findings explain",
            opened_at=now,
            updated_at=now,
        )
    )
    session.flush()


def check_inbox_balances(session: Session, ledger: Ledger, now: datetime) -> int:
    """Record a check for each recent C2B confirmation (OrgAccountBalance) and Account
    Balance result not checked yet; returns how many were recorded."""
    recorded = 0
    for kind in ("c2b/confirmation", "balance/result"):
        rows = session.execute(
            select(MpesaCallback.id, MpesaCallback.body)
            .where(
                MpesaCallback.kind == kind,
                MpesaCallback.status.in_((CallbackStatus.RECEIVED, CallbackStatus.PROCESSED)),
            )
            .order_by(MpesaCallback.id.desc())
            .limit(RECENT_CALLBACKS)
        ).all()
        for callback_id, body in rows:
            reading = _reading(kind, body)
            if reading is None:
                continue
            as_of, provider_minor = reading
            ledger_minor = ledger_float_minor(ledger, as_of)
            recorded += _record(
                session,
                dict(
                    source="org_balance" if kind == "c2b/confirmation" else "balance_api",
                    source_ref=f"callback:{callback_id}",
                    as_of=as_of,
                    provider_minor=provider_minor,
                    ledger_minor=ledger_minor,
                    difference_minor=provider_minor - ledger_minor,
                    checked_at=now,
                ),
            )
    return recorded


def _reading(kind: str, body: str) -> tuple[datetime, int] | None:
    """(as of, provider balance) from a stored callback body, or None if it has none."""
    try:
        document = json.loads(body)
        if kind == "c2b/confirmation":
            payment = parse_c2b(document)
            if payment.org_balance_minor is None:
                return None
            return payment.paid_at, payment.org_balance_minor
        balances = balance_result(parse_result(document))
    except (ValueError, MalformedCallback):
        return None
    if balances.result_code != "0" or balances.completed_at is None:
        return None
    wanted = [balances.account(name) for name in PROVIDER_FLOAT_ACCOUNTS]
    amounts = [a.current_minor for a in wanted if a is not None and a.current_minor is not None]
    if not amounts:
        return None
    return balances.completed_at, sum(amounts)
