"""Opening exceptions from a run's results, and closing those a later run found matched.

Set-based: one ``INSERT ... SELECT ... ON CONFLICT (natural_key) DO NOTHING`` opens an
exception for every finding not already known (a run over an overlapping period reuses the
open one), one UPDATE links each result to its exception. Suggestions (which action, which
loan) are filled for the new ones. An exception whose receipt a later run matched is resolved
by the system ("auto_matched"): no money moves, the evidence is the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, case, exists, func, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.approvals import engine as approvals
from app.db.upsert import insert_for
from app.lending.account_numbers import loan_id_from
from app.lending.models import Loan
from app.mpesa.models import StkRequest
from app.payments.models import Payout
from app.reconciliation.exceptions.models import (
    ExceptionState,
    ReconException,
    Resolution,
    ResolutionStatus,
)
from app.reconciliation.matching import rules as r
from app.reconciliation.matching.receipts import line_keys_sql
from app.reconciliation.models import LedgerItem, Result, StatementLine
from app.reconciliation.sql import changed

OPEN_STATES = (ExceptionState.OPEN.value, ExceptionState.INVESTIGATING.value)
AUTO_RESOLVED_KINDS = (
    r.MISSING_IN_LEDGER,
    r.MISSING_AT_PROVIDER,
    r.AMOUNT_MISMATCH,
    r.DUPLICATE,
    r.CHARGE,
    r.SETTLEMENT,
    r.SUSPENSE,
)
SYSTEM = "system"
PAGE = 500

_DETAILS = {
    r.MISSING_IN_LEDGER: "On the provider's statement, not in the ledger",
    r.MISSING_AT_PROVIDER: "In the ledger, not on any statement",
    r.AMOUNT_MISMATCH: "The statement and the ledger disagree on the amount",
    r.DUPLICATE: "The ledger moved this receipt more than once",
    r.CHARGE: "A provider charge the ledger has not booked",
    r.SETTLEMENT: "A settlement or bank transfer the ledger has not booked",
    r.SUSPENSE: "Paid to an unknown account: the money waits in suspense",
}


def natural_key(result: type[Result] = Result) -> ColumnElement[str]:
    prefix = case(
        (result.rule == "statement_conflict", literal("conflict:")),
        else_=result.outcome + ":",
    )
    return prefix + result.receipt + "/" + result.role


def _suggestion() -> ColumnElement[str]:
    line = StatementLine
    return case(
        (Result.rule == "pending_payout", "record_payout"),
        (Result.rule == "pending_stk", "post_callback"),
        (Result.rule == "statement_conflict", "explain"),
        (Result.outcome == r.CHARGE, "book_charge"),
        (Result.outcome == r.SETTLEMENT, "book_settlement"),
        (Result.outcome == r.SUSPENSE, "assign_to_loan"),
        (
            Result.outcome == r.MISSING_IN_LEDGER,
            case(
                (line.category == "payment_in", "post_callback"),
                (line.category == "reversal", "assign_to_loan"),
                (line.amount_minor > 0, "post_to_suspense"),
                else_="write_off",
            ),
        ),
        else_="write_off",
    )


def _detail() -> ColumnElement[str]:
    return case(
        (Result.rule == "statement_conflict", "The statement repeats this receipt otherwise"),
        *[(Result.outcome == outcome, text) for outcome, text in _DETAILS.items()],
        else_="Does not reconcile",
    )


def open_exceptions(session: Session, run_id: int, now: datetime) -> int:
    """Open an exception per new finding of the run, link every finding; returns how many
    were opened."""
    kind = case((Result.rule == "statement_conflict", r.DUPLICATE), else_=Result.outcome)
    found = (
        select(
            natural_key(),
            kind,
            literal(ExceptionState.OPEN.value),
            Result.receipt,
            Result.role,
            Result.line_id,
            literal(run_id),
            Result.statement_minor,
            Result.ledger_minor,
            Result.difference_minor,
            _suggestion(),
            Result.candidate_ref,
            _detail(),
            literal(now, ReconException.opened_at.type),
            literal(now, ReconException.updated_at.type),
        )
        .select_from(Result)
        .outerjoin(StatementLine, StatementLine.id == Result.line_id)
        .where(Result.run_id == run_id, Result.outcome.in_(r.EXCEPTION_OUTCOMES))
        .order_by(Result.id)
    )
    columns = [
        "natural_key",
        "kind",
        "state",
        "receipt",
        "role",
        "line_id",
        "first_run_id",
        "statement_minor",
        "ledger_minor",
        "difference_minor",
        "suggested_action",
        "candidate_ref",
        "detail",
        "opened_at",
        "updated_at",
    ]
    statement = (
        insert_for(session, ReconException)
        .from_select(columns, found)
        .on_conflict_do_nothing(index_elements=["natural_key"])
    )
    opened = changed(session, statement)
    session.execute(
        update(Result)
        .where(Result.run_id == run_id, Result.outcome.in_(r.EXCEPTION_OUTCOMES))
        .values(
            exception_id=select(ReconException.id)
            .where(ReconException.natural_key == natural_key())
            .scalar_subquery()
        )
    )
    _suggest_loans(session, run_id)
    return opened


def _suggest_loans(session: Session, run_id: int) -> None:
    """The loan each new exception's money most likely belongs to (and, for a receipt
    booked both to a loan and to suspense, releasing the suspense as the action)."""
    after = 0
    while True:
        rows = session.execute(
            select(ReconException, StatementLine)
            .outerjoin(StatementLine, StatementLine.id == ReconException.line_id)
            .where(
                ReconException.first_run_id == run_id,
                ReconException.id > after,
                ReconException.kind.in_((r.MISSING_IN_LEDGER, r.DUPLICATE)),
            )
            .order_by(ReconException.id)
            .limit(PAGE)
        ).all()
        for exception, line in rows:
            exception.suggested_loan_id = _likely_loan(session, run_id, exception, line)
        if len(rows) < PAGE:
            return
        after = rows[-1][0].id


def _likely_loan(
    session: Session, run_id: int, exception: ReconException, line: StatementLine | None
) -> int | None:
    if exception.candidate_ref and exception.candidate_ref.startswith("stk:"):
        prompt_id = int(exception.candidate_ref.split(":", 1)[1])
        return session.scalar(select(StkRequest.loan_id).where(StkRequest.id == prompt_id))
    if exception.kind == r.DUPLICATE:
        item = session.scalar(
            select(LedgerItem).where(
                LedgerItem.run_id == run_id,
                LedgerItem.receipt == exception.receipt,
                LedgerItem.role == exception.role,
            )
        )
        if item is None:
            return None
        if item.suspense_open:  # booked to a loan and held in suspense: release the suspense
            exception.suggested_action = "assign_to_loan"
        return item.loan_id
    if line is None:
        return None
    if line.category == "reversal" and line.linked_receipt:
        return session.scalar(
            select(Payout.loan_id).where(Payout.provider_receipt == line.linked_receipt)
        )
    loan_id = loan_id_from(line.account_ref or "")
    if loan_id is None:
        return None
    return session.scalar(select(Loan.id).where(Loan.id == loan_id))


def auto_resolve(session: Session, run_id: int, now: datetime) -> int:
    """Resolve open exceptions (found earlier) whose receipt this run matched."""
    matched_now = (
        select(literal(1))
        .select_from(StatementLine)
        .join(Result, and_(Result.run_id == run_id, Result.line_id == StatementLine.id))
        .where(
            StatementLine.line_key.in_(
                line_keys_sql(
                    func.coalesce(ReconException.receipt, ""),
                    func.coalesce(ReconException.role, "main"),
                )
            ),
            Result.outcome == r.MATCHED,
        )
        .exists()
    )
    seen_now = exists().where(Result.run_id == run_id, Result.exception_id == ReconException.id)
    resolved = 0
    while True:
        exceptions: Sequence[ReconException] = session.scalars(
            select(ReconException)
            .where(
                ReconException.state.in_(OPEN_STATES),
                ReconException.kind.in_(AUTO_RESOLVED_KINDS),
                matched_now,
                ~seen_now,
            )
            .order_by(ReconException.id)
            .limit(PAGE)
            .with_for_update()
        ).all()
        for exception in exceptions:
            close_by_system(session, exception, f"Matched by reconciliation run {run_id}", now)
        resolved += len(exceptions)
        if len(exceptions) < PAGE:
            return resolved


def close_by_system(session: Session, exception: ReconException, note: str, now: datetime) -> None:
    """Resolve without money (the evidence arrived): withdraw any waiting proposal."""
    waiting = session.scalars(
        select(Resolution).where(
            Resolution.exception_id == exception.id,
            Resolution.status == ResolutionStatus.PROPOSED.value,
        )
    ).all()
    superseded = "Superseded: " + note[:280]
    for resolution in waiting:
        if resolution.approval_id is not None:
            approvals.supersede(session, resolution.approval_id, superseded, now)
        else:  # proposed before its request existed: nothing else to close
            resolution.status = ResolutionStatus.WITHDRAWN.value
            resolution.decided_at, resolution.outcome = now, superseded
    session.add(
        Resolution(
            exception_id=exception.id,
            action="auto_matched",
            note=note[:500],
            status=ResolutionStatus.APPLIED.value,
            proposed_by=SYSTEM,
            proposed_role=SYSTEM,
            proposed_at=now,
            outcome=note[:300],
        )
    )
    exception.state = ExceptionState.RESOLVED.value
    exception.closed_at, exception.updated_at = now, now
    session.flush()
