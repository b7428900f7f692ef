"""The rules an entry must satisfy before anything is written, with one clear error each.

Rules: 2..64 postings; every amount a positive integer of minor units; each account known,
open and in the posting's currency; debits equal credits per currency; an idempotency key
of 1..128 printable characters; metadata that is plain JSON of bounded size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from ledger.canonical import canonical_bytes
from ledger.errors import (
    AccountClosed,
    CurrencyMismatch,
    InvalidEntry,
    PostExceedsHold,
    UnbalancedEntry,
    UnknownAccount,
)
from ledger.schema import Account
from ledger.types import (
    MAX_AMOUNT_MINOR,
    MAX_POSTINGS_PER_ENTRY,
    Entry,
    EntryKind,
    EntryRequest,
    PostingLine,
    Side,
)

MAX_KEY_CHARS = 128
MAX_DESCRIPTION_CHARS = 500
MAX_REFERENCE_CHARS = 128
MAX_METADATA_BYTES = 4096


@dataclass(frozen=True, slots=True)
class AccountFacts:
    id: int
    code: str
    currency: str
    hot: bool
    closed: bool


def fetch_facts(conn: Connection, account_ids: Iterable[int]) -> dict[int, AccountFacts]:
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = conn.execute(
        select(Account.id, Account.code, Account.currency, Account.hot, Account.closed_at).where(
            Account.id.in_(ids)
        )
    ).all()
    facts = {
        r.id: AccountFacts(r.id, r.code, r.currency, r.hot, r.closed_at is not None) for r in rows
    }
    missing = [i for i in ids if i not in facts]
    if missing:
        raise UnknownAccount(f"no account {missing[0]}")
    return facts


def check_key(key: str) -> None:
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_CHARS or not key.isprintable():
        raise InvalidEntry(f"idempotency key must be 1-{MAX_KEY_CHARS} printable characters")


def check_shape(lines: Sequence[PostingLine]) -> None:
    if not 2 <= len(lines) <= MAX_POSTINGS_PER_ENTRY:
        raise InvalidEntry(f"an entry needs 2 to {MAX_POSTINGS_PER_ENTRY} postings")
    for line in lines:
        amount = line.amount_minor
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise InvalidEntry("amounts are integers of minor units")
        if not 0 < amount <= MAX_AMOUNT_MINOR:
            raise InvalidEntry(f"amount {amount} must be > 0 and <= {MAX_AMOUNT_MINOR}")
        if not isinstance(line.account_id, int) or isinstance(line.account_id, bool):
            raise InvalidEntry("account ids are integers")
        if line.side not in (Side.DEBIT, Side.CREDIT):
            raise InvalidEntry(f"side {line.side!r} is neither debit nor credit")
    if len({line.side for line in lines}) != 2:
        raise UnbalancedEntry("an entry needs at least one debit and one credit")


def check_lines(facts: dict[int, AccountFacts], lines: Sequence[PostingLine]) -> None:
    """Accounts open, and debits equal credits per currency."""
    net: dict[str, int] = defaultdict(int)
    for line in lines:
        account = facts[line.account_id]
        if account.closed:
            raise AccountClosed(f"account {account.id} ({account.code}) is closed")
        if line.currency is not None and line.currency != account.currency:
            raise CurrencyMismatch(
                f"account {account.id} is in {account.currency}, not {line.currency}"
            )
        net[account.currency] += (
            line.amount_minor if line.side == Side.DEBIT else -line.amount_minor
        )
    unbalanced = sorted(c for c, total in net.items() if total)
    if unbalanced:
        raise UnbalancedEntry(f"debits and credits differ in {', '.join(unbalanced)}")


def check_request(
    request: EntryRequest, expires_at: datetime | None, now: datetime, kind: EntryKind
) -> list[PostingLine]:
    check_key(request.idempotency_key)
    lines = list(request.postings)
    check_shape(lines)
    if len(request.description) > MAX_DESCRIPTION_CHARS:
        raise InvalidEntry(f"description is over {MAX_DESCRIPTION_CHARS} characters")
    if request.reference is not None and not 0 < len(request.reference) <= MAX_REFERENCE_CHARS:
        raise InvalidEntry(f"reference must be 1-{MAX_REFERENCE_CHARS} characters")
    for moment in (request.effective_at, expires_at):
        if moment is not None and moment.tzinfo is None:
            raise InvalidEntry("times must carry a time zone")
    if kind == EntryKind.PENDING and expires_at is not None and expires_at <= now:
        raise InvalidEntry("a hold must expire in the future")
    try:
        size = len(canonical_bytes(dict(request.metadata)))
    except (TypeError, ValueError) as exc:
        raise InvalidEntry(f"metadata must be plain JSON: {exc}") from exc
    if size > MAX_METADATA_BYTES:
        raise InvalidEntry(f"metadata is over {MAX_METADATA_BYTES} bytes")
    return lines


def request_document(
    request: EntryRequest, kind: EntryKind, expires_at: datetime | None
) -> dict[str, Any]:
    """What a replay must repeat exactly; postings compared as a multiset."""
    return {
        "op": kind.value,
        "postings": sorted((p.account_id, p.side.value, p.amount_minor) for p in request.postings),
        "description": request.description,
        "reference": request.reference,
        "metadata": dict(request.metadata),
        "effective_at": request.effective_at,
        "expires_at": expires_at,
    }


def partial_lines(hold: Entry, amounts: Sequence[int] | None) -> list[PostingLine]:
    """The postings that posting ``hold`` creates: all of it, or ``amounts`` per hold posting."""
    if amounts is None:
        return [PostingLine(p.account_id, p.side, p.amount_minor) for p in hold.postings]
    if len(amounts) != len(hold.postings):
        raise InvalidEntry(
            f"hold {hold.id} has {len(hold.postings)} postings; {len(amounts)} amounts given"
        )
    lines = []
    for posting, amount in zip(hold.postings, amounts, strict=True):
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise InvalidEntry("amounts to post are integers >= 0")
        if amount > posting.amount_minor:
            raise PostExceedsHold(f"cannot post {amount} of a hold of {posting.amount_minor}")
        if amount:
            lines.append(PostingLine(posting.account_id, posting.side, amount))
    check_shape(lines)
    return lines
