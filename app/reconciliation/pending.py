"""The pending-B2C/STK resolution sweep: payouts and prompts the regular sweeps gave up on.

The payout and STK sweeps ask the provider while an outcome is young; after their bounded
retries a payout waits with no next check, and an STK prompt that never answered is left
``unknown``. This sweep settles them from evidence:

- a payout: asked once more (a final answer is recorded by the normal code); otherwise the
  statement decides: a B2C line of its amount to the payee's number within the window is a
  ``pending_payout`` exception proposing ``record_payout``; no such line although statements
  cover the window proposes ``fail_payout``. Either way a second person approves (money).
- an STK prompt: a paid-in line of its amount to its loan within the window whose receipt
  the ledger already applied marks it succeeded; no line although statements cover the window
  marks it failed. No money moves (a line the ledger lacks is the run's exception).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.clock import Clock
from app.db.session import Sessions
from app.lending.models import Loan, Repayment
from app.mpesa.models import StkRequest, StkStatus
from app.payments.models import OPEN_PAYOUT_STATUSES, Payout
from app.payments.payouts import record_payout_result
from app.ports import Ports
from app.reconciliation.exceptions.models import ReconException
from app.reconciliation.exceptions.opening import OPEN_STATES, close_by_system
from app.reconciliation.matching.after_receipts import mask_fits
from app.reconciliation.matching.rules import MatchRules
from app.reconciliation.models import Statement, StatementLine
from app.tasks import refs
from app.tasks.sweeps import RowFailures
from ledger import Ledger

SWEEP_BATCH = 100
STUCK_AFTER = timedelta(hours=1)
"""A payout open this long (or with no next check) is the regular sweep's no more."""


@dataclass
class PendingReport:
    payouts_resolved: int = 0
    payout_exceptions: int = 0
    payout_exceptions_closed: int = 0
    prompts_succeeded: int = 0
    prompts_failed: int = 0


def _covered_until(session: Session) -> datetime | None:
    return session.scalar(select(func.max(Statement.period_to)))


def resolve_pending(
    sessions: Sessions,
    ports: Ports,
    clock: Clock,
    rules: MatchRules | None = None,
    limit: int = SWEEP_BATCH,
) -> PendingReport:
    rules = rules or MatchRules()
    report = PendingReport()
    _payouts(sessions, ports, clock, rules, limit, report)
    with sessions.unit_of_work() as session:
        _close_settled_payouts(session, clock(), report)
        _prompts(session, rules, clock(), limit, report)
    return report


def _payouts(
    sessions: Sessions,
    ports: Ports,
    clock: Clock,
    rules: MatchRules,
    limit: int,
    report: PendingReport,
) -> None:
    with sessions.reader() as session:
        stuck = session.execute(
            select(Payout.id, Payout.originator_id, Payout.network)
            .where(
                Payout.status.in_(OPEN_PAYOUT_STATUSES),
                or_(Payout.next_check_at.is_(None), Payout.created_at <= clock() - STUCK_AFTER),
            )
            .order_by(Payout.created_at, Payout.id)
            .limit(limit)
        ).all()
    failures = RowFailures(refs.RESOLVE_PENDING.name)
    for payout_id, originator_id, network in stuck:
        with failures.row(payout_id):
            provider = ports.payments_for(network)  # the provider the payout was sent through
            result = provider.query_payout(originator_id)  # no transaction open here
            with sessions.unit_of_work() as session:
                if result is not None:
                    record_payout_result(session, Ledger(session, clock), result, clock())
                    report.payouts_resolved += 1
                    continue
                payout = session.get(Payout, payout_id, with_for_update=True)
                if payout is not None and payout.status in OPEN_PAYOUT_STATUSES:
                    report.payout_exceptions += _payout_exception(
                        session, ports, payout, rules, clock()
                    )
    failures.raise_if_any()


def _payout_line(
    session: Session, ports: Ports, payout: Payout, rules: MatchRules
) -> StatementLine | None:
    tolerance = rules.amount_tolerance_minor
    claimed = select(Payout.provider_receipt).where(Payout.provider_receipt.is_not(None))
    lines = session.scalars(
        select(StatementLine)
        .where(
            StatementLine.network == payout.network,  # only the provider that paid it
            StatementLine.category == "payout",
            StatementLine.moves_money,
            StatementLine.amount_minor.between(
                -payout.amount_minor - tolerance, -payout.amount_minor + tolerance
            ),
            StatementLine.completed_at >= payout.created_at,
            StatementLine.completed_at <= payout.created_at + rules.time_window,
            StatementLine.receipt.not_in(claimed),
        )
        .order_by(StatementLine.completed_at, StatementLine.id)
        .limit(20)
    ).all()
    if not rules.match_phone:
        return lines[0] if lines else None
    encrypted = session.scalar(select(Borrower.phone_enc).where(Borrower.id == payout.borrower_id))
    phone = ports.cipher.decrypt(encrypted) if encrypted else None
    return next((x for x in lines if phone and mask_fits(x.other_party, phone)), None)


def _payout_exception(
    session: Session, ports: Ports, payout: Payout, rules: MatchRules, now: datetime
) -> int:
    key = f"payout:{payout.id}"
    if session.scalar(select(ReconException.id).where(ReconException.natural_key == key)):
        return 0
    line = _payout_line(session, ports, payout, rules)
    if line is not None:
        line_key = f"missing_in_ledger:{line.receipt}/main"
        if session.scalar(select(ReconException.id).where(ReconException.natural_key == line_key)):
            return 0  # a run already found the line and names this payout
        action, detail = "record_payout", "In flight here; the statement shows it paid"
    else:
        covered = _covered_until(session)
        if covered is None or covered < payout.created_at + rules.time_window:
            return 0  # no statement covers it yet: wait
        action, detail = "fail_payout", "In flight here; no statement shows it paid"
    session.add(
        ReconException(
            natural_key=key,
            kind="pending_payout",
            state="open",
            receipt=line.receipt if line else None,
            role="main" if line else None,
            line_id=line.id if line else None,
            payout_id=payout.id,
            statement_minor=line.amount_minor if line else None,
            ledger_minor=None,
            difference_minor=line.amount_minor if line else 0,
            suggested_action=action,
            suggested_loan_id=payout.loan_id,
            candidate_ref=f"payout:{payout.id}",
            detail=detail,
            opened_at=now,
            updated_at=now,
        )
    )
    session.flush()
    return 1


def _close_settled_payouts(session: Session, now: datetime, report: PendingReport) -> None:
    """pending_payout exceptions whose payout the callback or a query has settled since."""
    settled = session.scalars(
        select(ReconException)
        .join(Payout, Payout.id == ReconException.payout_id)
        .where(
            ReconException.kind == "pending_payout",
            ReconException.state.in_(OPEN_STATES),
            Payout.status.not_in(OPEN_PAYOUT_STATUSES),
        )
        .limit(SWEEP_BATCH)
        .with_for_update()
    ).all()
    for exception in settled:
        close_by_system(session, exception, "The payout's outcome arrived from the provider", now)
    report.payout_exceptions_closed += len(settled)


def _prompts(
    session: Session, rules: MatchRules, now: datetime, limit: int, report: PendingReport
) -> None:
    prompts = session.execute(
        select(StkRequest, Loan.account_number)
        .join(Loan, Loan.id == StkRequest.loan_id)
        .where(
            or_(
                StkRequest.status == StkStatus.UNKNOWN,
                (StkRequest.status == StkStatus.SENT) & StkRequest.next_check_at.is_(None),
            ),
            StkRequest.created_at <= now - rules.time_window,
        )
        .order_by(StkRequest.created_at)
        .limit(limit)
        .with_for_update(of=StkRequest)
    ).all()
    covered = _covered_until(session)
    for prompt, account_number in prompts:
        line = _prompt_line(session, prompt, account_number, rules)
        if line is not None:
            applied = session.scalar(
                select(Repayment.id).where(Repayment.provider_receipt == line.receipt)
            )
            if applied is not None:
                prompt.status, prompt.receipt = "succeeded", line.receipt
                prompt.result_code, prompt.resolved_at = "statement", now
                report.prompts_succeeded += 1
        elif covered is not None and covered >= prompt.created_at + rules.time_window:
            prompt.status, prompt.result_code, prompt.resolved_at = (
                "failed",
                "not_on_statement",
                now,
            )
            report.prompts_failed += 1
    session.flush()


def _prompt_line(
    session: Session, prompt: StkRequest, account_number: str, rules: MatchRules
) -> StatementLine | None:
    tolerance = rules.amount_tolerance_minor
    claimed = select(StkRequest.receipt).where(StkRequest.receipt.is_not(None))
    query = select(StatementLine).where(
        StatementLine.network == prompt.network,  # only the provider that pushed it
        StatementLine.category == "payment_in",
        StatementLine.moves_money,
        StatementLine.amount_minor.between(
            prompt.amount_minor - tolerance, prompt.amount_minor + tolerance
        ),
        StatementLine.completed_at >= prompt.created_at,
        StatementLine.completed_at <= prompt.created_at + rules.time_window,
        StatementLine.receipt.not_in(claimed),
    )
    if rules.match_reference:
        query = query.where(StatementLine.account_ref == account_number)
    return session.scalars(query.order_by(StatementLine.completed_at).limit(1)).first()
