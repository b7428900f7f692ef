"""USSD states for disputing a credit bureau record (My account > 4): choose one of the
three latest loans that were paid out, then why; the dispute opens at once (no PIN: it moves
no money and changes no data, it asks staff to look) and the borrower gets an SMS."""

from __future__ import annotations

from sqlalchemy import select

from app.crb.disputes import Complaint, DisputeAlreadyOpen, open_dispute
from app.crb.models import DisputeChannel, DisputeReason
from app.lending.models import Loan
from app.ussd import screens
from app.ussd.steps import Ctx, Outcome, Screen, add_state, ask, end, notice

SHOWN_LOANS = 3
REASONS = {
    "1": DisputeReason.PAID,
    "2": DisputeReason.NOT_MINE,
    "3": DisputeReason.WRONG_AMOUNT,
    "4": DisputeReason.OTHER,
}


def _reported(ctx: Ctx) -> list[Loan]:
    member = ctx.member
    assert member is not None
    return list(
        ctx.session.scalars(
            select(Loan)
            .where(Loan.borrower_id == member.id, Loan.disbursed_on.is_not(None))
            .order_by(Loan.id.desc())
            .limit(SHOWN_LOANS)
        )
    )


def show_loans(ctx: Ctx, hint: str) -> Screen:
    loans = _reported(ctx)
    if not loans:
        return notice(ctx, screens.NO_REPORTED_LOAN)
    lines = [f"{loan.account_number} ({loan.status})" for loan in loans]
    return ask("dispute_loan", screens.dispute_loans(lines), hint)


def _answer_loan(ctx: Ctx, entry: str) -> Outcome:
    loans = _reported(ctx)
    if not entry.isdigit() or not 1 <= int(entry) <= len(loans):
        return show_loans(ctx, screens.CHOOSE_LISTED)
    ctx.data["dispute_loan_id"] = loans[int(entry) - 1].id
    return _show_reason(ctx, "")


def _show_reason(ctx: Ctx, hint: str) -> Screen:
    return ask("dispute_reason", screens.DISPUTE_REASONS, hint)


def _answer_reason(ctx: Ctx, entry: str) -> Outcome:
    member = ctx.member
    loan_id = ctx.data.get("dispute_loan_id")
    if entry not in REASONS or member is None or not isinstance(loan_id, int):
        return _show_reason(ctx, screens.CHOOSE_LISTED)
    complaint = Complaint(member.id, loan_id, REASONS[entry], None, DisputeChannel.USSD)
    try:
        dispute = open_dispute(ctx.session, complaint, ctx.now)
    except DisputeAlreadyOpen:
        return notice(ctx, screens.DISPUTE_OPEN)
    account = ctx.session.scalar(select(Loan.account_number).where(Loan.id == loan_id))
    return end(screens.dispute_recorded(str(account), dispute.respond_by))


add_state("dispute_loan", show_loans, _answer_loan, back="account")
add_state("dispute_reason", _show_reason, _answer_reason, back="dispute_loan")
