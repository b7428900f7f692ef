"""The float check: what the provider says we hold against the ledger's float account (1010).

Three sources, each recorded once (``recon_float_checks.source_ref``):
- a statement's closing balance, against the ledger as of the period's end; the run's
  findings (their differences) and the opening difference should explain all of it, and
  what they do not becomes a ``float_difference`` exception;
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

from app.accounting.chart import Acct, fund_accounts
from app.db.upsert import insert_for
from app.mpesa.models import CallbackStatus, MpesaCallback
from app.reconciliation.exceptions.models import FloatCheck, ReconException
from app.reconciliation.matching import rules as r
from app.reconciliation.models import Result, Run, Statement
from app.reconciliation.sql import changed
from integrations.mpesa.callbacks import parse_c2b
from integrations.mpesa.normalise import MalformedCallback
from integrations.mpesa.results import balance_result, parse_result
from ledger import Ledger

PROVIDER_FLOAT_ACCOUNTS = ("Utility Account", "Working Account")
"""The provider accounts the ledger's float stands for (C2B lands in one, B2C leaves the other
in the simulator; in production both are usually the Utility account)."""
RECENT_CALLBACKS = 20
"""Balance-bearing callbacks looked at per check (the newest)."""
_JUST_BEFORE = timedelta(microseconds=1)


def ledger_float_minor(ledger: Ledger, as_of: datetime) -> int:
    return ledger.balance(fund_accounts(ledger)[Acct.FLOAT], as_of).posted_minor


def _record(session: Session, check: dict[str, object]) -> bool:
    statement = insert_for(session, FloatCheck).values(**check)
    return bool(changed(session, statement.on_conflict_do_nothing(index_elements=["source_ref"])))


def check_statement(session: Session, ledger: Ledger, run: Run, now: datetime) -> FloatCheck | None:
    """The statement's closing balance against the ledger; opens a float_difference exception
    for what the run's findings do not explain."""
    statement = session.get(Statement, run.statement_id) if run.statement_id else None
    if statement is None or statement.closing_balance_minor is None:
        return None
    as_of = statement.period_to + timedelta(seconds=1) - _JUST_BEFORE
    ledger_minor = ledger_float_minor(ledger, as_of)
    difference = statement.closing_balance_minor - ledger_minor
    opening = 0
    if statement.opening_balance_minor is not None:
        opening_ledger = ledger_float_minor(ledger, statement.period_from - _JUST_BEFORE)
        opening = statement.opening_balance_minor - opening_ledger
    findings = session.scalar(
        select(func.coalesce(func.sum(Result.difference_minor), 0)).where(
            Result.run_id == run.id, Result.outcome.in_(r.FLOAT_OUTCOMES)
        )
    )
    explained = opening + int(findings or 0)
    _record(
        session,
        dict(
            source="statement",
            source_ref=f"statement:{statement.id}",
            run_id=run.id,
            as_of=as_of,
            provider_minor=statement.closing_balance_minor,
            ledger_minor=ledger_minor,
            difference_minor=difference,
            explained_minor=explained,
            checked_at=now,
        ),
    )
    if difference != explained:
        _unexplained(session, run, statement, difference - explained, now)
    return session.scalar(
        select(FloatCheck).where(FloatCheck.source_ref == f"statement:{statement.id}")
    )


def _unexplained(
    session: Session, run: Run, statement: Statement, unexplained: int, now: datetime
) -> None:
    key = f"float:statement:{statement.id}"
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
