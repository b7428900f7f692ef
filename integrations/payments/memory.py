"""An in-memory payment provider that behaves like a real one, for tests and local runs.

Asynchronous like M-Pesa: ``submit_payout`` only accepts (or rejects) the request; the
result comes later — when the test calls ``deliver()`` (the "callback"), or when the fund
queries. Outcomes are scripted per originator id or per phone number; by default a payout
succeeds. Submitting the same originator id twice does not pay twice (like Daraja's
"Duplicate OriginatorConversationID").
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from integrations.payments.port import (
    CollectionOrder,
    CollectionResult,
    CollectionSubmit,
    PayoutOrder,
    PayoutResult,
    ReversalOrder,
    ReversalOutcome,
    Submission,
    SubmitResult,
)


@dataclass(frozen=True, slots=True)
class Outcome:
    succeeded: bool = True
    code: str = "0"
    reason: str = "The service request is processed successfully."


SUCCESS = Outcome()
INSUFFICIENT_FUNDS = Outcome(False, "1", "The balance is insufficient for the transaction.")
CANCELLED = Outcome(False, "1032", "Request cancelled by user.")


@dataclass
class InMemoryPaymentProvider:
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    outcomes_by_msisdn: dict[str, Outcome] = field(default_factory=dict)
    reject_submissions: bool = False
    """Refuse every request synchronously (as on a bad credential)."""
    lose_answer: bool = False
    """Act on the request but answer UNKNOWN, as on a read timeout."""
    payouts: dict[str, PayoutOrder] = field(default_factory=dict)
    paid: dict[str, PayoutResult] = field(default_factory=dict)
    _undelivered: list[PayoutResult] = field(default_factory=list)
    collections: dict[str, CollectionOrder] = field(default_factory=dict)
    collected: dict[str, CollectionResult] = field(default_factory=dict)
    reversible: dict[str, int] = field(default_factory=dict)
    """Receipts of payments INTO the fund that may be reversed, with their amounts."""
    reversed: dict[str, ReversalOutcome] = field(default_factory=dict)
    _receipts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    submissions: int = 0
    receipt_prefix: str = "SIM"
    """Receipts are ``<prefix>0000001``...: one prefix per provider, as receipts are unique."""

    def _receipt(self) -> str:
        return f"{self.receipt_prefix}{next(self._receipts):07d}"

    def submit_payout(self, order: PayoutOrder) -> SubmitResult:
        with self._lock:
            self.submissions += 1
            if self.reject_submissions:
                return SubmitResult(
                    Submission.REJECTED, code="2001", reason="The initiator information is invalid."
                )
            if order.originator_id not in self.payouts:  # a duplicate id is not paid again
                self.payouts[order.originator_id] = order
                outcome = self.outcomes_by_msisdn.get(order.msisdn, SUCCESS)
                result = PayoutResult(
                    order.originator_id,
                    outcome.succeeded,
                    self._receipt() if outcome.succeeded else None,
                    outcome.code,
                    outcome.reason,
                    self.clock(),
                )
                self.paid[order.originator_id] = result
                self._undelivered.append(result)
            if self.lose_answer:
                return SubmitResult(Submission.UNKNOWN)
            return SubmitResult(Submission.ACCEPTED, provider_ref=f"AG_{order.originator_id}")

    def query_payout(self, originator_id: str) -> PayoutResult | None:
        with self._lock:
            return self.paid.get(originator_id)

    def deliver(self, drop: bool = False) -> list[PayoutResult]:
        """Hand over the results not yet delivered (``drop``: lose them, as a lost callback)."""
        with self._lock:
            results, self._undelivered = self._undelivered, []
        return [] if drop else results

    def money_sent_to(self, msisdn: str) -> int:
        with self._lock:
            return sum(
                self.payouts[i].amount_minor
                for i, r in self.paid.items()
                if r.succeeded and self.payouts[i].msisdn == msisdn
            )

    def request_collection(self, order: CollectionOrder) -> CollectionSubmit:
        with self._lock:
            checkout_id = f"ws_CO_{order.reference}"
            self.collections[checkout_id] = order
            outcome = self.outcomes_by_msisdn.get(order.msisdn, SUCCESS)
            self.collected[checkout_id] = CollectionResult(
                checkout_id,
                outcome.succeeded,
                self._receipt() if outcome.succeeded else None,
                order.amount_minor if outcome.succeeded else None,
                outcome.code,
                outcome.reason,
            )
            return CollectionSubmit(Submission.ACCEPTED, checkout_id)

    def query_collection(self, checkout_id: str) -> CollectionResult | None:
        with self._lock:
            return self.collected.get(checkout_id)

    def request_reversal(self, order: ReversalOrder) -> SubmitResult:
        """Reverse a payment once; like M-Pesa, a repeat is answered "already reversed"."""
        with self._lock:
            self.submissions += 1
            if self.reject_submissions:
                return SubmitResult(
                    Submission.REJECTED, code="2001", reason="The initiator information is invalid."
                )
            if order.receipt not in self.reversed:
                known = self.reversible.get(order.receipt) == order.amount_minor
                self.reversed[order.receipt] = ReversalOutcome(
                    order.receipt,
                    f"AG_rev_{order.receipt}",
                    known,
                    "0" if known else "R000002",
                    "Reversed." if known else "The OriginalTransactionID is invalid.",
                    self._receipt() if known else None,
                    self.clock(),
                )
            if self.lose_answer:
                return SubmitResult(Submission.UNKNOWN)
            return SubmitResult(Submission.ACCEPTED, provider_ref=f"AG_rev_{order.receipt}")

    def query_reversal(self, order: ReversalOrder) -> ReversalOutcome | None:
        with self._lock:
            return self.reversed.get(order.receipt)
