"""The simulated M-Pesa world, in memory: apps, the organisation, wallets, tokens, transactions.

Every mutation happens under ``SimulatorState.lock`` (an RLock), so the FastAPI worker threads
and the test thread may share one state. Money is in cents; M-Pesa itself moves whole shillings.
"""

from __future__ import annotations

import enum
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.mpesa.simulator.keys import SimulatorKeys, generate_keys

TOKEN_LIFETIME = timedelta(seconds=3600)
DEFAULT_WALLET_MINOR = 50_000_00
"""A number the simulator has not seen starts with KES 50,000."""
RECEIPT_CHARS = 10
_RECEIPT_ALPHABET = string.ascii_uppercase + string.digits


class Outcome(enum.StrEnum):
    SUCCESS = "success"
    CANCELLED = "cancelled"
    INSUFFICIENT = "insufficient"
    WRONG_PIN = "wrong_pin"
    LOST = "lost"
    """Completes, but no callback is sent (query or reconcile to find out)."""
    DUPLICATE = "duplicate"
    """Completes, and the callback is delivered twice."""
    TIMEOUT = "timeout"
    PENDING = "pending"
    """STK only: the prompt stays open until ``/__sim__/stk/{id}/resolve``."""


SUFFIX_OUTCOMES: dict[str, Outcome] = {
    "00": Outcome.SUCCESS,
    "01": Outcome.CANCELLED,
    "02": Outcome.INSUFFICIENT,
    "03": Outcome.WRONG_PIN,
    "04": Outcome.LOST,
    "05": Outcome.DUPLICATE,
    "06": Outcome.TIMEOUT,
}


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
    """Where STK and C2B payments land."""


@dataclass
class C2BUrls:
    response_type: str
    confirmation_url: str
    validation_url: str


@dataclass
class Transaction:
    kind: str
    """"b2c", "stk" or "c2b"."""
    key: str
    """OriginatorConversationID (B2C), CheckoutRequestID (STK) or the receipt (C2B)."""
    msisdn: str
    amount_minor: int
    created_at: datetime
    state: TxState = TxState.PENDING
    result_code: int | None = None
    result_desc: str = ""
    receipt: str | None = None
    conversation_id: str | None = None
    merchant_request_id: str | None = None
    callback_url: str | None = None
    outcome: Outcome = Outcome.SUCCESS


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SimulatorState:
    org: Organisation
    apps: list[App]
    keys: SimulatorKeys = field(default_factory=generate_keys, repr=False)
    clock: Callable[[], datetime] = _utc_now
    wallets: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, datetime] = field(default_factory=dict, repr=False)
    transactions: dict[tuple[str, str], Transaction] = field(default_factory=dict)
    receipts: set[str] = field(default_factory=set)
    c2b_urls: dict[str, C2BUrls] = field(default_factory=dict)
    phone_outcomes: dict[str, Outcome] = field(default_factory=dict)
    next_outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # -- tokens ----------------------------------------------------------------------------

    def issue_token(self, consumer_key: str, consumer_secret: str) -> str | None:
        with self.lock:
            known = any(
                secrets.compare_digest(app.consumer_key, consumer_key)
                and secrets.compare_digest(app.consumer_secret, consumer_secret)
                for app in self.apps
            )
            if not known:
                return None
            token = secrets.token_urlsafe(21)
            self.tokens[token] = self.clock() + TOKEN_LIFETIME
            return token

    def token_valid(self, token: str) -> bool:
        with self.lock:
            expires_at = self.tokens.get(token)
            return expires_at is not None and self.clock() < expires_at

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    # -- outcomes --------------------------------------------------------------------------

    def set_outcome(self, outcome: Outcome, msisdn: str | None = None) -> None:
        """For one number from now on, or (``msisdn`` None) for the next request only."""
        with self.lock:
            if msisdn is None:
                self.next_outcomes.append(outcome)
            else:
                self.phone_outcomes[msisdn] = outcome

    def outcome_for(self, msisdn: str) -> Outcome:
        """A queued one-shot outcome first, then the number's own, then its last two digits."""
        with self.lock:
            if self.next_outcomes:
                return self.next_outcomes.pop(0)
            if msisdn in self.phone_outcomes:
                return self.phone_outcomes[msisdn]
            return SUFFIX_OUTCOMES.get(msisdn[-2:], Outcome.SUCCESS)

    # -- money and ids ---------------------------------------------------------------------

    def wallet(self, msisdn: str) -> int:
        with self.lock:
            return self.wallets.setdefault(msisdn, DEFAULT_WALLET_MINOR)

    def move_to_wallet(self, msisdn: str, amount_minor: int) -> None:
        with self.lock:
            self.wallets[msisdn] = self.wallet(msisdn) + amount_minor

    def new_receipt(self) -> str:
        """10 upper-case letters and digits, starting with a letter, never issued before."""
        with self.lock:
            while True:
                first = secrets.choice(string.ascii_uppercase)
                rest = "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(RECEIPT_CHARS - 1))
                found = first + rest
                if found not in self.receipts:
                    self.receipts.add(found)
                    return found

    def find(self, kind: str, key: str) -> Transaction | None:
        with self.lock:
            return self.transactions.get((kind, key))

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
                "wallets": dict(self.wallets),
                "c2b_urls": {code: asdict(urls) for code, urls in self.c2b_urls.items()},
                "phone_outcomes": {k: str(v) for k, v in self.phone_outcomes.items()},
                "next_outcomes": [str(o) for o in self.next_outcomes],
                "transactions": [
                    {**asdict(tx), "created_at": tx.created_at.isoformat()}
                    for tx in self.transactions.values()
                ],
            }
