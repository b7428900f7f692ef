"""USSD states before the main menu: the welcome, and registration (national ID, terms, PIN
twice), plus the main menu itself.

Registration asks no provider inside a hop: the ID is only checked for shape, kept
encrypted in the session, and the PIN hashed (outside the transaction); the last hop stores a
pending registration that a worker completes (``app.ussd.registration``).
"""

from __future__ import annotations

from app.borrowers.service import prepare_pin
from app.errors import DomainError
from app.lending.origination import product_terms
from app.onboarding.service import TERMS_VERSION
from app.security.pins import GuessablePin, WeakPin, validate_new_pin
from app.ussd import screens
from app.ussd.registration import (
    CollectedRegistration,
    pending_registration,
    start_registration,
)
from app.ussd.steps import (
    HOME,
    PRODUCT_CODE,
    Ctx,
    Outcome,
    Screen,
    Slow,
    add_state,
    ask,
    end,
    pin_shaped,
    show,
)
from integrations.identity.register import InvalidNationalId, normalise_national_id

MAIN = "main"
WELCOME = "welcome"
MAIN_CHOICES = {
    "1": "borrow_product",
    "2": "repay_amount",
    "3": "loan",
    "4": "savings",
    "5": "account",
    "6": "groups",
}


def _show_home(ctx: Ctx, hint: str) -> Screen:
    return show(ctx, MAIN if ctx.member is not None else WELCOME, hint)


def _answer_home(ctx: Ctx, _entry: str) -> Outcome:
    return _show_home(ctx, "")


def _show_main(ctx: Ctx, hint: str) -> Screen:
    return ask(MAIN, screens.MAIN_MENU, hint)


def _answer_main(ctx: Ctx, entry: str) -> Outcome:
    chosen = MAIN_CHOICES.get(entry)
    return show(ctx, chosen) if chosen else _show_main(ctx, screens.CHOOSE_LISTED)


def _show_welcome(ctx: Ctx, hint: str) -> Screen:
    if ctx.member is not None:
        return _show_main(ctx, hint)
    if pending_registration(ctx.session, ctx.phone_index) is not None:
        return end(screens.REGISTRATION_WAITING)
    text = screens.WELCOME if ctx.borrower is None else screens.WELCOME_BACK
    return ask(WELCOME, text, hint)


def _answer_welcome(ctx: Ctx, entry: str) -> Outcome:
    if entry == "1":
        return _show_national_id(ctx, "")
    return _show_welcome(ctx, screens.CHOOSE_LISTED)


def _show_national_id(ctx: Ctx, hint: str) -> Screen:
    return ask("reg_id", screens.ENTER_NATIONAL_ID, hint)


def _answer_national_id(ctx: Ctx, entry: str) -> Outcome:
    try:
        national_id = normalise_national_id(entry)
    except InvalidNationalId:
        return _show_national_id(ctx, screens.NATIONAL_ID_FORMAT)
    ctx.data["national_id_enc"] = ctx.env.cipher.encrypt(national_id)
    return _show_terms(ctx, "")


def _show_terms(ctx: Ctx, hint: str) -> Screen:
    try:
        terms = product_terms(ctx.session, PRODUCT_CODE)
    except DomainError:
        return end(screens.UNAVAILABLE)
    text = screens.terms(
        terms.min_amount_minor,
        terms.max_amount_minor,
        terms.term_days,
        terms.regular_rate_bp,
        terms.savings_bp,
    )
    return ask("reg_terms", text, hint)


def _answer_terms(ctx: Ctx, entry: str) -> Outcome:
    if entry == "1":
        ctx.data["terms_version"] = TERMS_VERSION
        return _show_pin(ctx, "")
    if entry == "2":
        return end(screens.REGISTRATION_DECLINED)
    return _show_terms(ctx, screens.CHOOSE_LISTED)


def _show_pin(ctx: Ctx, hint: str) -> Screen:
    return ask("reg_pin", screens.CHOOSE_PIN, hint)


def weak_pin_hint(pin: str) -> str | None:
    try:
        validate_new_pin(pin)
    except GuessablePin:
        return screens.PIN_GUESSABLE
    except WeakPin:
        return screens.PIN_FORMAT
    return None


def _answer_pin(ctx: Ctx, entry: str) -> Outcome:
    hint = weak_pin_hint(entry)
    if hint is not None:
        return _show_pin(ctx, hint)

    def chosen(ctx: Ctx, pin_hash: str) -> Screen:
        ctx.data["pin_hash"] = pin_hash
        return _show_pin_again(ctx, "")

    return Slow(lambda: prepare_pin(ctx.env.pins, entry), chosen)


def _show_pin_again(ctx: Ctx, hint: str) -> Screen:
    return ask("reg_pin_again", screens.CHOOSE_PIN_AGAIN, hint)


def _answer_pin_again(ctx: Ctx, entry: str) -> Outcome:
    pin_hash = str(ctx.data.get("pin_hash", ""))
    if "national_id_enc" not in ctx.data or "terms_version" not in ctx.data:
        return _show_national_id(ctx, "")
    if not pin_shaped(entry) or not pin_hash:
        return _show_pin(ctx, screens.PINS_DIFFER)

    def confirmed(ctx: Ctx, same: bool) -> Screen:
        if not same:
            return _show_pin(ctx, screens.PINS_DIFFER)
        collected = CollectedRegistration(
            ctx.session_id,
            ctx.msisdn,
            ctx.phone_index,
            str(ctx.data["national_id_enc"]),
            pin_hash,
            str(ctx.data["terms_version"]),
        )
        registration_id = start_registration(ctx.session, ctx.env.cipher, collected, ctx.now)
        if registration_id is None:  # another session registered this phone meanwhile
            return end(screens.REGISTRATION_WAITING)
        return end(screens.REGISTRATION_RECEIVED)

    return Slow(lambda: ctx.env.pins.verify_pin(entry, pin_hash), confirmed)


add_state(HOME, _show_home, _answer_home, back=HOME, members_only=False)
add_state(MAIN, _show_main, _answer_main, back=MAIN)
add_state(WELCOME, _show_welcome, _answer_welcome, back=WELCOME, members_only=False)
add_state("reg_id", _show_national_id, _answer_national_id, back=WELCOME, members_only=False)
add_state("reg_terms", _show_terms, _answer_terms, back="reg_id", members_only=False)
add_state("reg_pin", _show_pin, _answer_pin, back="reg_terms", members_only=False)
add_state("reg_pin_again", _show_pin_again, _answer_pin_again, back="reg_pin", members_only=False)
