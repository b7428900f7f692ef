"""Provider-neutral payment types and the ``PaymentProvider`` port.

Outcomes of a request are three, not two: accepted, rejected, or unknown (the call timed out
after it may have arrived). An unknown payout is never sent again under a new id: it is
queried, or re-sent under the same ``originator_id``, which the provider deduplicates.
Amounts are cents; providers that take whole shillings refuse other amounts at the adapter.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class ProviderUnavailable(Exception):
    """The provider gave no usable answer."""


class ProviderNotSent(ProviderUnavailable):
    """Nothing reached the provider (connect failures past the retry bound, throttling, no
    token): the request may be sent again later under the same id."""


class ProviderNoAnswer(ProviderUnavailable):
    """The request may have arrived but no answer came back: query before anything else."""


class Submission(enum.StrEnum):
    ACCEPTED = "accepted"
    """The provider took the request; its result will come by callback or query."""
    REJECTED = "rejected"
    """The provider refused it synchronously: nothing moved."""
    UNKNOWN = "unknown"
    """No answer (timeout, connection dropped after sending): query before anything else."""


@dataclass(frozen=True, slots=True)
class PayoutOrder:
    originator_id: str
    """Our id for this payment; the same on every retry."""
    msisdn: str
    """Recipient, 12 digits ``2547XXXXXXXX`` / ``2541XXXXXXXX``."""
    amount_minor: int
    remarks: str


@dataclass(frozen=True, slots=True)
class SubmitResult:
    submission: Submission
    provider_ref: str | None = None
    code: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PayoutResult:
    originator_id: str
    succeeded: bool
    receipt: str | None
    code: str
    reason: str
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CollectionOrder:
    reference: str
    """Our id for the collection attempt."""
    msisdn: str
    amount_minor: int
    account_reference: str
    """Shown to the payer (the loan account number)."""


@dataclass(frozen=True, slots=True)
class CollectionSubmit:
    submission: Submission
    checkout_id: str | None = None
    code: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CollectionResult:
    checkout_id: str
    succeeded: bool
    receipt: str | None
    amount_minor: int | None
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class ReversalOrder:
    receipt: str
    """The provider's receipt of the payment INTO the fund that is to go back."""
    amount_minor: int
    remarks: str
    payment_ref: str | None = None
    """Our id of that payment, for providers that look payments up by it (Airtel's enquiry
    tells whether it was reversed); None where the receipt is enough (Daraja)."""


@dataclass(frozen=True, slots=True)
class ReversalOutcome:
    receipt: str | None
    """The original payment's receipt (a provider may leave it out of a refusal)."""
    provider_ref: str | None
    """The provider's id for the reversal request (ConversationID), to match a refusal."""
    succeeded: bool
    """True also when the provider says it was already reversed (an earlier request won)."""
    code: str
    reason: str
    reversal_receipt: str | None = None
    completed_at: datetime | None = None


class PaymentProvider(Protocol):
    def submit_payout(self, order: PayoutOrder) -> SubmitResult:
        """Send a payout; raises ``ProviderNotSent`` when nothing reached the provider."""
        ...

    def query_payout(self, originator_id: str) -> PayoutResult | None:
        """The payout's final result, or None while the provider has none (pending)."""
        ...

    def request_collection(self, order: CollectionOrder) -> CollectionSubmit: ...

    def query_collection(self, checkout_id: str) -> CollectionResult | None: ...

    def request_reversal(self, order: ReversalOrder) -> SubmitResult:
        """Send a payment back to its payer; the outcome comes by callback or query."""
        ...

    def query_reversal(self, order: ReversalOrder) -> ReversalOutcome | None:
        """The reversal's outcome, or None when the provider cannot say: then ask again
        with ``request_reversal`` (a payment is reversed at most once, so a repeat is
        answered "already reversed")."""
        ...
