"""The simulated Airtel world, in memory, every change under ``lock`` (an RLock shared by the
server's threads, the delivery threads and the test thread).

Money is in cents; Airtel moves whole shillings. Every change to the merchant's accounts goes
through ``settle`` or ``refund``, which also record the statement ``Movement``, so the
statement's balances always agree with the accounts. A transaction is recorded under our id
before anything else happens, so a second request under the same id is refused and never pays
twice.
"""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.airtel.codes import TxStatus
from integrations.airtel.config import RsaPadding
from integrations.airtel.simulator import statement
from integrations.airtel.simulator.faults import Faults
from integrations.airtel.simulator.keys import AirtelKeys, generate_keys
from integrations.airtel.simulator.outcomes import (
    DEFAULT_AMBIGUOUS_ENQUIRIES,
    SUFFIX_OUTCOMES,
    Outcome,
    Script,
)
from integrations.simulator_scripts import DEFAULT_DELAY_S
from integrations.simulator_tokens import IssuesTokens, TokenBook

TOKEN_LIFETIME = timedelta(seconds=180)
DEFAULT_WALLET_MINOR = 50_000_00
MAX_QUEUED_OUTCOMES = 100
COLLECTION, DISBURSEMENT = "collection", "disbursement"
_ID_ALPHABET = string.ascii_uppercase + string.digits


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Transaction:
    kind: str
    """``collection`` or ``disbursement``."""
    id: str
    """Our transaction id."""
    msisdn: str
    """The customer's 12-digit number."""
    amount_minor: int
    reference: str
    created_at: datetime
    outcome: Outcome
    status: TxStatus = TxStatus.IN_PROGRESS
    code: str = ""
    result_code: str = "ESB000011"
    """For a refused disbursement: the result code its answer carries."""
    message: str = "In process"
    airtel_money_id: str | None = None
    completed_at: datetime | None = None
    ambiguous_enquiries_left: int = 0
    refund_id: str | None = None


@dataclass
class AirtelSimState(IssuesTokens):
    client_id: str
    client_secret: str = field(repr=False)
    pin: str = field(repr=False)
    callback_urls: dict[str, str | None] = field(default_factory=dict)
    """Where Airtel posts callbacks, by kind (the portal's setting); None: no callback."""
    callback_secret: str | None = field(default=None, repr=False)
    country: str = "KE"
    currency: str = "KES"
    rsa_padding: RsaPadding = RsaPadding.PKCS1V15
    keys: AirtelKeys = field(default_factory=generate_keys, repr=False)
    clock: Callable[[], datetime] = _utc_now
    collection_minor: int = 0
    """The merchant account collections land in (and refunds leave from)."""
    disbursement_minor: int = 1_000_000_00
    """The disbursement account payouts leave from."""
    wallets: dict[str, int] = field(default_factory=dict)
    tokens: TokenBook = field(default_factory=lambda: TokenBook(TOKEN_LIFETIME, 24), repr=False)
    transactions: dict[tuple[str, str], Transaction] = field(default_factory=dict)
    phone_outcomes: dict[str, Script] = field(default_factory=dict)
    next_outcomes: list[Script] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    default_delay_s: float = DEFAULT_DELAY_S
    ambiguous_enquiries: int = DEFAULT_AMBIGUOUS_ENQUIRIES
    movements: list[statement.Movement] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # -- tokens ------------------------------------------------------------------------------

    def issue_token(self, client_id: str, client_secret: str) -> str | None:
        # Bytes, not str: compare_digest refuses non-ASCII text, and a caller may send any.
        known = secrets.compare_digest(
            client_id.encode(), self.client_id.encode()
        ) and secrets.compare_digest(client_secret.encode(), self.client_secret.encode())
        return self.new_token() if known else None

    # -- outcomes ----------------------------------------------------------------------------

    def set_outcome(self, script: Script, msisdn: str | None) -> None:
        """For one number from now on, or (``msisdn`` None) for the next request only."""
        with self.lock:
            if msisdn is not None:
                self.phone_outcomes[msisdn] = script
            elif len(self.next_outcomes) >= MAX_QUEUED_OUTCOMES:
                raise ValueError(f"at most {MAX_QUEUED_OUTCOMES} queued outcomes")
            else:
                self.next_outcomes.append(script)

    def script_for(self, msisdn: str) -> Script:
        with self.lock:
            if self.next_outcomes:
                return self.next_outcomes.pop(0)
            if msisdn in self.phone_outcomes:
                return self.phone_outcomes[msisdn]
        return Script(SUFFIX_OUTCOMES.get(msisdn[-2:], Outcome.SUCCESS))

    def delay_for(self, script: Script) -> float:
        return script.delay_s if script.delay_s is not None else self.default_delay_s

    # -- transactions and money --------------------------------------------------------------

    def add(self, tx: Transaction) -> bool:
        """Record ``tx``; False (nothing recorded) when its id was used before."""
        with self.lock:
            if (tx.kind, tx.id) in self.transactions:
                return False
            self.transactions[(tx.kind, tx.id)] = tx
            return True

    def find(self, kind: str, tx_id: str) -> Transaction | None:
        with self.lock:
            return self.transactions.get((kind, tx_id))

    def find_paid(self, airtel_money_id: str) -> Transaction | None:
        with self.lock:
            return next(
                (
                    tx
                    for tx in self.transactions.values()
                    if tx.kind == COLLECTION and tx.airtel_money_id == airtel_money_id
                ),
                None,
            )

    def wallet(self, msisdn: str) -> int:
        with self.lock:
            return self.wallets.setdefault(msisdn, DEFAULT_WALLET_MINOR)

    def new_airtel_money_id(self) -> str:
        """Airtel-looking ids (``CI`` + date + random); never issued twice."""
        with self.lock:
            issued = {tx.airtel_money_id for tx in self.transactions.values()}
            while True:
                rest = "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))
                found = f"CI{self.clock():%y%m%d}.{rest}"
                if found not in issued:
                    return found

    def close(self, tx: Transaction, status: TxStatus, code: str, message: str) -> None:
        """End ``tx``; a success moves the money (the caller checked the funds)."""
        with self.lock:
            now = self.clock()
            tx.status, tx.code, tx.message, tx.completed_at = status, code, message, now
            tx.airtel_money_id = tx.airtel_money_id or self.new_airtel_money_id()
            if status is not TxStatus.SUCCESS:
                return
            if tx.kind == COLLECTION:
                self.wallets[tx.msisdn] = self.wallet(tx.msisdn) - tx.amount_minor
                self.collection_minor += tx.amount_minor
            else:
                self.wallets[tx.msisdn] = self.wallet(tx.msisdn) + tx.amount_minor
                self.disbursement_minor -= tx.amount_minor
            self.movements.append(movement_of(tx, now))

    def refund(self, tx: Transaction) -> str:
        """Send a successful collection back to its payer, once; the refund's id."""
        with self.lock:
            assert tx.status is TxStatus.SUCCESS
            now = self.clock()
            tx.refund_id = self.new_airtel_money_id()
            tx.status, tx.message = TxStatus.REVERSED, "Transaction reversed"
            self.collection_minor -= tx.amount_minor
            self.wallets[tx.msisdn] = self.wallet(tx.msisdn) + tx.amount_minor
            self.movements.append(movement_of_refund(tx, tx.refund_id, now))
            return tx.refund_id

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy for ``GET /__sim__/state`` (no secrets, no tokens)."""
        with self.lock:
            return {
                "collection_minor": self.collection_minor,
                "disbursement_minor": self.disbursement_minor,
                "wallets": dict(self.wallets),
                "tokens_issued": self.tokens.issued,
                "faults": self.faults.to_json(),
                "phone_outcomes": {k: v.to_json() for k, v in self.phone_outcomes.items()},
                "transactions": [
                    {
                        "kind": tx.kind,
                        "id": tx.id,
                        "msisdn": tx.msisdn,
                        "amount_minor": tx.amount_minor,
                        "status": str(tx.status),
                        "code": tx.code,
                        "airtel_money_id": tx.airtel_money_id,
                        "refund_id": tx.refund_id,
                    }
                    for tx in self.transactions.values()
                ],
            }


def movement_of(tx: Transaction, at: datetime) -> statement.Movement:
    assert tx.airtel_money_id is not None
    sign = 1 if tx.kind == "collection" else -1
    return statement.Movement(
        tx.kind, tx.airtel_money_id, tx.id, at, statement.TYPES[tx.kind], tx.msisdn,
        sign * tx.amount_minor, tx.reference,
    )  # fmt: skip


def movement_of_refund(tx: Transaction, refund_id: str, at: datetime) -> statement.Movement:
    assert tx.airtel_money_id is not None
    return statement.Movement(
        "collection", refund_id, tx.id, at, "Refund", tx.msisdn, -tx.amount_minor,
        tx.airtel_money_id,
    )  # fmt: skip
