"""Moving money between the fund's provider floats (M-Pesa 1010, Airtel Money 1011) under
four eyes. The money really travels through the bank; this books it, once.

Rules (checked when asked and again, against the balances then, when approved):
- the two sides are different known networks (``integrations.payments.networks``);
- the amount is a positive integer of minor units, at most the ledger's bound;
- the source float's *available* balance (posted, less payouts held) covers the amount;
- one pending request per bank reference (the request's subject).

On approval by another admin, one ledger entry debits the destination float and credits the
source float; no clearing account, because the booking is made once the bank confirms the
move (the maker gives its reference). Its idempotency key is the approval's id, so the
entry is posted once however often the approval is replayed. A float that no longer covers
the amount at approval closes the request as failed (the engine's rule for a state that
moved, answered 409); a new request can be made once the float is topped up. The ledger
refuses an overdraft of a float in the database as well (``credits_must_not_exceed_debits``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator
from sqlalchemy.orm import Session

from app.accounting.chart import float_of, fund_accounts
from app.approvals.kinds import Approved, DecisionPolicy, KindRules
from app.approvals.models import ApprovalKind
from app.errors import DomainError
from integrations.payments.networks import Network
from ledger import EntryRequest, Ledger, PostingLine
from ledger.types import MAX_AMOUNT_MINOR

BANK_REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{2,63}$"
EXPIRY = timedelta(days=2)
"""A bank transfer is booked within days; an older request describes a stale balance."""


class InvalidFloatTransfer(DomainError, code="invalid_float_transfer"): ...


class InsufficientFloat(DomainError, code="insufficient_float", http_status=409):
    """The source float's available balance does not cover the transfer."""


class FloatTransfer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_network: Network
    to_network: Network
    amount_minor: StrictInt = Field(ge=1, le=MAX_AMOUNT_MINOR)
    external_reference: str = Field(pattern=BANK_REFERENCE_PATTERN)
    """The bank's reference of the transfer: one pending request per reference."""

    @model_validator(mode="after")
    def _two_floats(self) -> Self:
        if self.from_network == self.to_network:
            raise ValueError("from_network and to_network must differ")
        return self


def validate_transfer(data: Mapping[str, Any]) -> FloatTransfer:
    """The transfer, or ``InvalidFloatTransfer`` naming what is wrong."""
    try:
        return FloatTransfer.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidFloatTransfer(f"The float transfer is not valid: {problems}") from None


def _available(ledger: Ledger, network: Network) -> int:
    return ledger.account_by_code(float_of(network)).balance.available_minor


def _covered(ledger: Ledger, transfer: FloatTransfer) -> int:
    available = _available(ledger, transfer.from_network)
    if transfer.amount_minor > available:
        raise InsufficientFloat(
            f"The {transfer.from_network} float has {available} minor units available; "
            f"{transfer.amount_minor} cannot leave it"
        )
    return available


class FloatTransferHandler(KindRules):
    kind = ApprovalKind.FLOAT_TRANSFER
    effect = "ledger.float_transfer"
    policy = DecisionPolicy(expires_after=EXPIRY)

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        transfer = validate_transfer(asked)
        seen = _covered(ledger, transfer)
        return {**transfer.model_dump(mode="json"), "source_available_minor": seen}

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return "bank_transfer", payload["external_reference"]

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        transfer = validate_transfer(_asked(payload))
        _covered(ledger, transfer)
        return {"balances_minor": _balances(ledger, transfer)}

    def apply(self, approved: Approved) -> dict[str, Any]:
        _, ledger, approval, checker, _ = approved.parts()
        transfer = validate_transfer(_asked(approval.payload))
        accounts = fund_accounts(ledger)
        entry = ledger.post(
            EntryRequest(
                f"float-transfer:{approval.id}",
                [
                    PostingLine.debit(
                        accounts[float_of(transfer.to_network)], transfer.amount_minor
                    ),
                    PostingLine.credit(
                        accounts[float_of(transfer.from_network)], transfer.amount_minor
                    ),
                ],
                f"Float moved from {transfer.from_network} to {transfer.to_network}",
                reference=f"bank:{transfer.external_reference}",
                metadata={
                    "approval_id": approval.id,
                    "maker": approval.maker,
                    "checker": checker.username,
                    "external_reference": transfer.external_reference,
                },
            )
        )
        return {"entry_id": entry.id, "balances_minor": _balances(ledger, transfer)}


def _asked(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The maker's input, without what they saw."""
    return {k: v for k, v in payload.items() if k != "source_available_minor"}


def _balances(ledger: Ledger, transfer: FloatTransfer) -> dict[str, int]:
    """Posted balances of both floats, by chart code (audit before/after)."""
    codes = sorted({float_of(transfer.from_network), float_of(transfer.to_network)})
    return {code.value: ledger.account_by_code(code).balance.posted_minor for code in codes}


FLOAT_TRANSFER = FloatTransferHandler()
