"""USSD states that move money: borrow (the product when an instalment product is offered
beside the Personal Loan, amount, disclosure, PIN), repay (amount, confirm; the
STK prompt follows) and withdraw short-term savings (amount, PIN).

Each action runs the product's own use case (``quote``/``request_loan``,
``request_stk_repayment``, ``request_savings_withdrawal``) inside a savepoint, with an
idempotency key made of the session id and the hop (``Ctx.action_key``), so a re-sent or
retried hop can never act twice; the provider call is handed to the worker after commit.
Repaying asks for no Mkopo PIN: the STK prompt asks for the M-Pesa PIN on the same handset
before any money moves, and paying one's own loan harms nobody.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from app.borrowers.models import Borrower
from app.errors import DomainError
from app.lending import errors as lending_errors
from app.lending.loans import open_loan
from app.lending.models import LoanStatus
from app.lending.origination import LoanRequest, product_terms, quote, request_loan
from app.lending.quotes import Quote
from app.mpesa.stk import MAX_STK_MINOR, request_stk_repayment
from app.products.models import INDIVIDUAL_AUDIENCE, Product
from app.products.terms import INSTALMENT
from app.savings.withdrawals import MIN_PAYOUT_MINOR, request_savings_withdrawal
from app.ussd import screens
from app.ussd.steps import (
    PRODUCT_CODE,
    Ctx,
    Outcome,
    Screen,
    add_pin_state,
    add_state,
    ask,
    end,
    notice,
    shillings,
    show,
    wallet,
)
from ledger import Ledger

# -- borrow ----------------------------------------------------------------------------------


def _instalment_product(ctx: Ctx) -> Product | None:
    """The active instalment product offered beside the Personal Loan (the first by id)."""
    return ctx.session.scalar(
        select(Product)
        .where(Product.active, Product.kind == INSTALMENT, Product.audience == INDIVIDUAL_AUDIENCE)
        .order_by(Product.id)
        .limit(1)
    )


def _product_code(ctx: Ctx) -> str:
    return str(ctx.data.get("product_code", PRODUCT_CODE))


def _show_borrow_product(ctx: Ctx, hint: str) -> Screen:
    other = _instalment_product(ctx)
    if other is None:
        ctx.data["product_code"] = PRODUCT_CODE
        return _show_borrow_amount(ctx, hint)
    return ask("borrow_product", screens.borrow_product(other.name), hint)


def _answer_borrow_product(ctx: Ctx, entry: str) -> Outcome:
    other = _instalment_product(ctx)
    choices = {"1": PRODUCT_CODE, "2": other.code if other is not None else None}
    chosen = choices.get(entry)
    if chosen is None:
        return _show_borrow_product(ctx, screens.CHOOSE_LISTED)
    ctx.data["product_code"] = chosen
    return _show_borrow_amount(ctx, "")


def _why_not_borrow(ctx: Ctx, refusal: DomainError) -> Screen:
    member = ctx.member
    assert member is not None
    loan = open_loan(ctx.session, member.id)
    if isinstance(refusal, lending_errors.BorrowerFrozen) and loan is not None:
        return notice(ctx, screens.frozen(loan.account_number, loan.outstanding_minor))
    if isinstance(refusal, lending_errors.LoanInFlight):
        return notice(ctx, screens.disbursement_in_flight(wallet(ctx)))
    if isinstance(refusal, lending_errors.OverLimit):
        if member.credit_limit_minor <= 0:
            return notice(
                ctx, screens.NOT_SCORED if member.score_band is None else screens.LIMIT_ZERO
            )
        owed = loan.outstanding_minor if loan is not None else 0
        return notice(ctx, screens.limit_used(member.credit_limit_minor, owed))
    return notice(ctx, screens.refused(refusal.detail))


def _show_borrow_amount(ctx: Ctx, hint: str) -> Screen:
    member = ctx.member
    assert member is not None
    try:
        terms = product_terms(ctx.session, _product_code(ctx))
        # The least amount passes every rule a real request would, or says which one fails.
        quote(ctx.session, member.id, _product_code(ctx), terms.min_amount_minor, ctx.now)
    except DomainError as refusal:
        return _why_not_borrow(ctx, refusal)
    loan = open_loan(ctx.session, member.id)
    owed_principal = loan.principal_outstanding_minor if loan is not None else 0
    most = min(member.credit_limit_minor - owed_principal, terms.max_amount_minor) // 100 * 100
    ctx.data["borrow_range"] = [terms.min_amount_minor, most]
    owed = loan.outstanding_minor if loan is not None else 0
    text = screens.borrow_amount(member.credit_limit_minor, owed, terms.min_amount_minor, most)
    return ask("borrow_amount", text, hint)


def _answer_borrow_amount(ctx: Ctx, entry: str) -> Outcome:
    amount = shillings(entry)
    least, most = ctx.data.get("borrow_range", [0, 0])
    if amount is None:
        return _show_borrow_amount(ctx, screens.DIGITS_ONLY)
    if not least <= amount <= most:
        return _show_borrow_amount(ctx, screens.amount_range(least, most))
    ctx.data["amount_minor"] = amount
    return _show_borrow_quote(ctx, "")


def _quote(ctx: Ctx) -> Quote:
    member = ctx.member
    assert member is not None
    return quote(ctx.session, member.id, _product_code(ctx), int(ctx.data["amount_minor"]), ctx.now)


def _show_borrow_quote(ctx: Ctx, hint: str) -> Screen:
    try:
        offer = _quote(ctx)
    except DomainError as refusal:
        return _why_not_borrow(ctx, refusal)
    plan = _plan(ctx, offer)
    text = screens.borrow_quote(offer) if plan is None else screens.instalment_quote(offer, plan)
    return ask("borrow_quote", text, hint)


def _plan(ctx: Ctx, offer: Quote) -> screens.Instalments | None:
    """An instalment quote's schedule in brief (None for a bullet quote)."""
    if not offer.instalments:
        return None
    first, last = offer.instalments[0], offer.instalments[-1]
    frequency = str(product_terms(ctx.session, offer.product_code).schedule_frequency)
    count = len(offer.instalments)
    return screens.Instalments(count, frequency, first.total_minor, first.due_date, last.due_date)


def _answer_borrow_quote(ctx: Ctx, entry: str) -> Outcome:
    if entry != "1":
        return _show_borrow_quote(ctx, screens.CHOOSE_LISTED)
    return _show_borrow_pin(ctx, "")


def _borrow(ctx: Ctx, member: Borrower) -> Screen:
    try:
        offer = _quote(ctx)
        with ctx.session.begin_nested():
            payout = request_loan(
                ctx.session,
                Ledger(ctx.session, ctx.env.clock),
                LoanRequest(
                    member.id, _product_code(ctx), offer.amount_minor, ctx.action_key("borrow")
                ),
                ctx.now,
            )
    except DomainError as refusal_now:
        return _why_not_borrow(ctx, refusal_now)
    assert payout.loan_id is not None
    loan = open_loan(ctx.session, member.id)
    account = loan.account_number if loan is not None else ""
    plan = _plan(ctx, offer)
    if plan is not None:
        pay_to = screens.PayTo(ctx.env.paybill, account)
        return end(screens.borrowed_instalments(payout.amount_minor, plan, pay_to, wallet(ctx)))
    done = screens.borrowed(
        payout.amount_minor,
        offer.total_due_minor,
        offer.due_on,
        screens.PayTo(ctx.env.paybill, account),
        offer.credit_applied_minor,
        wallet(ctx),
    )
    return end(done)


def _pin_to(action: str) -> Callable[[Ctx], str]:
    return lambda ctx: screens.enter_pin_to(action, int(ctx.data["amount_minor"]))


_show_borrow_pin = add_pin_state("borrow_pin", _pin_to("borrow"), _borrow, back="borrow_quote")


# -- repay -----------------------------------------------------------------------------------


def _show_repay_amount(ctx: Ctx, hint: str) -> Screen:
    member = ctx.member
    assert member is not None
    loan = open_loan(ctx.session, member.id)
    if loan is None:
        return notice(ctx, screens.NOTHING_TO_REPAY)
    if loan.status == LoanStatus.DISBURSING or loan.outstanding_minor <= 0:
        return notice(ctx, screens.nothing_owed_yet(wallet(ctx)))
    most = min(-(-loan.outstanding_minor // 100) * 100, MAX_STK_MINOR)  # whole shillings, up
    ctx.data["repay_most"] = most
    return ask(
        "repay_amount", screens.repay_amount(loan.outstanding_minor, loan.due_on, most), hint
    )


def _answer_repay_amount(ctx: Ctx, entry: str) -> Outcome:
    amount = shillings(entry)
    most = int(ctx.data.get("repay_most", 0))
    if amount is None:
        return _show_repay_amount(ctx, screens.DIGITS_ONLY)
    if not 100 <= amount <= most:
        return _show_repay_amount(ctx, screens.amount_range(100, most))
    ctx.data["amount_minor"] = amount
    return _show_repay_confirm(ctx, "")


def _show_repay_confirm(ctx: Ctx, hint: str) -> Screen:
    amount = int(ctx.data["amount_minor"])
    return ask("repay_confirm", screens.repay_confirm(amount, wallet(ctx)), hint)


def _answer_repay_confirm(ctx: Ctx, entry: str) -> Outcome:
    member = ctx.member
    assert member is not None
    if entry != "1":
        return _show_repay_confirm(ctx, screens.CHOOSE_LISTED)
    amount = int(ctx.data["amount_minor"])
    try:
        with ctx.session.begin_nested():
            request_stk_repayment(ctx.session, member.id, amount, ctx.action_key("repay"), ctx.now)
    except DomainError as refusal:
        return notice(ctx, screens.refused(refusal.detail))
    return end(screens.stk_coming(amount, wallet(ctx)))


# -- savings ---------------------------------------------------------------------------------


def _show_savings(ctx: Ctx, hint: str) -> Screen:
    member = ctx.member
    assert member is not None
    held = member.savings_short_held_minor > 0
    text = screens.savings(member.savings_long_minor, member.savings_short_minor, held)
    return ask("savings", text, hint)


def _answer_savings(ctx: Ctx, entry: str) -> Outcome:
    if entry != "1":
        return _show_savings(ctx, screens.CHOOSE_LISTED)
    return show(ctx, "withdraw_amount")


def _show_withdraw_amount(ctx: Ctx, hint: str) -> Screen:
    member = ctx.member
    assert member is not None
    if member.savings_short_held_minor > 0:
        return notice(ctx, screens.SAVINGS_HELD)
    if open_loan(ctx.session, member.id) is not None:
        return notice(ctx, screens.WITHDRAW_AFTER_LOAN)
    most = member.savings_short_minor // 100 * 100
    if most < MIN_PAYOUT_MINOR:
        return notice(ctx, screens.too_little_to_withdraw(MIN_PAYOUT_MINOR))
    ctx.data["withdraw_most"] = most
    return ask("withdraw_amount", screens.withdraw_amount(MIN_PAYOUT_MINOR, most), hint)


def _answer_withdraw_amount(ctx: Ctx, entry: str) -> Outcome:
    amount = shillings(entry)
    most = int(ctx.data.get("withdraw_most", 0))
    if amount is None:
        return _show_withdraw_amount(ctx, screens.DIGITS_ONLY)
    if not MIN_PAYOUT_MINOR <= amount <= most:
        return _show_withdraw_amount(ctx, screens.amount_range(MIN_PAYOUT_MINOR, most))
    ctx.data["amount_minor"] = amount
    return _show_withdraw_pin(ctx, "")


def _withdraw(ctx: Ctx, member: Borrower) -> Screen:
    amount = int(ctx.data["amount_minor"])
    try:
        with ctx.session.begin_nested():
            request_savings_withdrawal(
                ctx.session,
                Ledger(ctx.session, ctx.env.clock),
                member.id,
                amount,
                ctx.action_key("withdraw"),
                ctx.now,
            )
    except DomainError as refusal_now:
        return notice(ctx, screens.refused(refusal_now.detail))
    return end(screens.withdrawn(amount, wallet(ctx)))


_show_withdraw_pin = add_pin_state(
    "withdraw_pin", _pin_to("withdraw"), _withdraw, back="withdraw_amount"
)


add_state("borrow_product", _show_borrow_product, _answer_borrow_product, back="main")
add_state("borrow_amount", _show_borrow_amount, _answer_borrow_amount, back="main")
add_state("borrow_quote", _show_borrow_quote, _answer_borrow_quote, back="borrow_amount")
add_state("repay_amount", _show_repay_amount, _answer_repay_amount, back="main")
add_state("repay_confirm", _show_repay_confirm, _answer_repay_confirm, back="repay_amount")
add_state("savings", _show_savings, _answer_savings, back="main")
add_state("withdraw_amount", _show_withdraw_amount, _answer_withdraw_amount, back="savings")
