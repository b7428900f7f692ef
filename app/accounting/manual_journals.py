"""Manual journal entries under maker-checker: balanced lines by chart code.

Only accounts without a subledger may be touched by hand: the float, capital, income and
loan losses. Receivables, savings, credit balances and suspense mirror per-loan and
per-borrower figures (``app.reports.subledger_check``); a hand entry there would make the
books disagree, so those move only through their own use cases (repayment, write-off...).

Validated twice: at request (the shape, then a dry run of the posting in a savepoint that is
rolled back, so an overdraft of the float is refused up front) and at approval (the shape
again, then the real posting, which the ledger refuses if the balances moved meanwhile).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, FundAccounts, fund_accounts
from app.approvals.kinds import Approved, DecisionPolicy, KindRules
from app.approvals.models import ApprovalKind
from app.errors import DomainError
from ledger import EntryRequest, Ledger, PostingLine, Side
from ledger.types import MAX_AMOUNT_MINOR

JOURNAL_ACCOUNTS = frozenset(
    {Acct.FLOAT, Acct.CAPITAL, Acct.INTEREST_INCOME, Acct.PENALTY_INCOME, Acct.LOAN_LOSSES}
)
MAX_LINES = 20
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{2,63}$"
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]+$"


class InvalidJournal(DomainError, code="invalid_journal"): ...


class JournalLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_code: str = Field(min_length=4, max_length=4, pattern=r"^[0-9]{4}$")
    """A chart code (docs/backoffice.md lists those a manual journal may use)."""
    side: Literal["D", "C"]
    amount_minor: StrictInt = Field(ge=1, le=MAX_AMOUNT_MINOR)


class Journal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=3, max_length=200, pattern=TEXT_PATTERN)
    reference: str = Field(pattern=REFERENCE_PATTERN)
    """The maker's reference (a voucher number): one pending request per reference."""
    lines: list[JournalLine] = Field(min_length=2, max_length=MAX_LINES)


def validate_journal(data: Mapping[str, Any]) -> Journal:
    """The journal, or ``InvalidJournal`` naming what is wrong."""
    try:
        journal = Journal.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidJournal(f"The journal is not valid: {problems}") from None
    allowed = {code.value for code in JOURNAL_ACCOUNTS}
    for line in journal.lines:
        if line.account_code not in allowed:
            raise InvalidJournal(
                f"Account {line.account_code} cannot take a manual journal "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
    debits = sum(line.amount_minor for line in journal.lines if line.side == "D")
    credits = sum(line.amount_minor for line in journal.lines if line.side == "C")
    if debits != credits:
        raise InvalidJournal(f"Debits {debits} and credits {credits} differ")
    return journal


class _DryRun(Exception):
    """Raised to roll back the savepoint of a trial posting."""


class ManualJournalHandler(KindRules):
    kind = ApprovalKind.MANUAL_JOURNAL
    effect = "ledger.manual_journal"
    policy = DecisionPolicy(
        expires_after=timedelta(days=3)
    )  # a correction waits days at most, or the books it corrects move on

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        journal = validate_journal(asked)
        try:
            with session.begin_nested():
                ledger.post(_entry(journal, fund_accounts(ledger), "manual-journal:trial", {}))
                raise _DryRun
        except _DryRun:
            pass
        return journal.model_dump(mode="json")

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return "journal", payload["reference"]

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        journal = validate_journal(payload)
        return {"balances_minor": _balances(ledger, journal)}

    def apply(self, approved: Approved) -> dict[str, Any]:
        _, ledger, approval, checker, _ = approved.parts()
        journal = validate_journal(approval.payload)
        metadata = {
            "approval_id": approval.id,
            "maker": approval.maker,
            "checker": checker.username,
        }
        key = f"manual-journal:{approval.id}"
        entry = ledger.post(_entry(journal, fund_accounts(ledger), key, metadata))
        return {"entry_id": entry.id, "balances_minor": _balances(ledger, journal)}


def _entry(
    journal: Journal, accounts: FundAccounts, key: str, metadata: Mapping[str, Any]
) -> EntryRequest:
    return EntryRequest(
        key,
        [
            PostingLine(accounts[Acct(line.account_code)], Side(line.side), line.amount_minor)
            for line in journal.lines
        ],
        journal.description,
        reference=f"journal:{journal.reference}",
        metadata=metadata,
    )


def _balances(ledger: Ledger, journal: Journal) -> dict[str, int]:
    """Posted balances of the journal's accounts (audit before/after)."""
    codes = sorted({line.account_code for line in journal.lines})
    return {code: ledger.account_by_code(code).balance.posted_minor for code in codes}


MANUAL_JOURNAL = ManualJournalHandler()
