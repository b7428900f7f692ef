"""What a payout is for decides what its result does: the purposes registry.

Payments moves the money and knows nothing of loans or savings. Each domain that pays out
registers, at bootstrap (``app.bootstrap.wire_domains``), the effects of its purposes: a loan's
disbursement activates the loan, a withdrawal's failure gives the savings back. A payout
whose purpose has no registered effects is refused loudly, never settled half-way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from app.payments.models import Payout, PayoutPurpose
from ledger import Ledger


class PurposeEffects(Protocol):
    def still_payable(self, session: Session, payout: Payout) -> str | None:
        """Why a payout that never left should not leave now, or None."""
        ...

    def succeeded(
        self,
        session: Session,
        ledger: Ledger,
        payout: Payout,
        completed_at: datetime,
        now: datetime,
    ) -> None:
        """The money arrived: the purpose's effects, after the hold was posted."""
        ...

    def failed(self, session: Session, payout: Payout, now: datetime) -> None:
        """The money did not leave: undo what the request reserved, after the hold was voided."""
        ...


class PurposeNotRegistered(LookupError):
    """A payout of a purpose no domain registered (a wiring bug: the bootstrap missed it)."""


_effects: dict[PayoutPurpose, PurposeEffects] = {}


def register(purposes: Iterable[PayoutPurpose], effects: PurposeEffects) -> None:
    for purpose in purposes:
        _effects[purpose] = effects


def effects_of(purpose: PayoutPurpose | str) -> PurposeEffects:
    found = _effects.get(PayoutPurpose(purpose))
    if found is None:
        raise PurposeNotRegistered(f"no effects registered for payouts of purpose {purpose}")
    return found
