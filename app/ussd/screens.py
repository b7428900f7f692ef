"""Every text the USSD channel shows or sends by SMS, in one place.

Rules: plain ASCII; a screen, with its ``CON ``/``END `` prefix and any hint line, fits in
182 characters for the largest amounts the product allows (tests/unit/test_ussd_screens.py
renders each one at its longest); amounts are written ``KES 1,234.50`` (``app.money.kes``),
dates ``DD-MM-YYYY``. Nothing typed on the handset (a PIN, a national ID) is ever echoed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.clock import EAT
from app.lending.quotes import Quote
from app.money import kes

BACK = "0. Back"


def _day(day: date) -> str:
    return f"{day:%d-%m-%Y}"


def _shillings(amount_minor: int) -> str:
    return f"{amount_minor // 100:,}"


def with_hint(hint: str, text: str) -> str:
    return f"{hint}\n{text}" if hint else text


# -- hints (a wrong input re-asks the same screen with one of these on top) -------------------

CHOOSE_LISTED = "Choose a number shown."
DIGITS_ONLY = "Enter digits only, e.g. 500."
PIN_FORMAT = "A PIN is 4 digits."
PIN_GUESSABLE = "Too easy: avoid 1234, 1111."
PINS_DIFFER = "The PINs did not match."
NATIONAL_ID_FORMAT = "An ID is 6 to 9 digits."
GO_BACK = "Reply 0 to go back."


def wrong_pin(tries_left: int) -> str:
    return f"Wrong PIN: {tries_left} {'try' if tries_left == 1 else 'tries'} left."


def amount_range(least_minor: int, most_minor: int) -> str:
    return f"Enter KES {_shillings(least_minor)} to {_shillings(most_minor)}."


# -- onboarding --------------------------------------------------------------------------------

WELCOME = "Welcome to Mkopo: loans and savings on M-Pesa.\n1. Register"
WELCOME_BACK = "Welcome back to Mkopo. Your savings are safe with us.\n1. Register again"
REGISTRATION_WAITING = (
    "We are still checking your registration with the registrar. We will send you an SMS soon."
)
ENTER_NATIONAL_ID = f"Register\nEnter your national ID number:\n{BACK}"
REGISTRATION_DECLINED = (
    "You did not accept the terms, so we cannot register you. Dial again any time."
)
CHOOSE_PIN = f"Choose a 4-digit Mkopo PIN:\n{BACK}"
CHOOSE_PIN_AGAIN = f"Enter the same PIN again:\n{BACK}"
REGISTRATION_RECEIVED = (
    "Thank you. We are checking your details with the registrar and will send you an SMS "
    "within minutes."
)


def terms(min_minor: int, max_minor: int, term_days: int, rate_bp: int, savings_bp: int) -> str:
    return (
        f"Loans of KES {_shillings(min_minor)}-{_shillings(max_minor)}, {term_days} days, "
        f"{rate_bp / 100:g}% a year; {savings_bp / 100:g}% of each loan is saved for you. "
        f"Terms: mkopo.example/terms\n1. Accept\n2. Decline\n{BACK}"
    )


# -- the main menu and borrowing ---------------------------------------------------------------

MAIN_MENU = "Mkopo\n1. Borrow\n2. Repay\n3. My loan\n4. Savings\n5. My account\n6. Groups"


def borrow_amount(limit_minor: int, owed_minor: int, least_minor: int, most_minor: int) -> str:
    owed = f"You owe {kes(owed_minor)}.\n" if owed_minor else ""
    return (
        f"Your limit is {kes(limit_minor)}.\n{owed}"
        f"Enter amount to borrow, KES {_shillings(least_minor)} to {_shillings(most_minor)}:"
        f"\n{BACK}"
    )


def borrow_quote(offer: Quote) -> str:
    """The disclosure. A credit balance applied at payout is shown and already taken off
    the total; that screen drops the savings line (the amount less what you get) to fit."""
    amount_minor, savings_minor, cash_minor = (
        offer.amount_minor,
        offer.savings_minor,
        offer.cash_minor,
    )
    interest_minor, total_due_minor = offer.interest_to_due_minor, offer.total_due_minor
    due_on, credit_minor = offer.due_on, offer.credit_applied_minor
    if credit_minor:
        return (
            f"Borrow {kes(amount_minor)}\nYou get: {kes(cash_minor)}"
            f"\nInterest: {kes(interest_minor)}\nCredit used: {kes(credit_minor)}"
            f"\nPay {kes(total_due_minor)} by {_day(due_on)}\n1. Confirm\n{BACK}"
        )
    return (
        f"Borrow {kes(amount_minor)}\nSaved: {kes(savings_minor)}\nYou get: {kes(cash_minor)}"
        f"\nInterest: {kes(interest_minor)}\nTotal due: {kes(total_due_minor)}"
        f"\nDue: {_day(due_on)}\n1. Confirm\n{BACK}"
    )


PRODUCT_NAME_CHARS = 40
"""A product's name on the choice screen is cut to this (the screen's budget)."""


def borrow_product(other_name: str) -> str:
    """The choice between the Personal Loan and the active instalment product."""
    return f"Borrow\n1. Personal Loan\n2. {other_name[:PRODUCT_NAME_CHARS]}\n{BACK}"


@dataclass(frozen=True, slots=True)
class Instalments:
    """An instalment loan's schedule in brief: how many, how often, the first amount and
    the first and last due dates."""

    count: int
    frequency: str
    first_minor: int
    first_due: date
    last_due: date


def instalment_quote(offer: Quote, plan: Instalments) -> str:
    """The disclosure of an instalment loan: the schedule in brief instead of one due date.
    With a credit balance applied, the amount line gives way to the credit line (the amount
    was typed on the screen before)."""
    top = (
        f"Credit {kes(offer.credit_applied_minor)}"
        if offer.credit_applied_minor
        else f"Borrow {kes(offer.amount_minor)}"
    )
    return (
        f"{top}\nGet {kes(offer.cash_minor)}\nInterest {kes(offer.interest_to_due_minor)}"
        f"\n{plan.count} {plan.frequency}, 1st {kes(plan.first_minor)}"
        f"\nFrom {_day(plan.first_due)} to {_day(plan.last_due)}\n1. Confirm\n{BACK}"
    )


def enter_pin_to(purpose: str, amount_minor: int) -> str:
    return f"Enter your Mkopo PIN to {purpose} {kes(amount_minor)}:\n{BACK}"


@dataclass(frozen=True, slots=True)
class PayTo:
    """Where a loan is repaid by paybill: the fund's paybill and the loan's account number."""

    paybill: str
    account: str


def borrowed_instalments(
    cash_minor: int, plan: Instalments, pay_to: PayTo, wallet: str = "M-Pesa"
) -> str:
    return (
        f"Done. {kes(cash_minor)} is on its way to your {wallet}. Pay {plan.count} "
        f"{plan.frequency} instalments, the 1st {kes(plan.first_minor)} by "
        f"{_day(plan.first_due)}: paybill {pay_to.paybill}, account {pay_to.account}."
    )


def borrowed(
    cash_minor: int,
    total_due_minor: int,
    due_on: date,
    pay_to: PayTo,
    credit_minor: int = 0,
    wallet: str = "M-Pesa",
) -> str:
    paybill, account = pay_to.paybill, pay_to.account
    done = f"Done. {kes(cash_minor)} is on its way to your {wallet}."
    if credit_minor and not total_due_minor:
        return f"{done} Your credit of {kes(credit_minor)} covers it: nothing to pay."
    pay = f"pay {kes(total_due_minor)} by {_day(due_on)}: paybill {paybill}, account {account}."
    if credit_minor:
        return f"{done} With your credit of {kes(credit_minor)} applied, {pay}"
    return f"{done} {pay[0].upper()}{pay[1:]}"


def frozen(account: str, owed_minor: int) -> str:
    return (
        f"Your account is frozen: loan {account} is in default. Repay {kes(owed_minor)} in "
        f"full to borrow again (2. Repay).\n{BACK}"
    )


NOT_SCORED = (
    f"You have no loan limit yet: we have not scored your account. We will SMS you when your "
    f"limit is set.\n{BACK}"
)
LIMIT_ZERO = f"Your loan limit is KES 0.00 for now, so you cannot borrow.\n{BACK}"


def disbursement_in_flight(wallet: str = "M-Pesa") -> str:
    return (
        f"Your last loan is still on its way to your {wallet}. Check again in a few minutes."
        f"\n{BACK}"
    )


def limit_used(limit_minor: int, owed_minor: int) -> str:
    return (
        f"You have used your limit of {kes(limit_minor)}: you owe {kes(owed_minor)}. Repay to "
        f"borrow again.\n{BACK}"
    )


def refused(detail: str) -> str:
    """A refusal the channel has no text of its own for: the rule's own words."""
    cut = detail[:120].rstrip(".")
    return f"Sorry: {cut}.\n{BACK}"


def pin_locked(until: datetime) -> str:
    when = until.astimezone(EAT)
    return (
        f"Your PIN is locked after too many wrong tries, until {when:%H:%M} on "
        f"{_day(when.date())}. Call Mkopo support to unlock it sooner."
    )


UNAVAILABLE = "Sorry, Mkopo cannot do that right now. Please try again later."
NOT_KENYAN = "Sorry, Mkopo serves Kenyan mobile numbers only."
NOT_YOUR_SESSION = "Sorry, this session belongs to another phone. Please dial again."
SESSION_OVER = "This session has ended. Please dial again."


# -- repaying ----------------------------------------------------------------------------------

NOTHING_TO_REPAY = f"You have no loan to repay.\n{BACK}"


def nothing_owed_yet(wallet: str = "M-Pesa") -> str:
    return f"Your loan is still on its way to your {wallet}: nothing to repay yet.\n{BACK}"


def repay_amount(owed_minor: int, due_on: date | None, most_minor: int) -> str:
    due = f", due {_day(due_on)}" if due_on else ""
    return (
        f"You owe {kes(owed_minor)}{due}.\nEnter amount to pay, KES 1 to "
        f"{_shillings(most_minor)}:\n{BACK}"
    )


def repay_confirm(amount_minor: int, wallet: str = "M-Pesa") -> str:
    return f"Pay {kes(amount_minor)} to Mkopo from your {wallet}?\n1. Yes\n{BACK}"


def stk_coming(amount_minor: int, wallet: str = "M-Pesa") -> str:
    return (
        f"You will get an {wallet} prompt for {kes(amount_minor)}. Enter your {wallet} PIN on "
        "it to pay."
    )


# -- my loan -----------------------------------------------------------------------------------


def no_loan(limit_minor: int) -> str:
    return f"You have no open loan. Your limit is {kes(limit_minor)}.\n{BACK}"


def loan_on_its_way(account: str, principal_minor: int, wallet: str = "M-Pesa") -> str:
    return f"Loan {account}: {kes(principal_minor)} is on its way to your {wallet}.\n{BACK}"


@dataclass(frozen=True, slots=True)
class NextInstalment:
    amount_minor: int
    """What it still asks (principal, interest, penalty)."""
    due_on: date


def loan(
    account: str,
    in_default: bool,
    owed_minor: int,
    principal_minor: int,
    charges_minor: int,
    due: date | NextInstalment | None,
) -> str:
    """My loan: a bullet loan's due date, or an instalment loan's next instalment."""
    status = "in default" if in_default else "active"
    if isinstance(due, NextInstalment):
        due_line = f"\nNext: {kes(due.amount_minor)} on {_day(due.due_on)}"
    else:
        due_line = f"\nDue date: {_day(due)}" if due else ""
    return (
        f"Loan {account} ({status})\nOwed: {kes(owed_minor)}\nPrincipal: {kes(principal_minor)}"
        f"\nInterest: {kes(charges_minor)}{due_line}\n{BACK}"
    )


# -- savings -----------------------------------------------------------------------------------


def savings(long_minor: int, short_minor: int, held: bool) -> str:
    note = " (held)" if held else ""
    return (
        f"Savings\nLong-term: {kes(long_minor)}\nShort-term: {kes(short_minor)}{note}"
        f"\n1. Withdraw short-term\n{BACK}"
    )


WITHDRAW_AFTER_LOAN = f"You can withdraw short-term savings once your loan is repaid.\n{BACK}"
SAVINGS_HELD = f"Your short-term savings are held while your loan is in default.\n{BACK}"


def too_little_to_withdraw(least_minor: int) -> str:
    return f"You need at least {kes(least_minor)} of short-term savings to withdraw.\n{BACK}"


def withdraw_amount(least_minor: int, most_minor: int) -> str:
    return f"Withdraw up to {kes(most_minor)}.\n{amount_range(least_minor, most_minor)}\n{BACK}"


def withdrawn(amount_minor: int, wallet: str = "M-Pesa") -> str:
    return f"{kes(amount_minor)} from your savings is on its way to your {wallet}."


# -- my account --------------------------------------------------------------------------------


def account(limit_minor: int, band: str | None) -> str:
    shown = band or "not scored yet"
    return (
        f"My account\nLimit: {kes(limit_minor)}\nBand: {shown}\n1. Change PIN\n2. Opt out\n"
        f"3. Why this limit\n4. Dispute credit record\n{BACK}"
    )


# -- disputes of credit bureau records ---------------------------------------------------------

NO_REPORTED_LOAN = f"You have no loan the credit bureaus were told about.\n{BACK}"
DISPUTE_REASONS = (
    "Why is the record wrong?\n1. I have paid\n2. Not my loan\n3. Wrong amount\n4. Other"
)
DISPUTE_OPEN = f"A dispute of this loan is open already. We will reply by SMS.\n{BACK}"


def dispute_loans(lines: list[str]) -> str:
    """Up to three loans, newest first: ``MK0000012345 (repaid)``."""
    numbered = "".join(f"{n}. {line}\n" for n, line in enumerate(lines, start=1))
    return f"Which loan's credit record?\n{numbered}{BACK}"


def dispute_recorded(account_number: str, respond_by: date) -> str:
    return (
        f"We have your dispute of loan {account_number}. The bureaus see it marked disputed; "
        f"we will reply by SMS by {respond_by.strftime('%d-%m-%Y')}."
    )


WHY_LIMIT_CHARS = 148
"""The reasons screen's budget: 182 less "CON " and the longest hint above it."""


def why_limit(limit_minor: int, band: str | None, reasons: list[str]) -> str:
    """The latest decision's reasons, worst first, as many as fit (Data Protection Act s.35)."""
    text = f"Limit {kes(limit_minor)}, band {band or 'none'}\n"
    if not reasons:
        return f"{text}Nothing lowered your score.\n{BACK}"
    text += "What lowers it:\n"
    for reason in reasons:
        line = f"-{reason[:60]}\n"
        if len(text) + len(line) + len(BACK) > WHY_LIMIT_CHARS:
            break
        text += line
    return text + BACK


ENTER_CURRENT_PIN = f"Enter your current PIN:\n{BACK}"
ENTER_NEW_PIN = f"Enter a new 4-digit PIN:\n{BACK}"
ENTER_NEW_PIN_AGAIN = f"Enter the new PIN again:\n{BACK}"
PIN_CHANGED = "Your Mkopo PIN has been changed."
OPT_OUT_BLOCKED = f"Repay your loan before you opt out.\n{BACK}"
ENTER_PIN_TO_OPT_OUT = f"Enter your Mkopo PIN to opt out:\n{BACK}"


def opt_out_confirm(savings_minor: int) -> str:
    return (
        f"Opt out of Mkopo? You keep your savings of {kes(savings_minor)} and can rejoin "
        f"later.\n1. Yes, opt out\n{BACK}"
    )


def opted_out(savings_minor: int) -> str:
    return (
        f"You have left Mkopo. Your savings of {kes(savings_minor)} stay yours. Dial again "
        "to rejoin."
    )


# -- SMS after a registration (up to 480 characters) -------------------------------------------

SMS_REGISTRATION_REFUSED = {
    "identity_not_found": "Mkopo: the national ID you gave is not in the population register. "
    "Check the number and dial again to register.",
    "invalid_national_id": "Mkopo: the national ID you gave is not valid. Dial again to register.",
    "implausible_birth_date": "Mkopo: the register's date of birth for your ID cannot be "
    "right, so we cannot register you. Please have it corrected at a Huduma centre.",
    "underage": "Mkopo: you must be 18 or older to join. We could not register you.",
    "sim_not_on_network": "Mkopo: your number is not active on the network, so we cannot "
    "register you.",
    "no_mobile_money_account": "Mkopo: your number has no mobile money account. Register for "
    "M-Pesa or Airtel Money, then dial again.",
    "network_not_served": "Mkopo: we pay and collect through M-Pesa and Airtel Money only, so "
    "we cannot register a number on another network.",
    "sim_too_new": "Mkopo: your SIM must be active for 90 days or more before you can join. "
    "Please try again later.",
    "national_id_registered_elsewhere": "Mkopo: your ID is registered on another number. "
    "Opt out on that number first, then dial again.",
    "phone_registered_to_another_id": "Mkopo: this number is registered to another national "
    "ID. Call Mkopo support.",
}
SMS_REGISTRATION_REFUSED_OTHER = "Mkopo: we could not register you. Call Mkopo support."
SMS_REGISTRATION_FAILED = (
    "Mkopo: we could not check your details right now. Please dial again later to register."
)
