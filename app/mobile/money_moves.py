"""A borrower's request that moves money (borrow, repay, withdraw), run one way for all.

Each requires an ``Idempotency-Key``, scoped per borrower and operation; the borrower's row
lock is taken before looking for a replay, so a request re-sent while the first is still
running waits for it and answers the first request's resource again, marked
``Idempotent-Replayed: true``; the use case runs in the same transaction and hands its work
to the worker only when it commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import AppClock
from app.borrowers.service import get_borrower
from app.clock import Clock
from app.db.session import Sessions
from app.mobile.auth import CurrentBorrower
from app.mobile.deps import AppSessions, IdempotencyKey
from app.payments.models import Payout
from ledger import Ledger

REPLAYED_HEADER = "Idempotent-Replayed"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MoneyMove:
    borrower_id: int
    key: str
    response: Response
    sessions: Sessions
    clock: Clock

    def run(
        self,
        operation: str,
        replayed: Callable[[Session, str], bool],
        act: Callable[[Session, Ledger, str], T],
    ) -> T:
        """``act(session, ledger, scoped key)`` under the borrower's lock, once per key:
        ``replayed(session, scoped key)`` says whether it ran before."""
        scoped = scoped_key(self.borrower_id, operation, self.key)
        with self.sessions.unit_of_work() as session:
            get_borrower(session, self.borrower_id, lock=True)
            again = replayed(session, scoped)
            answer = act(session, Ledger(session, self.clock), scoped)
        if again:
            self.response.headers[REPLAYED_HEADER] = "true"
        return answer


def scoped_key(borrower_id: int, operation: str, key: str) -> str:
    """The key the services dedupe by: per borrower and per operation, so two borrowers (or
    a loan and a withdrawal) sending the same key never meet."""
    return f"app:{borrower_id}:{operation}:{key}"


def payout_exists(session: Session, key: str) -> bool:
    return session.scalar(select(Payout.id).where(Payout.idempotency_key == key)) is not None


def _money_move(
    owner: CurrentBorrower,
    key: IdempotencyKey,
    response: Response,
    sessions: AppSessions,
    clock: AppClock,
) -> MoneyMove:
    return MoneyMove(owner.borrower_id, key, response, sessions, clock)


BorrowerMove = Annotated[MoneyMove, Depends(_money_move)]
