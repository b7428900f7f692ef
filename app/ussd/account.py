"""USSD states about the borrower: my loan, my account (limit and band, why this limit),
change PIN, opt out (disputing a credit record: ``app.ussd.disputes``).

Changing a PIN checks the current PIN first (counted towards the lock, like every PIN
check), then hashes the new one and confirms it against that hash, so no PIN is ever kept
in clear between hops; the hash replaces the old one in the last hop.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from app.borrowers import errors as borrower_errors
from app.borrowers.models import Borrower
from app.borrowers.service import prepare_pin
from app.lending.instalments import is_instalment_loan, next_instalment
from app.lending.loans import any_open_loan_id, open_loan
from app.lending.models import LoanStatus
from app.onboarding.service import opt_out
from app.scoring.queries import NoDecisionYet, latest_decision
from app.ussd import screens
from app.ussd.disputes import show_loans as show_dispute_loans
from app.ussd.onboarding import weak_pin_hint
from app.ussd.steps import (
    Ctx,
    Outcome,
    Screen,
    Slow,
    add_pin_state,
    add_state,
    ask,
    end,
    notice,
    pin_shaped,
    wallet,
)

# -- my loan ---------------------------------------------------------------------------------


def _show_loan(ctx: Ctx, hint: str) -> Screen:
    member = ctx.member
    assert member is not None
    loan = open_loan(ctx.session, member.id)
    if loan is None:
        text = screens.no_loan(member.credit_limit_minor)
    elif loan.status == LoanStatus.DISBURSING:
        text = screens.loan_on_its_way(
            loan.account_number, loan.principal_pending_minor, wallet(ctx)
        )
    else:
        due: date | screens.NextInstalment | None = loan.due_on
        coming = next_instalment(ctx.session, loan.id) if is_instalment_loan(loan) else None
        if coming is not None:
            due = screens.NextInstalment(coming.left_minor, coming.due_on)
        text = screens.loan(
            loan.account_number,
            loan.status == LoanStatus.DEFAULTED,
            loan.outstanding_minor,
            loan.principal_outstanding_minor,
            loan.interest_outstanding_minor + loan.penalty_outstanding_minor,
            due,
        )
    return ask("loan", text, hint)


def _answer_loan(ctx: Ctx, _entry: str) -> Outcome:
    return _show_loan(ctx, screens.GO_BACK)


# -- my account ------------------------------------------------------------------------------


def _show_account(ctx: Ctx, hint: str) -> Screen:
    member = ctx.member
    assert member is not None
    return ask("account", screens.account(member.credit_limit_minor, member.score_band), hint)


def _answer_account(ctx: Ctx, entry: str) -> Outcome:
    if entry == "1":
        return _show_current_pin(ctx, "")
    if entry == "2":
        return _show_opt_out(ctx, "")
    if entry == "3":
        return _show_why_limit(ctx, "")
    if entry == "4":
        return show_dispute_loans(ctx, "")
    return _show_account(ctx, screens.CHOOSE_LISTED)


def _show_why_limit(ctx: Ctx, hint: str) -> Screen:
    member = ctx.member
    assert member is not None
    try:
        reasons = [r["label"] for r in latest_decision(ctx.session, member.id).reasons]
    except NoDecisionYet:
        return ask("why_limit", screens.NOT_SCORED, hint)
    return ask(
        "why_limit", screens.why_limit(member.credit_limit_minor, member.score_band, reasons), hint
    )


def _answer_why_limit(ctx: Ctx, _entry: str) -> Outcome:
    return _show_why_limit(ctx, screens.GO_BACK)


# -- change PIN ------------------------------------------------------------------------------


def _show_new_pin(ctx: Ctx, hint: str) -> Screen:
    return ask("pin_new", screens.ENTER_NEW_PIN, hint)


_show_current_pin = add_pin_state(
    "pin_current",
    lambda _ctx: screens.ENTER_CURRENT_PIN,
    lambda ctx, _member: _show_new_pin(ctx, ""),
    back="account",
)


def _answer_new_pin(ctx: Ctx, entry: str) -> Outcome:
    hint = weak_pin_hint(entry)
    if hint is not None:
        return _show_new_pin(ctx, hint)

    def hashed(ctx: Ctx, pin_hash: str) -> Screen:
        ctx.data["new_pin_hash"] = pin_hash
        return _show_new_pin_again(ctx, "")

    return Slow(lambda: prepare_pin(ctx.env.pins, entry), hashed)


def _show_new_pin_again(ctx: Ctx, hint: str) -> Screen:
    return ask("pin_new_again", screens.ENTER_NEW_PIN_AGAIN, hint)


def _answer_new_pin_again(ctx: Ctx, entry: str) -> Outcome:
    new_hash = str(ctx.data.get("new_pin_hash", ""))
    if not pin_shaped(entry) or not new_hash:
        return _show_new_pin(ctx, screens.PINS_DIFFER)

    def confirmed(ctx: Ctx, same: bool) -> Screen:
        member = ctx.member
        if member is None:
            return end(screens.UNAVAILABLE)
        if not same:
            return _show_new_pin(ctx, screens.PINS_DIFFER)
        # The current PIN was checked two hops ago in this session (app.borrowers.pin_checks
        # .change_pin wants both PINs at once, and a PIN is never kept between hops).
        ctx.session.execute(
            update(Borrower).where(Borrower.id == member.id).values(pin_hash=new_hash)
        )
        return end(screens.PIN_CHANGED)

    return Slow(lambda: ctx.env.pins.verify_pin(entry, new_hash), confirmed)


# -- opt out ---------------------------------------------------------------------------------


def _savings_of(borrower: Borrower) -> int:
    return borrower.savings_long_minor + borrower.savings_short_minor


def _show_opt_out(ctx: Ctx, hint: str) -> Screen:
    member = ctx.member
    assert member is not None
    if any_open_loan_id(ctx.session, member.id) is not None:
        return notice(ctx, screens.OPT_OUT_BLOCKED)
    return ask("opt_out", screens.opt_out_confirm(_savings_of(member)), hint)


def _answer_opt_out(ctx: Ctx, entry: str) -> Outcome:
    if entry != "1":
        return _show_opt_out(ctx, screens.CHOOSE_LISTED)
    return _show_opt_out_pin(ctx, "")


def _opt_out(ctx: Ctx, member: Borrower) -> Screen:
    try:
        with ctx.session.begin_nested():
            left = opt_out(ctx.session, member.id, ctx.now)
    except borrower_errors.OpenLoanBlocksOptOut:
        return notice(ctx, screens.OPT_OUT_BLOCKED)
    return end(screens.opted_out(_savings_of(left)))


_show_opt_out_pin = add_pin_state(
    "opt_out_pin", lambda _ctx: screens.ENTER_PIN_TO_OPT_OUT, _opt_out, back="opt_out"
)


add_state("loan", _show_loan, _answer_loan, back="main")
add_state("account", _show_account, _answer_account, back="main")
add_state("why_limit", _show_why_limit, _answer_why_limit, back="account")
add_state("pin_new", _show_new_pin, _answer_new_pin, back="account")
add_state("pin_new_again", _show_new_pin_again, _answer_new_pin_again, back="pin_new")
add_state("opt_out", _show_opt_out, _answer_opt_out, back="account")
