"""Moving float between M-Pesa (1010) and Airtel Money (1011) under four eyes: asked by one
admin, booked once when another approves; nothing moves on a rejection, an expiry or a float
that no longer covers the amount."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.accounting.float_transfers import (
    FLOAT_TRANSFER,
    InsufficientFloat,
    InvalidFloatTransfer,
)
from app.approvals import engine as approvals
from app.approvals.models import ApprovalRequest, ApprovalStatus
from ledger import Ledger
from ledger.schema import JournalEntry
from tests.integration.test_maker_checker import ADMIN, OTHER_ADMIN, check, make, stored
from tests.support.lending import CAPITAL_MINOR, KES, Fund

MPESA, AIRTEL = "1010", "1011"


def transfer(amount_minor: int, **changes: Any) -> dict[str, Any]:
    return {
        "from_network": "safaricom",
        "to_network": "airtel",
        "amount_minor": amount_minor,
        "external_reference": "EQ-2026-1207-01",
        **changes,
    }


def floats(fund: Fund) -> tuple[int, int]:
    """Posted balances of the M-Pesa and Airtel floats."""
    with fund.sessions.reader() as session:
        ledger = Ledger(session, fund.clock)
        mpesa, airtel = (ledger.account_by_code(c).balance.posted_minor for c in (MPESA, AIRTEL))
        return mpesa, airtel


def transfer_entries(fund: Fund) -> list[JournalEntry]:
    with fund.sessions.reader() as session:
        return list(
            session.scalars(
                select(JournalEntry).where(JournalEntry.idempotency_key.like("float-transfer:%"))
            )
        )


def test_moving_2m_to_airtel_approved_by_another_admin_books_it_once(fund: Fund) -> None:
    asked = make(fund, FLOAT_TRANSFER, transfer(2_000_000 * KES), maker=ADMIN)
    assert stored(fund, asked.approval.id).payload == {
        **transfer(2_000_000 * KES),
        "source_available_minor": CAPITAL_MINOR,
    }
    assert floats(fund) == (CAPITAL_MINOR, 0)  # asking moves nothing
    decision = check(fund, asked.approval.id, checker=OTHER_ADMIN)
    assert decision.failure is None
    assert floats(fund) == (CAPITAL_MINOR - 2_000_000 * KES, 2_000_000 * KES)
    [entry] = transfer_entries(fund)
    assert entry.reference == "bank:EQ-2026-1207-01"
    assert entry.meta["external_reference"] == "EQ-2026-1207-01"
    assert entry.meta["approval_id"] == asked.approval.id
    assert stored(fund, asked.approval.id).result == {
        "entry_id": entry.id,
        "balances_minor": {MPESA: CAPITAL_MINOR - 2_000_000 * KES, AIRTEL: 2_000_000 * KES},
    }
    with pytest.raises(approvals.ApprovalNotPending):
        check(fund, asked.approval.id, checker=ADMIN)  # approving again posts nothing
    assert len(transfer_entries(fund)) == 1
    fund.assert_books_agree()


def test_the_maker_cannot_approve_their_own_float_transfer(fund: Fund) -> None:
    asked = make(fund, FLOAT_TRANSFER, transfer(1_000 * KES), maker=ADMIN)
    with pytest.raises(approvals.SameChecker):
        check(fund, asked.approval.id, checker=ADMIN)
    assert stored(fund, asked.approval.id).status == ApprovalStatus.PENDING
    assert floats(fund) == (CAPITAL_MINOR, 0)


def test_a_rejected_float_transfer_moves_nothing(fund: Fund) -> None:
    asked = make(fund, FLOAT_TRANSFER, transfer(1_000 * KES), maker=ADMIN)
    with fund.sessions.unit_of_work() as session:
        approvals.reject(session, asked.approval.id, OTHER_ADMIN, "No such bank move", fund.clock())
    assert stored(fund, asked.approval.id).status == ApprovalStatus.REJECTED
    assert (floats(fund), transfer_entries(fund)) == ((CAPITAL_MINOR, 0), [])


def test_a_float_transfer_not_decided_in_two_days_expires_and_moves_nothing(fund: Fund) -> None:
    asked = make(fund, FLOAT_TRANSFER, transfer(1_000 * KES), maker=ADMIN)
    fund.clock.advance(days=2)
    decision = check(fund, asked.approval.id, checker=OTHER_ADMIN)
    assert isinstance(decision.failure, approvals.ApprovalExpired)
    assert stored(fund, asked.approval.id).status == ApprovalStatus.EXPIRED
    assert (floats(fund), transfer_entries(fund)) == ((CAPITAL_MINOR, 0), [])


def test_more_than_the_airtel_float_holds_is_refused_when_asked(fund: Fund) -> None:
    with pytest.raises(InsufficientFloat):
        make(fund, FLOAT_TRANSFER, transfer(1, from_network="airtel", to_network="safaricom"))
    with fund.sessions.reader() as session:
        assert session.scalars(select(ApprovalRequest)).all() == []


def test_a_float_drained_after_asking_fails_the_approval_and_moves_nothing(fund: Fund) -> None:
    first = make(fund, FLOAT_TRANSFER, transfer(6_000_000 * KES), maker=ADMIN)
    second = make(
        fund,
        FLOAT_TRANSFER,
        transfer(6_000_000 * KES, external_reference="EQ-2026-1207-02"),
        maker=ADMIN,
    )
    assert check(fund, first.approval.id, checker=OTHER_ADMIN).failure is None
    decision = check(fund, second.approval.id, checker=OTHER_ADMIN)
    assert isinstance(decision.failure, InsufficientFloat)
    assert stored(fund, second.approval.id).status == ApprovalStatus.FAILED
    assert floats(fund) == (CAPITAL_MINOR - 6_000_000 * KES, 6_000_000 * KES)
    assert len(transfer_entries(fund)) == 1
    fund.assert_books_agree()


@pytest.mark.parametrize(
    "asked",
    [
        transfer(1_000, to_network="safaricom"),
        transfer(0),
        transfer(-5),
        transfer(1_000, from_network="telkom"),
        transfer(1_000, external_reference="has space"),
        {**transfer(1_000), "extra": 1},
    ],
)
def test_a_bad_float_transfer_is_refused_and_nothing_is_queued(
    fund: Fund, asked: dict[str, Any]
) -> None:
    with pytest.raises(InvalidFloatTransfer):
        make(fund, FLOAT_TRANSFER, asked, maker=ADMIN)
    with fund.sessions.reader() as session:
        assert session.scalars(select(ApprovalRequest)).all() == []


def test_one_pending_transfer_per_bank_reference(fund: Fund) -> None:
    make(fund, FLOAT_TRANSFER, transfer(1_000), maker=ADMIN)
    with pytest.raises(approvals.PendingRequestExists):
        make(fund, FLOAT_TRANSFER, transfer(2_000), maker=OTHER_ADMIN)
    assert timedelta(days=2) == FLOAT_TRANSFER.policy.expires_after
