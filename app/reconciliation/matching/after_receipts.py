"""The rules after the receipt join, over the few lines it left undecided.

- One-to-many: a main line whose amount differs from its ledger item matches when the item
  equals the line plus the charge lines of the same receipt (or linked to it).
- One-to-one without a receipt: a withdrawn line missing in the ledger against a payout the
  ledger holds without a receipt (succeeded: matched) or still in flight (pending: the
  exception names the payout); a paid-in line against an STK prompt whose outcome is unknown.
  Amount within the tolerance, completed within the window after the request, and the loan
  account number (STK) or the payee's masked number (payout) when the rules ask for them.
  Each payout or prompt is claimed by one line at most (a unique index per run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from app.lending.models import Loan
from app.mpesa.models import StkRequest, StkStatus
from app.payments.models import Payout, PayoutStatus
from app.reconciliation.matching import rules as r
from app.reconciliation.matching.rules import MatchRules
from app.reconciliation.models import LedgerItem, Result, StatementLine
from app.reconciliation.statements.cells import line_keys
from integrations.mpesa.normalise import msisdn_fits_hint

MAX_CANDIDATES = 10_000
"""Payouts or prompts considered per run; more are left to the next run."""
PAGE = 500

PhoneOf = Callable[[int], str | None]
"""A borrower's 12-digit number by borrower id (decrypted), or None if unknown."""


def mask_fits(other_party: str | None, phone: str) -> bool:
    """Whether ``2547****5678 - NAME`` (Other Party Info) can be ``phone``."""
    number = (other_party or "").partition(" - ")[0].replace(" ", "")
    return bool(number) and msisdn_fits_hint(phone, number)


def group_charges(session: Session, run_id: int, rules: MatchRules) -> int:
    """One-to-many: main lines in amount mismatch that match with their charges (charge
    lines completed within the time window of the main line)."""
    matched = 0
    after = 0
    while True:
        rows = session.execute(
            select(
                Result.id,
                Result.receipt,
                Result.item_id,
                StatementLine.amount_minor,
                StatementLine.completed_at,
            )
            .join(StatementLine, StatementLine.id == Result.line_id)
            .where(
                Result.run_id == run_id,
                Result.outcome == r.AMOUNT_MISMATCH,
                Result.role == "main",
                Result.id > after,
            )
            .order_by(Result.id)
            .limit(PAGE)
        ).all()
        for result_id, receipt, item_id, amount, completed_at in rows:
            assert item_id is not None  # a mismatch always has its ledger item
            main = _Main(result_id, receipt, item_id, amount, completed_at)
            matched += _group(session, run_id, rules, main)
        if len(rows) < PAGE:
            return matched
        after = rows[-1][0]


@dataclass(frozen=True, slots=True)
class _Main:
    result_id: int
    receipt: str
    item_id: int
    amount_minor: int
    completed_at: datetime


def _group(session: Session, run_id: int, rules: MatchRules, main: _Main) -> int:
    net = session.scalar(select(LedgerItem.net_minor).where(LedgerItem.id == main.item_id))
    charges = session.execute(
        select(Result.id, StatementLine.amount_minor)
        .join(StatementLine, StatementLine.id == Result.line_id)
        .where(
            Result.run_id == run_id,
            StatementLine.completed_at >= main.completed_at - rules.time_window,
            StatementLine.completed_at <= main.completed_at + rules.time_window,
            StatementLine.role == "charge",
            StatementLine.moves_money,
            or_(
                StatementLine.line_key.in_(line_keys(main.receipt, "charge")),
                StatementLine.linked_receipt == main.receipt,
            ),
        )
    ).all()
    together = main.amount_minor + sum(charge_amount for _, charge_amount in charges)
    if not charges or net is None or abs(net - together) > rules.amount_tolerance_minor:
        return 0
    for member_id in [main.result_id, *(charge_id for charge_id, _ in charges)]:
        session.execute(
            update(Result)
            .where(Result.id == member_id)
            .values(
                outcome=r.MATCHED, rule="receipt_group", item_id=main.item_id, difference_minor=0
            )
        )
    return 1 + len(charges)


def _open_lines(
    session: Session,
    run_id: int,
    category: str,
    amount_minor: int,
    created_at: datetime,
    rules: MatchRules,
) -> list[tuple[int, str | None, str | None]]:
    """Undecided lines of a category that could be a candidate for ``amount_minor`` (signed
    as the statement shows it) created at ``created_at``: an amount within the rules'
    tolerance, completed within their time window after it. (result id, masked party,
    A/C No.), earliest first."""
    tolerance = rules.amount_tolerance_minor
    low, high = amount_minor - tolerance, amount_minor + tolerance
    since, until = created_at, created_at + rules.time_window
    rows = session.execute(
        select(Result.id, StatementLine.other_party, StatementLine.account_ref)
        .join(StatementLine, StatementLine.id == Result.line_id)
        .where(
            Result.run_id == run_id,
            Result.outcome == r.MISSING_IN_LEDGER,
            Result.candidate_ref.is_(None),
            StatementLine.category == category,
            StatementLine.amount_minor.between(low, high),
            StatementLine.completed_at >= since,
            StatementLine.completed_at <= until,
        )
        .order_by(StatementLine.completed_at, StatementLine.id)
        .limit(PAGE)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def match_payouts(
    session: Session,
    run_id: int,
    rules: MatchRules,
    period: tuple[datetime, datetime],
    phone_of: PhoneOf | None,
    network: str,
) -> int:
    """Withdrawn lines the ledger has no receipt for, against receiptless or open payouts
    sent through the run's provider."""
    since, until = period
    payouts = session.execute(
        select(Payout.id, Payout.status, Payout.amount_minor, Payout.created_at, Payout.borrower_id)
        .where(
            or_(
                and_(Payout.status == PayoutStatus.SUCCEEDED, Payout.provider_receipt.is_(None)),
                Payout.status.in_((PayoutStatus.SUBMITTED, PayoutStatus.UNKNOWN)),
                and_(Payout.status == PayoutStatus.PENDING, Payout.attempts > 0),
            ),
            Payout.network == network,
            Payout.created_at >= since - rules.time_window,
            Payout.created_at < until,
        )
        .order_by(Payout.created_at, Payout.id)
        .limit(MAX_CANDIDATES)
    ).all()
    claimed = 0
    for payout_id, status, amount, created_at, borrower_id in payouts:
        lines = _open_lines(session, run_id, "payout", -amount, created_at, rules)
        phone = phone_of(borrower_id) if (rules.match_phone and phone_of) else None
        for result_id, party, _ in lines:
            if rules.match_phone and (phone is None or not mask_fits(party, phone)):
                continue
            done = status == PayoutStatus.SUCCEEDED
            values: dict[str, object] = {
                "candidate_ref": f"payout:{payout_id}",
                "rule": "amount_time_phone" if done else "pending_payout",
            }
            if done:
                values.update(outcome=r.MATCHED, ledger_minor=-amount, difference_minor=0)
            session.execute(update(Result).where(Result.id == result_id).values(**values))
            claimed += 1
            break
    return claimed


def match_stk_prompts(
    session: Session,
    run_id: int,
    rules: MatchRules,
    period: tuple[datetime, datetime],
    network: str,
) -> int:
    """Paid-in lines the ledger lacks, against the run's provider's STK prompts (Airtel's
    USSD pushes) whose outcome is unknown."""
    since, until = period
    prompts = session.execute(
        select(StkRequest.id, StkRequest.amount_minor, StkRequest.created_at, Loan.account_number)
        .join(Loan, Loan.id == StkRequest.loan_id)
        .where(
            StkRequest.status.in_((StkStatus.SENT, StkStatus.UNKNOWN)),
            StkRequest.network == network,
            StkRequest.created_at >= since - rules.time_window,
            StkRequest.created_at < until,
        )
        .order_by(StkRequest.created_at, StkRequest.id)
        .limit(MAX_CANDIDATES)
    ).all()
    claimed = 0
    for prompt_id, amount, created_at, account_number in prompts:
        lines = _open_lines(session, run_id, "payment_in", amount, created_at, rules)
        for result_id, _, account_ref in lines:
            if rules.match_reference and account_ref != account_number:
                continue
            session.execute(
                update(Result)
                .where(Result.id == result_id)
                .values(candidate_ref=f"stk:{prompt_id}", rule="pending_stk")
            )
            claimed += 1
            break
    return claimed


def count_by_outcome(session: Session, run_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Result.outcome, func.count()).where(Result.run_id == run_id).group_by(Result.outcome)
    ).all()
    return {outcome: int(count) for outcome, count in rows}
