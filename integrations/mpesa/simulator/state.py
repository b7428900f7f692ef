"""The simulated M-Pesa world, in memory: apps, the organisation, wallets, tokens, transactions,
the limit figures and each customer's day, the phones' prompts.

Every mutation happens under ``SimulatorState.lock`` (an RLock), so the FastAPI worker threads,
the delivery threads and the test thread may share one state. Money is in cents; M-Pesa itself
moves whole shillings. Every change to an organisation account goes through ``pay_in``,
``pay_out`` or ``reverse``, which also record the statement ``Movement``: the statement's
balances then always agree with the accounts.
"""

from __future__ import annotations

import enum
import secrets
import string
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.mpesa.credentials import NAIROBI
from integrations.mpesa.simulator import statement
from integrations.mpesa.simulator.faults import Faults, updated
from integrations.mpesa.simulator.keys import SimulatorKeys, generate_keys
from integrations.mpesa.simulator.limits import DailyTotals, Limits
from integrations.mpesa.simulator.outcomes import (
    SUFFIX_OUTCOMES,
    Outcome,
    Script,
)
from integrations.mpesa.simulator.subscribers import Subscribers
from integrations.simulator_scripts import DEFAULT_COPIES, DEFAULT_DELAY_S, MAX_COPIES, MAX_DELAY_S
from integrations.simulator_tokens import IssuesTokens, TokenBook

TOKEN_LIFETIME = timedelta(seconds=3600)
DEFAULT_WALLET_MINOR = 50_000_00
"""A number the simulator has not seen starts with KES 50,000."""
RECEIPT_CHARS = 10
_RECEIPT_ALPHABET = string.ascii_uppercase + string.digits
_RECEIPT_YEAR_ZERO = 2006  # "A"; reference §9 item 21: N = 2019, T = 2025
MAX_QUEUED_OUTCOMES = 100
DEFAULT_LOCKOUT_AFTER = 3
"""Consecutive wrong SecurityCredentials before the initiator is locked (result 8006)."""
CUSTOMER_NAME = "SIM CUSTOMER"

CREDENTIAL_OK = 0
CREDENTIAL_INVALID = 2001
CREDENTIAL_LOCKED = 8006


class TooManyQueuedOutcomes(Exception):
    """``POST /__sim__/outcomes`` without a number, past ``MAX_QUEUED_OUTCOMES`` waiting."""


class TxState(enum.StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


@dataclass
class App:
    consumer_key: str
    consumer_secret: str = field(repr=False)


@dataclass
class Organisation:
    shortcode: str
    passkey: str = field(repr=False)
    initiator_name: str
    initiator_password: str = field(repr=False)
    utility_minor: int = 1_000_000_00
    """The B2C utility account (debited by payouts)."""
    working_minor: int = 0
    """Where STK and C2B payments land (and reversals leave from)."""
    name: str = "MKOPO SIM FUND"
    charges_minor: int = 0
    """The Charges Paid account; the simulator charges no fees, so it stays 0."""


@dataclass
class C2BUrls:
    response_type: str
    confirmation_url: str
    validation_url: str
    version: str = "v2"
    """The API version they were registered through: v1 notices hash the MSISDN, v2 mask it."""


@dataclass
class Transaction:
    kind: str
    """"b2c", "stk", "c2b" or "reversal"."""
    key: str
    """OriginatorConversationID (B2C, reversal), CheckoutRequestID (STK) or the receipt (C2B)."""
    msisdn: str
    amount_minor: int
    created_at: datetime
    state: TxState = TxState.PENDING
    result_code: int | str | None = None
    result_desc: str = ""
    receipt: str | None = None
    conversation_id: str | None = None
    merchant_request_id: str | None = None
    callback_url: str | None = None
    outcome: Outcome = Outcome.SUCCESS
    timeout_url: str | None = None
    command_id: str = ""
    account_reference: str = ""
    completed_at: datetime | None = None
    reversed_by: str | None = None
    """The receipt of the reversal that sent this payment back."""
    original_receipt: str | None = None
    """For a reversal: the payment it sent back."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def receipt_prefix(moment: datetime) -> str:
    """Year, month and day letters of a receipt (``NLJ`` = 2019-12-19; reference §9 item 21)."""
    local = moment.astimezone(NAIROBI)
    year = chr(ord("A") + (local.year - _RECEIPT_YEAR_ZERO) % 26)
    month = chr(ord("A") + local.month - 1)
    day = str(local.day) if local.day < 10 else chr(ord("A") + local.day - 10)
    return year + month + day


@dataclass
class SimulatorState(IssuesTokens):
    org: Organisation
    apps: list[App]
    keys: SimulatorKeys = field(default_factory=generate_keys, repr=False)
    clock: Callable[[], datetime] = _utc_now
    wallets: dict[str, int] = field(default_factory=dict)
    tokens: TokenBook = field(default_factory=lambda: TokenBook(TOKEN_LIFETIME, 21), repr=False)
    transactions: dict[tuple[str, str], Transaction] = field(default_factory=dict)
    receipts: set[str] = field(default_factory=set)
    c2b_urls: dict[str, C2BUrls] = field(default_factory=dict)
    phone_outcomes: dict[str, Script] = field(default_factory=dict)
    next_outcomes: list[Script] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    default_delay_s: float = DEFAULT_DELAY_S
    """How long ``delayed`` callbacks wait when the script names no ``delay_s``."""
    initiator_lockout_after: int = DEFAULT_LOCKOUT_AFTER
    initiator_failures: int = 0
    initiator_locked: bool = False
    limits: Limits = field(default_factory=Limits)
    daily: DailyTotals = field(default_factory=DailyTotals, repr=False)
    subscribers: Subscribers = field(default_factory=Subscribers, repr=False)
    allow_local_callbacks: bool = True
    """Accept local C2B URLs (``callback_urls``) that Safaricom would refuse."""
    movements: list[statement.Movement] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # -- tokens ----------------------------------------------------------------------------

    def issue_token(self, consumer_key: str, consumer_secret: str) -> str | None:
        with self.lock:
            known = any(
                secrets.compare_digest(app.consumer_key, consumer_key)
                and secrets.compare_digest(app.consumer_secret, consumer_secret)
                for app in self.apps
            )
            return self.new_token() if known else None

    # -- outcomes --------------------------------------------------------------------------

    def set_outcome(
        self,
        outcome: Outcome,
        msisdn: str | None = None,
        *,
        copies: int = DEFAULT_COPIES,
        delay_s: float | None = None,
    ) -> Script:
        """For one number from now on, or (``msisdn`` None) for the next request only."""
        if not 1 <= copies <= MAX_COPIES or not 0 <= (delay_s or 0) <= MAX_DELAY_S:
            raise ValueError("copies or delay_s out of range")
        script = Script(outcome, copies, delay_s)
        with self.lock:
            if msisdn is None:
                if len(self.next_outcomes) >= MAX_QUEUED_OUTCOMES:
                    raise TooManyQueuedOutcomes(f"at most {MAX_QUEUED_OUTCOMES} queued outcomes")
                self.next_outcomes.append(script)
            else:
                self.phone_outcomes[msisdn] = script
        return script

    def script_for(self, msisdn: str) -> Script:
        """A queued one-shot outcome first, then the number's own, then its last two digits."""
        with self.lock:
            if self.next_outcomes:
                script = self.next_outcomes.pop(0)
            elif msisdn in self.phone_outcomes:
                script = self.phone_outcomes[msisdn]
            else:
                script = Script(SUFFIX_OUTCOMES.get(msisdn[-2:], Outcome.SUCCESS))
            if script.delay_s is None:
                script = replace(script, delay_s=self.default_delay_s)
            return script

    def outcome_for(self, msisdn: str) -> Outcome:
        return self.script_for(msisdn).outcome

    # -- faults and the initiator ----------------------------------------------------------

    def update_faults(self, body: Mapping[str, object]) -> Faults:
        with self.lock:
            self.faults = updated(self.faults, body)
            return self.faults

    def clear_faults(self) -> Faults:
        with self.lock:
            self.faults = Faults()
            return self.faults

    def take_spike_arrest(self) -> bool:
        with self.lock:
            throttled, self.faults = self.faults.take_spike_arrest()
            return throttled

    def take_response_delay(self, family: str) -> float:
        with self.lock:
            delay_s, self.faults = self.faults.take_response_delay(family)
            return delay_s

    def check_initiator(self, initiator: str, password: str | None) -> int:
        """0, 2001 (wrong name or credential) or 8006 (locked after too many wrong ones).

        ``password`` is the decrypted SecurityCredential (``keys.decrypt_credential``, done by
        the caller before taking the lock: RSA is slow).
        """
        with self.lock:
            if initiator != self.org.initiator_name:
                return CREDENTIAL_INVALID
            if self.initiator_locked:
                return CREDENTIAL_LOCKED
            if password != self.org.initiator_password:
                self.initiator_failures += 1
                if self.initiator_failures >= self.initiator_lockout_after:
                    self.initiator_locked = True
                return CREDENTIAL_INVALID
            self.initiator_failures = 0
            return CREDENTIAL_OK

    def unlock_initiator(self) -> None:
        with self.lock:
            self.initiator_locked = False
            self.initiator_failures = 0

    # -- money and ids ---------------------------------------------------------------------

    def wallet(self, msisdn: str) -> int:
        with self.lock:
            return self.wallets.setdefault(msisdn, DEFAULT_WALLET_MINOR)

    def move_to_wallet(self, msisdn: str, amount_minor: int) -> None:
        with self.lock:
            self.wallets[msisdn] = self.wallet(msisdn) + amount_minor

    def set_wallet(self, msisdn: str, balance_minor: int) -> None:
        with self.lock:
            self.wallets[msisdn] = balance_minor

    def pay_out(self, tx: Transaction, now: datetime) -> None:
        """B2C: the utility account to the payee's wallet (the caller checked the funds)."""
        assert tx.receipt is not None
        with self.lock:
            self.org.utility_minor -= tx.amount_minor
            self.move_to_wallet(tx.msisdn, tx.amount_minor)
            self.daily.add(tx.msisdn, now, tx.amount_minor)
            self.movements.append(
                statement.business_payment(
                    statement.Transfer(
                        receipt=tx.receipt,
                        msisdn=tx.msisdn,
                        party_name=CUSTOMER_NAME,
                        amount_minor=tx.amount_minor,
                        initiated_at=tx.created_at,
                        completed_at=now,
                    ),
                    reason_type=statement.b2c_reason_type(tx.command_id),
                )
            )

    def pay_in(self, tx: Transaction, now: datetime) -> None:
        """STK or C2B: the payer's wallet to the working account (the caller checked funds)."""
        assert tx.receipt is not None
        with self.lock:
            self.move_to_wallet(tx.msisdn, -tx.amount_minor)
            self.org.working_minor += tx.amount_minor
            self.daily.add(tx.msisdn, now, tx.amount_minor)
            self.movements.append(
                statement.paid_in(
                    statement.Transfer(
                        receipt=tx.receipt,
                        msisdn=tx.msisdn,
                        party_name=CUSTOMER_NAME,
                        amount_minor=tx.amount_minor,
                        initiated_at=tx.created_at,
                        completed_at=now,
                    ),
                    account_reference=tx.account_reference,
                    reason_type=statement.paid_in_reason_type(tx.kind, tx.command_id),
                )
            )

    def reverse(self, original: Transaction, reversal: Transaction, now: datetime) -> None:
        """The working account back to the payer's wallet, once per original payment."""
        assert original.receipt is not None
        assert reversal.receipt is not None
        with self.lock:
            assert original.reversed_by is None
            self.org.working_minor -= reversal.amount_minor
            self.move_to_wallet(original.msisdn, reversal.amount_minor)
            original.reversed_by = reversal.receipt
            self.movements.append(
                statement.reversal(
                    statement.Transfer(
                        receipt=reversal.receipt,
                        msisdn=original.msisdn,
                        party_name=CUSTOMER_NAME,
                        amount_minor=reversal.amount_minor,
                        initiated_at=reversal.created_at,
                        completed_at=now,
                    ),
                    original_receipt=original.receipt,
                    account_reference=original.account_reference,
                )
            )

    def account_balance(self, account: str) -> int:
        """The current balance of one account, or of both (``statement.ALL_ACCOUNTS``)."""
        with self.lock:
            if account == statement.UTILITY_ACCOUNT:
                return self.org.utility_minor
            if account == statement.WORKING_ACCOUNT:
                return self.org.working_minor
            return self.org.utility_minor + self.org.working_minor

    def statement_movements(
        self, account: str, period_from: datetime, period_to: datetime
    ) -> tuple[int, list[statement.Movement]]:
        """The balance when the period opened, and the account's movements in it."""
        with self.lock:
            mine = [
                m
                for m in self.movements
                if account in (statement.ALL_ACCOUNTS, m.account) and m.moves_money
            ]
            since = sum(m.amount_minor for m in mine if m.completed_at >= period_from)
            opening = self.account_balance(account) - since
            inside = [m for m in mine if period_from <= m.completed_at <= period_to]
            return opening, inside

    def new_receipt(self) -> str:
        """10 upper-case letters and digits, dated like M-Pesa's, never issued before."""
        with self.lock:
            prefix = receipt_prefix(self.clock())
            while True:
                rest = "".join(
                    secrets.choice(_RECEIPT_ALPHABET) for _ in range(RECEIPT_CHARS - len(prefix))
                )
                found = prefix + rest
                if found not in self.receipts:
                    self.receipts.add(found)
                    return found

    def find(self, kind: str, key: str) -> Transaction | None:
        with self.lock:
            return self.transactions.get((kind, key))

    def find_receipt(self, receipt: str) -> Transaction | None:
        """The payment, payout or reversal that carries M-Pesa receipt ``receipt``."""
        with self.lock:
            return next((tx for tx in self.transactions.values() if tx.receipt == receipt), None)

    def add(self, tx: Transaction) -> bool:
        """Record ``tx``; False (and nothing recorded) when its key was already used."""
        with self.lock:
            if (tx.kind, tx.key) in self.transactions:
                return False
            self.transactions[(tx.kind, tx.key)] = tx
            return True

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy for ``GET /__sim__/state`` (no secrets, no tokens)."""
        with self.lock:
            return {
                "shortcode": self.org.shortcode,
                "utility_minor": self.org.utility_minor,
                "working_minor": self.org.working_minor,
                "charges_minor": self.org.charges_minor,
                "wallets": dict(self.wallets),
                "c2b_urls": {code: asdict(urls) for code, urls in self.c2b_urls.items()},
                "phone_outcomes": {k: v.to_json() for k, v in self.phone_outcomes.items()},
                "next_outcomes": [s.to_json() for s in self.next_outcomes],
                "faults": self.faults.to_json(),
                "limits": asdict(self.limits),
                "allow_local_callbacks": self.allow_local_callbacks,
                "initiator": {
                    "locked": self.initiator_locked,
                    "failures": self.initiator_failures,
                    "lockout_after": self.initiator_lockout_after,
                },
                "transactions": [_tx_json(tx) for tx in self.transactions.values()],
            }


def _tx_json(tx: Transaction) -> dict[str, Any]:
    found = asdict(tx)
    found["created_at"] = tx.created_at.isoformat()
    found["completed_at"] = tx.completed_at.isoformat() if tx.completed_at else None
    return found
