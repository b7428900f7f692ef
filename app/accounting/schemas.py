"""Response shapes of the read-only ledger API. Amounts are integers of minor units."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.accounting.manual_journals import Journal
from app.api.bodies import FREE_TEXT
from ledger import AccountInfo, Balance, Entry
from ledger.balance_check import TotalsMismatch
from ledger.queries import StatementLine, TrialBalanceLine
from ledger.verification import VerifyReport


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class BalanceOut(_Out):
    account_id: int
    currency: str
    debits_posted_minor: int
    credits_posted_minor: int
    debits_pending_minor: int
    credits_pending_minor: int
    posted_minor: int
    available_minor: int
    as_of: datetime | None = None

    @classmethod
    def of(cls, balance: Balance, as_of: datetime | None = None) -> BalanceOut:
        return cls.model_validate(balance).model_copy(update={"as_of": as_of})


class AccountOut(_Out):
    id: int
    code: str
    name: str
    type: str
    currency: str
    owner_ref: str | None
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool
    hot: bool
    created_at: datetime
    closed_at: datetime | None
    balance: BalanceOut

    @classmethod
    def of(cls, info: AccountInfo) -> AccountOut:
        return cls.model_validate(info)


class AccountPage(BaseModel):
    items: list[AccountOut]
    next_after_id: int | None


class PostingOut(_Out):
    id: int
    account_id: int
    side: str
    amount_minor: int
    currency: str
    phase: str


class EntryOut(_Out):
    id: int
    idempotency_key: str
    kind: str
    description: str
    reference: str | None
    metadata: dict[str, Any]
    effective_at: datetime
    booked_at: datetime
    expires_at: datetime | None
    pending_entry_id: int | None
    reversed_entry_id: int | None
    postings: list[PostingOut]

    @classmethod
    def of(cls, entry: Entry) -> EntryOut:
        return cls.model_validate(entry)


class StatementLineOut(_Out):
    posting_id: int
    entry_id: int
    effective_at: datetime
    description: str
    reference: str | None
    debit_minor: int
    credit_minor: int
    running_balance_minor: int

    @classmethod
    def of(cls, line: StatementLine) -> StatementLineOut:
        return cls.model_validate(line)


class StatementOut(BaseModel):
    account: AccountOut
    opening_balance_minor: int
    lines: list[StatementLineOut]
    next_cursor: str | None


class TrialBalanceLineOut(_Out):
    account_id: int
    code: str
    name: str
    type: str
    currency: str
    debit_minor: int
    credit_minor: int

    @classmethod
    def of(cls, line: TrialBalanceLine) -> TrialBalanceLineOut:
        return cls.model_validate(line)


class TrialBalanceOut(BaseModel):
    as_of: datetime | None
    lines: list[TrialBalanceLineOut]
    net_by_currency: dict[str, int]
    balanced: bool


class TotalsOut(BaseModel):
    debits_posted_minor: int
    credits_posted_minor: int
    debits_pending_minor: int
    credits_pending_minor: int

    @classmethod
    def of(cls, totals: tuple[int, int, int, int]) -> TotalsOut:
        dp, cp, dq, cq = totals
        return cls(
            debits_posted_minor=dp,
            credits_posted_minor=cp,
            debits_pending_minor=dq,
            credits_pending_minor=cq,
        )


class TotalsMismatchOut(BaseModel):
    account_id: int
    code: str
    stored: TotalsOut
    """What the account row says (what balances show)."""
    from_postings: TotalsOut
    """What its postings add up to."""

    @classmethod
    def of(cls, m: TotalsMismatch) -> TotalsMismatchOut:
        return cls(
            account_id=m.account_id,
            code=m.code,
            stored=TotalsOut.of(m.stored),
            from_postings=TotalsOut.of(m.recomputed),
        )


class VerifyOut(BaseModel):
    ok: bool
    """Every seal holds and every account's totals are its postings'."""
    blocks_checked: int
    entries_checked: int
    unsealed_entries: int
    first_break: str | None
    accounts_checked: int
    totals_mismatches: list[TotalsMismatchOut]
    """Accounts whose totals disagree with their postings (the first 100, by code)."""
    mismatched_accounts: int

    @classmethod
    def of(cls, report: VerifyReport) -> VerifyOut:
        return cls(
            ok=report.ok,
            blocks_checked=report.blocks_checked,
            entries_checked=report.entries_checked,
            unsealed_entries=report.unsealed_entries,
            first_break=report.first_break,
            accounts_checked=report.accounts_checked,
            totals_mismatches=[TotalsMismatchOut.of(m) for m in report.totals_mismatches],
            mismatched_accounts=report.mismatched_accounts,
        )


class JournalIn(Journal):
    reason: str = Field(min_length=3, max_length=200, pattern=FREE_TEXT)
