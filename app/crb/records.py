"""Where each column of the consumer and account files comes from: the mapping table.

``CONSUMER_SOURCES`` and ``ACCOUNT_SOURCES`` have one entry per column of the template
(``integrations.crb.template``), in its order, each a function of the facts gathered for one
borrower or one loan (``app.crb.book``). docs/crb.md gives every column's source in words.
Pure: no database, no keys (the facts arrive decrypted).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from integrations.crb.template import (
    ACCOUNT_FIELDS,
    CONSUMER_FIELDS,
    AccountStatus,
)
from integrations.crb.validation import LISTING_THRESHOLD_MINOR

LENDER_CODE = "MKOPO"
PRUDENTIAL_BANDS = ((30, "NORMAL"), (90, "WATCH"), (180, "SUBSTANDARD"), (365, "DOUBTFUL"))
"""CBK prudential classification by days past due; over 365 is LOSS."""


@dataclass(frozen=True, slots=True)
class ConsumerFacts:
    borrower_id: int
    national_id: str
    full_name: str
    date_of_birth: date
    phone: str
    """The borrower's own 12-digit number, decrypted from their row."""
    as_of: date


@dataclass(frozen=True, slots=True)
class AccountFacts:
    borrower_id: int
    national_id: str
    account_number: str
    product_code: str
    opened_on: date
    principal_minor: int
    instalment_minor: int
    frequency: str
    """ONCE (a bullet loan) or the schedule's frequency."""
    balance_minor: int
    arrears_minor: int
    instalments_in_arrears: int
    days_in_arrears: int
    closed_on: date | None
    """Repaid: the day it was; written off: the day of the write-off (the debt is still owed)."""
    written_off: bool
    last_paid_on: date | None
    listed_on: date | None
    """When the loan was negatively listed (``crb_listings``), if it was."""
    listing_active: bool
    """Listed and neither cleared nor delisted."""
    disputed: bool
    """The borrower disputes this record and staff have not resolved it yet."""
    as_of: date


def _yyyymmdd(day: date | None) -> str:
    return "" if day is None else day.strftime("%Y%m%d")


def _amount(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _names(full_name: str) -> tuple[str, str, str]:
    """(surname, forename, other names): the register's full name is "forename ... surname"."""
    parts = full_name.split()
    if len(parts) == 1:
        return parts[0], parts[0], ""
    return parts[-1], parts[0], " ".join(parts[1:-1])


def account_status(facts: AccountFacts) -> AccountStatus:
    """Negative only while the listing stands, or once written off, and the loan owes more than
    KES 1,000 (a write-off at or under it is reported in arrears: never negative)."""
    if facts.written_off:
        if facts.balance_minor > LISTING_THRESHOLD_MINOR:
            return AccountStatus.WRITTEN_OFF
        return AccountStatus.ARREARS
    if facts.closed_on is not None:
        return AccountStatus.CLEARED if facts.listed_on is not None else AccountStatus.CLOSED
    if facts.listing_active and facts.balance_minor > LISTING_THRESHOLD_MINOR:
        return AccountStatus.LISTED
    return AccountStatus.ARREARS if facts.days_in_arrears > 0 else AccountStatus.CURRENT


def status_date(facts: AccountFacts) -> date:
    status = account_status(facts)
    if status in (AccountStatus.CLOSED, AccountStatus.CLEARED, AccountStatus.WRITTEN_OFF):
        assert facts.closed_on is not None
        return facts.closed_on
    if status is AccountStatus.LISTED:
        assert facts.listed_on is not None
        return facts.listed_on
    if status is AccountStatus.ARREARS:
        return date.fromordinal(facts.as_of.toordinal() - facts.days_in_arrears)
    return facts.opened_on


def prudential_class(days_in_arrears: int) -> str:
    for most, name in PRUDENTIAL_BANDS:
        if days_in_arrears <= most:
            return name
    return "LOSS"


Source = Callable[[ConsumerFacts], str]
AccountSource = Callable[[AccountFacts], str]

CONSUMER_SOURCES: Mapping[str, Source] = {
    "lender_code": lambda f: LENDER_CODE,
    "customer_number": lambda f: str(f.borrower_id),
    "id_type": lambda f: "NATIONAL_ID",
    "id_number": lambda f: f.national_id,
    "surname": lambda f: _names(f.full_name)[0],
    "forename": lambda f: _names(f.full_name)[1],
    "other_names": lambda f: _names(f.full_name)[2],
    "date_of_birth": lambda f: _yyyymmdd(f.date_of_birth),
    "gender": lambda f: "",
    "nationality": lambda f: "KE",
    "mobile_number": lambda f: f.phone,
    "file_date": lambda f: _yyyymmdd(f.as_of),
}

ACCOUNT_SOURCES: Mapping[str, AccountSource] = {
    "lender_code": lambda f: LENDER_CODE,
    "customer_number": lambda f: str(f.borrower_id),
    "id_number": lambda f: f.national_id,
    "account_number": lambda f: f.account_number,
    "product_type": lambda f: f.product_code.upper(),
    "date_opened": lambda f: _yyyymmdd(f.opened_on),
    "original_amount": lambda f: _amount(f.principal_minor),
    "currency": lambda f: "KES",
    "instalment_amount": lambda f: _amount(f.instalment_minor),
    "instalment_frequency": lambda f: f.frequency,
    "current_balance": lambda f: _amount(f.balance_minor),
    "amount_in_arrears": lambda f: _amount(f.arrears_minor),
    "instalments_in_arrears": lambda f: str(f.instalments_in_arrears),
    "days_in_arrears": lambda f: str(f.days_in_arrears),
    "account_status": lambda f: account_status(f).value,
    "account_status_date": lambda f: _yyyymmdd(status_date(f)),
    "date_last_payment": lambda f: _yyyymmdd(f.last_paid_on),
    "date_closed": lambda f: "" if f.written_off else _yyyymmdd(f.closed_on),
    "prudential_class": lambda f: prudential_class(f.days_in_arrears),
    "dispute_flag": lambda f: "Y" if f.disputed else "N",
    "file_date": lambda f: _yyyymmdd(f.as_of),
}

assert list(CONSUMER_SOURCES) == [s.name for s in CONSUMER_FIELDS], "consumer mapping != template"
assert list(ACCOUNT_SOURCES) == [s.name for s in ACCOUNT_FIELDS], "account mapping != template"


def consumer_record(facts: ConsumerFacts) -> list[str]:
    return [source(facts) for source in CONSUMER_SOURCES.values()]


def account_record(facts: AccountFacts) -> list[str]:
    return [source(facts) for source in ACCOUNT_SOURCES.values()]
