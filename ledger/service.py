"""``Ledger``: the one object the rest of Mkopo talks to.

It binds a SQLAlchemy session (the caller's transaction: the ledger flushes, never commits)
and a clock (time is passed in, never read here, so tests can travel in time).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from ledger import accounts, queries, sealing, verification
from ledger.accounts import AccountInfo
from ledger.errors import UnknownEntry
from ledger.types import AccountSpec, Balance, Entry, EntryKind, EntryRequest, HoldState
from ledger.writes import HOLD_EXPIRY_BATCH, EntryWriter

Clock = Callable[[], datetime]


class Ledger:
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    @property
    def _conn(self) -> Connection:
        return self._session.connection()

    def _writer(self) -> EntryWriter:
        return EntryWriter(self._session, self._clock())

    # accounts
    def open_account(self, spec: AccountSpec) -> AccountInfo:
        return accounts.open_account(self._session, spec, self._clock())

    def close_account(self, account_id: int) -> AccountInfo:
        return accounts.close_account(self._session, account_id, self._clock())

    def account(self, account_id: int) -> AccountInfo:
        return accounts.get_account(self._session, account_id)

    def account_by_code(self, code: str) -> AccountInfo:
        return accounts.get_account_by_code(self._session, code)

    def account_ids(self, codes: Collection[str]) -> dict[str, int]:
        """Ids of the accounts with these codes, in one query (absent codes left out)."""
        return accounts.account_ids_by_code(self._session, codes)

    def accounts(
        self, owner_ref: str | None = None, after_id: int = 0, limit: int = 100
    ) -> list[AccountInfo]:
        return queries.list_accounts(self._conn, owner_ref, after_id, limit)

    # writes
    def post(self, request: EntryRequest) -> Entry:
        """Post an entry at once."""
        return self._writer().post(request)

    def post_many(self, requests: Sequence[EntryRequest]) -> list[Entry]:
        """Post up to 1,000 entries atomically (all or none); one balance update per account."""
        return self._writer().post_many(requests)

    def hold(self, request: EntryRequest, expires_at: datetime | None = None) -> Entry:
        """Reserve the amounts of ``request`` (a pending entry) until posted, voided or expired."""
        return self._writer().post(request, EntryKind.PENDING, expires_at)

    def post_hold(
        self,
        hold_id: int,
        idempotency_key: str,
        amounts: Sequence[int] | None = None,
        description: str = "",
        effective_at: datetime | None = None,
    ) -> Entry:
        """Post a hold: all of it, or ``amounts`` (one per hold posting, balanced).

        Whatever is not posted is released: a hold is resolved once.
        """
        return self._writer().post_hold(
            hold_id, idempotency_key, amounts, description, effective_at
        )

    def void_hold(self, hold_id: int, idempotency_key: str, description: str = "") -> Entry:
        return self._writer().void_hold(
            hold_id, idempotency_key, EntryKind.VOID_PENDING, description
        )

    def expire_holds(self, limit: int = HOLD_EXPIRY_BATCH) -> list[Entry]:
        return self._writer().expire_holds(limit)

    def reverse(
        self,
        entry_id: int,
        idempotency_key: str,
        description: str = "",
        effective_at: datetime | None = None,
    ) -> Entry:
        """Post the mirror of a posted entry, linked to it; an entry is reversed at most once."""
        return self._writer().reverse(entry_id, idempotency_key, description, effective_at)

    # reads
    def entry(self, entry_id: int) -> Entry:
        found = queries.load_entry(self._conn, entry_id)
        if found is None:
            raise UnknownEntry(f"no entry {entry_id}")
        return found

    def hold_state(self, hold_id: int) -> HoldState:
        return queries.hold_state(self._conn, hold_id)

    def find_entries(
        self,
        reference: str | None = None,
        metadata: Mapping[str, str] | None = None,
        limit: int = 100,
    ) -> list[Entry]:
        return queries.find_entries(self._conn, reference, metadata, limit)

    def balance(self, account_id: int, as_of: datetime | None = None) -> Balance:
        if as_of is None:
            return self.account(account_id).balance
        return queries.balance_as_of(self._conn, account_id, as_of)

    def statement(
        self,
        account_id: int,
        after: tuple[datetime, int] | None = None,
        limit: int = 100,
        until: datetime | None = None,
    ) -> queries.StatementPage:
        return queries.statement(self._conn, account_id, after, limit, until)

    def trial_balance(self, as_of: datetime | None = None) -> queries.TrialBalance:
        return queries.trial_balance(self._conn, as_of)

    # tamper evidence
    def seal_next_block(self, signer: Ed25519PrivateKey) -> sealing.SealedBlock | None:
        return sealing.seal_next_block(self._conn, signer, self._clock())

    def verify(self, public_keys: Sequence[Ed25519PublicKey]) -> verification.VerifyReport:
        """Recompute every seal and every account's totals; name what disagrees."""
        return verification.verify(self._conn, public_keys)
