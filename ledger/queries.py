"""Reading the books: entries, balances now and as of a value date, statements, trial balance.

Balances "now" come from the account row (kept by the write path); balances "as of" a
value date are summed from posted postings, so a back-dated entry counts where it belongs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from ledger.accounts import AccountInfo, to_info
from ledger.errors import UnknownAccount
from ledger.schema import Account, JournalEntry, Posting
from ledger.types import AccountType, Balance, Entry, EntryKind, HoldState, Phase, Side
from ledger.types import Posting as PostingResult

MAX_PAGE = 500


def load_entry(conn: Connection, entry_id: int) -> Entry | None:
    row = conn.execute(
        select(JournalEntry.__table__).where(JournalEntry.id == entry_id)
    ).one_or_none()
    if row is None:
        return None
    e = row._mapping
    postings = conn.execute(
        select(Posting.__table__).where(Posting.entry_id == entry_id).order_by(Posting.id)
    ).all()
    return _entry(e, [p._mapping for p in postings])


def _entry(e: Mapping[Any, Any], postings: list[Mapping[Any, Any]]) -> Entry:
    return Entry(
        id=e["id"],
        idempotency_key=e["idempotency_key"],
        kind=EntryKind(e["kind"]),
        description=e["description"],
        reference=e["reference"],
        metadata=e["meta"] or {},
        effective_at=e["effective_at"],
        booked_at=e["booked_at"],
        postings=tuple(
            PostingResult(
                id=p["id"],
                account_id=p["account_id"],
                side=Side(p["side"]),
                amount_minor=p["amount_minor"],
                currency=p["currency"],
                phase=Phase(p["phase"]),
            )
            for p in postings
        ),
        pending_entry_id=e["pending_entry_id"],
        reversed_entry_id=e["reversed_entry_id"],
        expires_at=e["expires_at"],
    )


def hold_state(conn: Connection, hold_id: int) -> HoldState:
    kind = conn.execute(
        select(JournalEntry.kind).where(JournalEntry.pending_entry_id == hold_id)
    ).scalar_one_or_none()
    return {
        None: HoldState.OPEN,
        EntryKind.POST_PENDING.value: HoldState.POSTED,
        EntryKind.VOID_PENDING.value: HoldState.VOIDED,
        EntryKind.EXPIRE_PENDING.value: HoldState.EXPIRED,
    }[kind]


def find_entries(
    conn: Connection,
    reference: str | None = None,
    metadata: Mapping[str, str] | None = None,
    limit: int = 100,
) -> list[Entry]:
    """Entries by reference and/or metadata values (string equality), oldest first."""
    query = select(JournalEntry.id).order_by(JournalEntry.id).limit(min(limit, MAX_PAGE))
    if reference is not None:
        query = query.where(JournalEntry.reference == reference)
    for key, value in (metadata or {}).items():
        query = query.where(JournalEntry.meta[key].as_string() == value)
    ids = conn.execute(query).scalars().all()
    return [e for e in (load_entry(conn, i) for i in ids) if e is not None]


def _account(conn: Connection, account_id: int) -> Any:
    row = conn.execute(select(Account.__table__).where(Account.id == account_id)).one_or_none()
    if row is None:
        raise UnknownAccount(f"no account {account_id}")
    return row


def balance_as_of(conn: Connection, account_id: int, as_of: datetime) -> Balance:
    """Posted balance counting postings with value date <= ``as_of`` (holds are not counted)."""
    account = _account(conn, account_id)
    debit = func.coalesce(
        func.sum(case((Posting.side == Side.DEBIT.value, Posting.amount_minor), else_=0)), 0
    )
    credit = func.coalesce(
        func.sum(case((Posting.side == Side.CREDIT.value, Posting.amount_minor), else_=0)), 0
    )
    debits, credits = conn.execute(
        select(debit, credit).where(
            Posting.account_id == account_id,
            Posting.phase == Phase.POSTED.value,
            Posting.effective_at <= as_of,
        )
    ).one()
    return Balance(
        account_id,
        account.currency,
        AccountType(account.type).debit_normal,
        int(debits),
        int(credits),
        0,
        0,
    )


@dataclass(frozen=True, slots=True)
class StatementLine:
    posting_id: int
    entry_id: int
    effective_at: datetime
    description: str
    reference: str | None
    debit_minor: int
    credit_minor: int
    running_balance_minor: int
    """Posted balance after this line, in the account's normal direction."""


@dataclass(frozen=True, slots=True)
class StatementPage:
    account: AccountInfo
    opening_balance_minor: int
    lines: list[StatementLine]
    next_cursor: tuple[datetime, int] | None
    """Pass back as ``after`` for the next page; ``None`` on the last page."""


def statement(
    conn: Connection,
    account_id: int,
    after: tuple[datetime, int] | None = None,
    limit: int = 100,
    until: datetime | None = None,
) -> StatementPage:
    """Posted postings of one account in value-date order, with a running balance."""
    account = _account(conn, account_id)
    info = to_info(account)
    sign = 1 if info.type.debit_normal else -1
    signed = case(
        (Posting.side == Side.DEBIT.value, Posting.amount_minor), else_=-Posting.amount_minor
    )
    base = [Posting.account_id == account_id, Posting.phase == Phase.POSTED.value]
    if until is not None:
        base.append(Posting.effective_at <= until)
    opening = 0
    position = []
    if after is not None:
        at, pid = after
        before = or_(Posting.effective_at < at, and_(Posting.effective_at == at, Posting.id <= pid))
        opening = sign * int(
            conn.execute(
                select(func.coalesce(func.sum(signed), 0)).where(*base, before)
            ).scalar_one()
        )
        position = [
            or_(Posting.effective_at > at, and_(Posting.effective_at == at, Posting.id > pid))
        ]
    page = min(max(limit, 1), MAX_PAGE)
    rows = conn.execute(
        select(
            Posting.id,
            Posting.entry_id,
            Posting.effective_at,
            Posting.side,
            Posting.amount_minor,
            JournalEntry.description,
            JournalEntry.reference,
        )
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(*base, *position)
        .order_by(Posting.effective_at, Posting.id)
        .limit(page + 1)
    ).all()
    running = opening
    lines = []
    for r in rows[:page]:
        debit = r.amount_minor if r.side == Side.DEBIT.value else 0
        credit = r.amount_minor - debit
        running += sign * (debit - credit)
        lines.append(
            StatementLine(
                r.id, r.entry_id, r.effective_at, r.description, r.reference, debit, credit, running
            )
        )
    cursor = (lines[-1].effective_at, lines[-1].posting_id) if len(rows) > page else None
    return StatementPage(info, opening, lines, cursor)


@dataclass(frozen=True, slots=True)
class TrialBalanceLine:
    account_id: int
    code: str
    name: str
    type: AccountType
    currency: str
    debit_minor: int
    credit_minor: int
    """Net posted balance on its side: one of the two is zero."""


@dataclass(frozen=True, slots=True)
class TrialBalance:
    as_of: datetime | None
    lines: list[TrialBalanceLine]
    net_by_currency: dict[str, int]
    """Debits minus credits per currency: zero in a sound ledger."""


def trial_balance(conn: Connection, as_of: datetime | None = None) -> TrialBalance:
    """Every account's net posted balance; with ``as_of``, summed from postings by value date."""
    accounts = conn.execute(select(Account.__table__).order_by(Account.code)).all()
    if as_of is None:
        totals = {a.id: (a.debits_posted, a.credits_posted) for a in accounts}
    else:
        debit = func.sum(case((Posting.side == Side.DEBIT.value, Posting.amount_minor), else_=0))
        credit = func.sum(case((Posting.side == Side.CREDIT.value, Posting.amount_minor), else_=0))
        rows = conn.execute(
            select(Posting.account_id, debit, credit)
            .where(Posting.phase == Phase.POSTED.value, Posting.effective_at <= as_of)
            .group_by(Posting.account_id)
        ).all()
        totals = {r[0]: (int(r[1]), int(r[2])) for r in rows}
    lines = []
    net: dict[str, int] = defaultdict(int)
    for a in accounts:
        debits, credits = totals.get(a.id, (0, 0))
        net[a.currency] += debits - credits
        lines.append(
            TrialBalanceLine(
                a.id,
                a.code,
                a.name,
                AccountType(a.type),
                a.currency,
                max(debits - credits, 0),
                max(credits - debits, 0),
            )
        )
    return TrialBalance(as_of, lines, dict(net))


def list_accounts(
    conn: Connection, owner_ref: str | None = None, after_id: int = 0, limit: int = 100
) -> list[AccountInfo]:
    query = select(Account.__table__).where(Account.id > after_id).order_by(Account.id)
    if owner_ref is not None:
        query = query.where(Account.owner_ref == owner_ref)
    rows = conn.execute(query.limit(min(max(limit, 1), MAX_PAGE))).all()
    return [to_info(r) for r in rows]
