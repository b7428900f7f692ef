"""Opening, reading and closing accounts.

An account's identity (code, type, currency, constraint flags) never changes once opened;
only its balance columns (moved by postings) and ``closed_at`` do.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger.errors import (
    AccountClosed,
    AccountNotEmpty,
    DuplicateAccountCode,
    InvalidEntry,
    UnknownAccount,
)
from ledger.schema import Account
from ledger.types import AccountSpec, AccountType, Balance

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.:_-]{0,63}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: int
    code: str
    name: str
    type: AccountType
    currency: str
    owner_ref: str | None
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool
    hot: bool
    created_at: datetime
    closed_at: datetime | None
    balance: Balance


def to_info(row: Any) -> AccountInfo:
    """From an ``Account`` object or a row of the ``ledger_accounts`` table."""
    account_type = AccountType(row.type)
    return AccountInfo(
        id=row.id,
        code=row.code,
        name=row.name,
        type=account_type,
        currency=row.currency,
        owner_ref=row.owner_ref,
        debits_must_not_exceed_credits=row.debits_must_not_exceed_credits,
        credits_must_not_exceed_debits=row.credits_must_not_exceed_debits,
        hot=row.hot,
        created_at=row.created_at,
        closed_at=row.closed_at,
        balance=Balance(
            account_id=row.id,
            currency=row.currency,
            debit_normal=account_type.debit_normal,
            debits_posted_minor=row.debits_posted,
            credits_posted_minor=row.credits_posted,
            debits_pending_minor=row.debits_pending,
            credits_pending_minor=row.credits_pending,
        ),
    )


def validate_spec(spec: AccountSpec) -> None:
    if not _CODE.match(spec.code):
        raise InvalidEntry(f"account code {spec.code!r} must be 1-64 letters, digits or . : _ -")
    if not _CURRENCY.match(spec.currency):
        raise InvalidEntry(f"currency {spec.currency!r} is not an ISO 4217 code")
    if spec.debits_must_not_exceed_credits and spec.credits_must_not_exceed_debits:
        raise InvalidEntry("an account takes at most one balance constraint")
    if not spec.name.strip() or len(spec.name) > 200:
        raise InvalidEntry("account name must be 1-200 characters")


def open_account(session: Session, spec: AccountSpec, now: datetime) -> AccountInfo:
    """Open an account; opening the same spec twice returns the first (same code, same facts)."""
    validate_spec(spec)
    existing = session.scalars(select(Account).where(Account.code == spec.code)).one_or_none()
    if existing is not None:
        same = (
            existing.type == spec.type.value
            and existing.currency == spec.currency
            and existing.owner_ref == spec.owner_ref
            and existing.debits_must_not_exceed_credits == spec.debits_must_not_exceed_credits
            and existing.credits_must_not_exceed_debits == spec.credits_must_not_exceed_debits
        )
        if not same:
            raise DuplicateAccountCode(f"account code {spec.code!r} exists with other facts")
        return to_info(existing)
    row = Account(
        code=spec.code,
        name=spec.name,
        type=spec.type.value,
        currency=spec.currency,
        owner_ref=spec.owner_ref,
        debits_must_not_exceed_credits=spec.debits_must_not_exceed_credits,
        credits_must_not_exceed_debits=spec.credits_must_not_exceed_debits,
        hot=spec.hot,
        debits_posted=0,
        credits_posted=0,
        debits_pending=0,
        credits_pending=0,
        created_at=now,
    )
    with session.begin_nested():
        session.add(row)
    return to_info(row)


def get_account(session: Session, account_id: int) -> AccountInfo:
    row = session.get(Account, account_id, populate_existing=True)
    if row is None:
        raise UnknownAccount(f"no account {account_id}")
    return to_info(row)


def get_account_by_code(session: Session, code: str) -> AccountInfo:
    row = session.scalars(
        select(Account).where(Account.code == code).execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise UnknownAccount(f"no account with code {code!r}")
    return to_info(row)


def account_ids_by_code(session: Session, codes: Collection[str]) -> dict[str, int]:
    """Ids of the accounts with these codes (absent codes are left out), in one query."""
    rows = session.execute(select(Account.code, Account.id).where(Account.code.in_(codes)))
    return {code: account_id for code, account_id in rows if code is not None}


def close_account(session: Session, account_id: int, now: datetime) -> AccountInfo:
    """Close an empty account: no posted balance and no open holds."""
    info = get_account(session, account_id)
    if info.closed_at is not None:
        raise AccountClosed(f"account {account_id} is already closed")
    b = info.balance
    if b.posted_minor != 0 or b.debits_pending_minor or b.credits_pending_minor:
        raise AccountNotEmpty(f"account {account_id} has a balance or open holds")
    # The WHERE re-checks emptiness so a posting racing with the close cannot slip through.
    result = session.execute(
        update(Account)
        .where(
            Account.id == account_id,
            Account.closed_at.is_(None),
            Account.debits_posted == Account.credits_posted,
            Account.debits_pending == 0,
            Account.credits_pending == 0,
        )
        .values(closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise AccountNotEmpty(f"account {account_id} changed while closing")
    return get_account(session, account_id)
