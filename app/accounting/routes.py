"""Read-only ledger API for auditors and administrators (``/audit/v1/ledger``)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.accounting.keys import trusted_public_keys
from app.accounting.schemas import (
    AccountOut,
    AccountPage,
    BalanceOut,
    EntryOut,
    StatementLineOut,
    StatementOut,
    TrialBalanceLineOut,
    TrialBalanceOut,
    VerifyOut,
)
from app.api.deps import AppClock, AppSettings, ReadSession
from app.api.params import IsoDateTime
from app.api.params import RecordId as Id
from app.api.problems import ProblemError
from app.staff.auth import require_roles
from app.staff.models import Role
from ledger import Ledger
from ledger.queries import MAX_PAGE

router = APIRouter(
    prefix="/audit/v1/ledger",
    tags=["ledger (read-only)"],
    dependencies=[Depends(require_roles(Role.AUDITOR, Role.ADMIN))],
)

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
AsOf = Annotated[IsoDateTime | None, Query(description="Value date (ISO 8601 with zone)")]


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise ProblemError(400, "naive_datetime", "Give times with a zone, e.g. 2026-03-02T07:00Z")
    return moment


def encode_cursor(cursor: tuple[datetime, int] | None) -> str | None:
    if cursor is None:
        return None
    raw = f"{cursor[0].isoformat()}|{cursor[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str | None) -> tuple[datetime, int] | None:
    if value is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        moment, posting_id = raw.split("|")
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            raise ValueError("naive cursor")
        return parsed, int(posting_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ProblemError(400, "invalid_cursor", "The cursor is not one this API gave") from exc


@router.get("/accounts", response_model=AccountPage)
def list_accounts(
    session: ReadSession,
    clock: AppClock,
    owner_ref: Annotated[str | None, Query(max_length=128)] = None,
    after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Limit = 100,
) -> AccountPage:
    items = Ledger(session, clock).accounts(owner_ref, after_id, limit)
    return AccountPage(
        items=[AccountOut.of(a) for a in items],
        next_after_id=items[-1].id if len(items) == limit else None,
    )


@router.get("/accounts/{account_id}", response_model=AccountOut)
def get_account(account_id: Id, session: ReadSession, clock: AppClock) -> AccountOut:
    return AccountOut.of(Ledger(session, clock).account(account_id))


@router.get("/accounts/{account_id}/balance", response_model=BalanceOut)
def get_balance(
    account_id: Id, session: ReadSession, clock: AppClock, as_of: AsOf = None
) -> BalanceOut:
    moment = _aware(as_of)
    return BalanceOut.of(Ledger(session, clock).balance(account_id, moment), moment)


@router.get("/accounts/{account_id}/statement", response_model=StatementOut)
def get_statement(
    account_id: Id,
    session: ReadSession,
    clock: AppClock,
    after: Annotated[str | None, Query(max_length=200)] = None,
    until: AsOf = None,
    limit: Limit = 100,
) -> StatementOut:
    page = Ledger(session, clock).statement(account_id, decode_cursor(after), limit, _aware(until))
    return StatementOut(
        account=AccountOut.of(page.account),
        opening_balance_minor=page.opening_balance_minor,
        lines=[StatementLineOut.of(line) for line in page.lines],
        next_cursor=encode_cursor(page.next_cursor),
    )


@router.get("/entries/{entry_id}", response_model=EntryOut)
def get_entry(entry_id: Id, session: ReadSession, clock: AppClock) -> EntryOut:
    return EntryOut.of(Ledger(session, clock).entry(entry_id))


@router.get("/entries", response_model=list[EntryOut])
def find_entries(
    session: ReadSession,
    clock: AppClock,
    reference: Annotated[str | None, Query(max_length=128)] = None,
    metadata_key: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")] = None,
    metadata_value: Annotated[str | None, Query(max_length=256)] = None,
    limit: Limit = 100,
) -> list[EntryOut]:
    if reference is None and metadata_key is None:
        raise ProblemError(400, "filter_required", "Give a reference or a metadata_key")
    if (metadata_key is None) != (metadata_value is None):
        raise ProblemError(400, "filter_incomplete", "metadata_key and metadata_value go together")
    metadata = {metadata_key: metadata_value} if metadata_key and metadata_value else None
    entries = Ledger(session, clock).find_entries(reference, metadata, limit)
    return [EntryOut.of(e) for e in entries]


@router.get("/trial-balance", response_model=TrialBalanceOut)
def get_trial_balance(session: ReadSession, clock: AppClock, as_of: AsOf = None) -> TrialBalanceOut:
    tb = Ledger(session, clock).trial_balance(_aware(as_of))
    return TrialBalanceOut(
        as_of=tb.as_of,
        lines=[TrialBalanceLineOut.of(x) for x in tb.lines],
        net_by_currency=tb.net_by_currency,
        balanced=all(v == 0 for v in tb.net_by_currency.values()),
    )


@router.get(
    "/verify",
    response_model=VerifyOut,
    summary="Recompute every seal block, entry hash and signature, and every account's totals",
)
def verify_ledger(session: ReadSession, clock: AppClock, settings: AppSettings) -> VerifyOut:
    """200 either way: read ``ok``, ``first_break`` and ``totals_mismatches`` (each account
    whose stored totals are not the sums of its postings, by code)."""
    return VerifyOut.of(Ledger(session, clock).verify(trusted_public_keys(settings)))
