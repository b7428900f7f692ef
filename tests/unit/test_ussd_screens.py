"""Every USSD screen fits a handset: plain ASCII, at most 182 characters with its CON/END
prefix and the longest hint, for the largest amounts the fund allows."""

from __future__ import annotations

import inspect
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from app.lending.quotes import Quote
from app.ussd import screens
from app.ussd.gateway import MAX_REPLY_CHARS, Reply, fit_reply

LIMIT = 50_000_00  # the product maximum: no loan or limit is larger
OWED = 999_999_99  # KES 999,999.99: more than any debt (interest never exceeds the principal)
BIG = 9_999_999_99  # KES 9,999,999.99: more than any savings balance
LONG_DAY = date(2026, 12, 31)
ACCOUNT = "MK0000000001"  # 12 characters, the longest account number
PAY_TO = screens.PayTo("9999999", ACCOUNT)
PLAN = screens.Instalments(360, "fortnightly", OWED, LONG_DAY, LONG_DAY)
"""The longest schedule in brief: 360 fortnightly instalments, the largest amount."""


def offer(
    amount_minor: int, savings_minor: int, interest_minor: int, total_due_minor: int, due_on: date
) -> Quote:
    """A quote with what the disclosure shows (the cash is the amount less the savings)."""
    return Quote(
        product_code="personal",
        amount_minor=amount_minor,
        cash_minor=amount_minor - savings_minor,
        savings_minor=savings_minor,
        savings_long_minor=savings_minor,
        savings_short_minor=0,
        interest_to_due_minor=interest_minor,
        total_due_minor=total_due_minor,
        due_on=due_on,
        regular_rate_bp=0,
        penalty_rate_bp=0,
    )


HINTS = [
    screens.CHOOSE_LISTED,
    screens.DIGITS_ONLY,
    screens.PIN_FORMAT,
    screens.PIN_GUESSABLE,
    screens.PINS_DIFFER,
    screens.NATIONAL_ID_FORMAT,
    screens.GO_BACK,
    screens.wrong_pin(4),
    screens.amount_range(10_00, BIG),
]
LONGEST_HINT = max(HINTS, key=len)

# Screens that wait for input (CON): they may be shown again under a hint.
ASKING = {
    "welcome": screens.WELCOME,
    "welcome_back": screens.WELCOME_BACK,
    "national_id": screens.ENTER_NATIONAL_ID,
    "terms": screens.terms(100_00, 1_000_000_00, 365, 9_999, 9_999),
    "choose_pin": screens.CHOOSE_PIN,
    "choose_pin_again": screens.CHOOSE_PIN_AGAIN,
    "main_menu": screens.MAIN_MENU,
    "borrow_amount": screens.borrow_amount(LIMIT, OWED, 100_00, LIMIT),
    "borrow_quote": screens.borrow_quote(offer(LIMIT, 2_500_00, OWED, OWED, LONG_DAY)),
    "borrow_quote_credit": screens.borrow_quote(  # the credit applied is at most the loan
        replace(offer(LIMIT, 2_500_00, OWED, OWED, LONG_DAY), credit_applied_minor=LIMIT)
    ),
    "borrow_product": screens.borrow_product("G" * 200),
    "instalment_quote": screens.instalment_quote(
        offer(LIMIT, 2_500_00, OWED, OWED, LONG_DAY), PLAN
    ),
    "instalment_quote_credit": screens.instalment_quote(
        replace(offer(LIMIT, 2_500_00, OWED, OWED, LONG_DAY), credit_applied_minor=LIMIT), PLAN
    ),
    "pin_to_borrow": screens.enter_pin_to("borrow", LIMIT),
    "pin_to_withdraw": screens.enter_pin_to("withdraw", BIG),
    "frozen": screens.frozen(ACCOUNT, OWED),
    "not_scored": screens.NOT_SCORED,
    "limit_zero": screens.LIMIT_ZERO,
    "in_flight": screens.disbursement_in_flight("Airtel Money"),
    "limit_used": screens.limit_used(LIMIT, OWED),
    "refused": screens.refused("x" * 500),
    "nothing_to_repay": screens.NOTHING_TO_REPAY,
    "nothing_owed_yet": screens.nothing_owed_yet("Airtel Money"),
    "repay_amount": screens.repay_amount(OWED, LONG_DAY, OWED),
    "repay_confirm": screens.repay_confirm(OWED, "Airtel Money"),
    "no_loan": screens.no_loan(LIMIT),
    "loan_on_its_way": screens.loan_on_its_way(ACCOUNT, LIMIT, "Airtel Money"),
    "loan": screens.loan(ACCOUNT, True, OWED, LIMIT, OWED, LONG_DAY),
    "loan_next_instalment": screens.loan(
        ACCOUNT, True, OWED, LIMIT, OWED, screens.NextInstalment(OWED, LONG_DAY)
    ),
    "savings": screens.savings(BIG, BIG, True),
    "withdraw_after_loan": screens.WITHDRAW_AFTER_LOAN,
    "savings_held": screens.SAVINGS_HELD,
    "too_little": screens.too_little_to_withdraw(BIG),
    "withdraw_amount": screens.withdraw_amount(10_00, BIG),
    "account": screens.account(LIMIT, "not scored yet"),
    "why_limit": screens.why_limit(LIMIT, "C3", [f"{'x' * 40} {n}" for n in range(4)]),
    "why_limit_thin": screens.why_limit(LIMIT, None, ["y" * 80]),
    "why_limit_none": screens.why_limit(LIMIT, "A1", []),
    "current_pin": screens.ENTER_CURRENT_PIN,
    "new_pin": screens.ENTER_NEW_PIN,
    "new_pin_again": screens.ENTER_NEW_PIN_AGAIN,
    "opt_out_blocked": screens.OPT_OUT_BLOCKED,
    "opt_out_confirm": screens.opt_out_confirm(BIG),
    "pin_to_opt_out": screens.ENTER_PIN_TO_OPT_OUT,
    "dispute_loans": screens.dispute_loans(["MK0000012345 (written_off)"] * 3),
    "dispute_reasons": screens.DISPUTE_REASONS,
    "no_reported_loan": screens.NO_REPORTED_LOAN,
    "dispute_open": screens.DISPUTE_OPEN,
}
# Screens that close the session (END).
CLOSING = {
    "registration_waiting": screens.REGISTRATION_WAITING,
    "registration_declined": screens.REGISTRATION_DECLINED,
    "registration_received": screens.REGISTRATION_RECEIVED,
    "borrowed": screens.borrowed(LIMIT, OWED, LONG_DAY, PAY_TO, 0, "Airtel Money"),
    "borrowed_credit": screens.borrowed(LIMIT, OWED, LONG_DAY, PAY_TO, LIMIT),
    "borrowed_covered": screens.borrowed(LIMIT, 0, LONG_DAY, PAY_TO, LIMIT),
    "borrowed_instalments": screens.borrowed_instalments(LIMIT, PLAN, PAY_TO, "Airtel Money"),
    "pin_locked": screens.pin_locked(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)),
    "unavailable": screens.UNAVAILABLE,
    "not_kenyan": screens.NOT_KENYAN,
    "not_your_session": screens.NOT_YOUR_SESSION,
    "session_over": screens.SESSION_OVER,
    "stk_coming": screens.stk_coming(OWED, "Airtel Money"),
    "withdrawn": screens.withdrawn(BIG, "Airtel Money"),
    "pin_changed": screens.PIN_CHANGED,
    "opted_out": screens.opted_out(BIG),
    "dispute_recorded": screens.dispute_recorded("MK0000012345", LONG_DAY),
}


@pytest.mark.parametrize("name", sorted(ASKING))
def test_a_screen_waiting_for_input_fits_under_the_longest_hint(name: str) -> None:
    reply = Reply(screens.with_hint(LONGEST_HINT, ASKING[name]), end=False).render()
    raw = "CON " + screens.with_hint(LONGEST_HINT, ASKING[name])
    assert raw.isascii()
    assert len(raw) <= MAX_REPLY_CHARS, (len(raw), raw)
    assert reply == raw  # the safety net did not have to cut it


@pytest.mark.parametrize("name", sorted(CLOSING))
def test_a_closing_screen_fits(name: str) -> None:
    raw = "END " + CLOSING[name]
    assert raw.isascii()
    assert len(raw) <= MAX_REPLY_CHARS, (len(raw), raw)


def test_every_screen_of_the_module_is_covered_here() -> None:
    """A new screen must be added above, so its length is tested."""
    public = {
        name
        for name, value in vars(screens).items()
        if not name.startswith("_")
        and (isinstance(value, str) or inspect.isfunction(value))
        and getattr(value, "__module__", screens.__name__) == screens.__name__
    }
    helpers = {"with_hint", "wrong_pin", "amount_range", "BACK"}
    sms = {"SMS_REGISTRATION_REFUSED_OTHER", "SMS_REGISTRATION_FAILED"}
    hints = {"CHOOSE_LISTED", "DIGITS_ONLY", "PIN_FORMAT", "PIN_GUESSABLE", "PINS_DIFFER"}
    hints |= {"NATIONAL_ID_FORMAT", "GO_BACK"}
    covered = {
        "WELCOME", "WELCOME_BACK", "ENTER_NATIONAL_ID", "terms", "CHOOSE_PIN",
        "CHOOSE_PIN_AGAIN", "MAIN_MENU", "borrow_amount", "borrow_quote", "enter_pin_to",
        "frozen", "NOT_SCORED", "LIMIT_ZERO", "disbursement_in_flight", "limit_used", "refused",
        "NOTHING_TO_REPAY", "nothing_owed_yet", "repay_amount", "repay_confirm", "no_loan",
        "loan_on_its_way", "loan", "savings", "WITHDRAW_AFTER_LOAN", "SAVINGS_HELD",
        "too_little_to_withdraw", "withdraw_amount", "account", "why_limit", "ENTER_CURRENT_PIN",
        "ENTER_NEW_PIN", "ENTER_NEW_PIN_AGAIN", "OPT_OUT_BLOCKED", "opt_out_confirm",
        "ENTER_PIN_TO_OPT_OUT", "REGISTRATION_WAITING", "REGISTRATION_DECLINED",
        "REGISTRATION_RECEIVED", "borrowed", "pin_locked", "UNAVAILABLE", "NOT_KENYAN",
        "NOT_YOUR_SESSION", "SESSION_OVER", "stk_coming", "withdrawn", "PIN_CHANGED",
        "opted_out", "dispute_loans", "DISPUTE_REASONS", "NO_REPORTED_LOAN", "DISPUTE_OPEN",
        "dispute_recorded", "borrow_product", "instalment_quote", "borrowed_instalments",
    }  # fmt: skip
    assert public - helpers - sms - hints == covered


def test_sms_texts_are_ascii_and_fit_three_messages() -> None:
    texts = [
        *screens.SMS_REGISTRATION_REFUSED.values(),
        screens.SMS_REGISTRATION_REFUSED_OTHER,
        screens.SMS_REGISTRATION_FAILED,
    ]
    for text in texts:
        assert text.isascii()
        assert len(text) <= 480


def test_amounts_are_written_kes_with_thousands_and_cents() -> None:
    quote = screens.borrow_quote(offer(10_000_00, 500_00, 30_68, 10_030_68, date(2026, 3, 16)))
    assert quote == (
        "Borrow KES 10,000.00\nSaved: KES 500.00\nYou get: KES 9,500.00\nInterest: KES 30.68\n"
        "Total due: KES 10,030.68\nDue: 16-03-2026\n1. Confirm\n0. Back"
    )


def test_the_safety_net_makes_any_reply_ascii_and_short() -> None:
    assert fit_reply("CON Karibu \u2013 caf\u00e9") == "CON Karibu ? caf?"
    assert len(fit_reply("END " + "x" * 500)) == MAX_REPLY_CHARS


def test_an_instalment_quote_shows_the_schedule_in_brief() -> None:
    plan = screens.Instalments(3, "monthly", 4_047_14, date(2026, 4, 2), date(2026, 6, 2))
    quote = screens.instalment_quote(offer(12_000_00, 600_00, 141_43, 12_141_43, LONG_DAY), plan)
    assert quote == (
        "Borrow KES 12,000.00\nGet KES 11,400.00\nInterest KES 141.43\n"
        "3 monthly, 1st KES 4,047.14\nFrom 02-04-2026 to 02-06-2026\n1. Confirm\n0. Back"
    )
