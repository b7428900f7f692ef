"""Registration over USSD is finished by the worker: no provider inside a hop; refusals
reach the caller by SMS; a lost task is swept; one pending registration per phone; the ID
and PIN are never kept in clear."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.borrowers.models import Borrower
from app.tasks.sweeps import SweepIncomplete
from app.ussd import registration as registration_flow
from app.ussd.models import UssdRegistration, UssdSession
from app.ussd.registration import (
    MAX_ATTEMPTS,
    RETRY_AFTER,
    TASK_GRACE,
    complete_registration,
    sweep_registrations,
)
from integrations.sms.simulator import RecordingSmsSender
from tests.e2e.test_ussd_dialler import Dialler, register
from tests.support.api import RecordingTaskQueue
from tests.support.lending import Fund

MINOR_ID = "12345677"  # a 15-year-old in the identity simulator (docs/simulators.md)
UNKNOWN_ID = "91234567"


def collect(client: TestClient, national_id: str, phone: str = "+254712345678") -> int:
    """The USSD part only: the pending registration's id (its task is not run)."""
    reply = Dialler(client, phone=phone).walk("1", national_id, "1", "2580", "2580")
    assert reply.startswith("END Thank you"), reply
    queue: RecordingTaskQueue = client.app.state.runtime.tasks
    name, (registration_id,) = queue.sent.pop()
    assert name == "ussd.complete_registration"
    assert isinstance(registration_id, int)
    return registration_id


def registration(fund: Fund, registration_id: int) -> UssdRegistration:
    with fund.sessions.reader() as session:
        row = session.get(UssdRegistration, registration_id)
        assert row is not None
        return row


def texts_to(fund: Fund, phone: str) -> list[str]:
    assert isinstance(fund.ports.sms, RecordingSmsSender)
    return [sms.text for sms in fund.ports.sms.messages_to(phone)]


def test_the_hops_store_the_id_encrypted_and_the_pin_hashed_and_call_no_provider(
    client: TestClient, fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_provider(*_args: Any) -> None:
        raise AssertionError("a provider was called inside a hop")

    monkeypatch.setattr(fund.ports.identity, "lookup", no_provider)
    monkeypatch.setattr(fund.ports.kyc, "sim_info", no_provider)
    phone = Dialler(client)
    registration_id = collect(client, "12345670")
    pending = registration(fund, registration_id)
    assert pending.status == "pending"
    assert pending.national_id_enc
    assert "12345670" not in pending.national_id_enc
    assert fund.ports.cipher.decrypt(pending.national_id_enc) == "12345670"
    assert pending.pin_hash
    assert pending.pin_hash.startswith("scrypt-hmac$")
    with fund.sessions.reader() as session:
        stored = repr([vars(row) for row in session.scalars(select(UssdSession))])
    assert "12345670" not in stored
    assert "2580" not in stored
    assert phone.walk().startswith("END We are still checking")


def test_a_minor_and_an_unknown_id_are_refused_by_sms_and_may_try_again(
    client: TestClient, fund: Fund
) -> None:
    minor = collect(client, MINOR_ID)
    assert complete_registration(fund.sessions, fund.ports, fund.clock, fund.policy, minor) == (
        "refused"
    )
    refused = registration(fund, minor)
    assert (refused.reason, refused.national_id_enc, refused.pin_hash) == ("underage", None, None)
    assert refused.sms_sent_at is not None
    assert texts_to(fund, "0712345678") == [
        "Mkopo: you must be 18 or older to join. We could not register you."
    ]
    unknown = collect(client, UNKNOWN_ID)  # the phone may register again
    complete_registration(fund.sessions, fund.ports, fund.clock, fund.policy, unknown)
    assert registration(fund, unknown).reason == "identity_not_found"
    assert "not in the population register" in texts_to(fund, "0712345678")[-1]
    with fund.sessions.reader() as session:
        assert session.scalar(select(func.count()).select_from(Borrower)) == 0
    assert Dialler(client).walk().startswith("CON Welcome to Mkopo")


def test_an_id_registered_on_another_number_is_refused(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    register(client, fund, queue)
    other = collect(client, "12345670", phone="+254722000111")
    complete_registration(fund.sessions, fund.ports, fund.clock, fund.policy, other)
    assert registration(fund, other).reason == "national_id_registered_elsewhere"
    assert texts_to(fund, "0722000111") == [
        "Mkopo: your ID is registered on another number. Opt out on that number first, then "
        "dial again."
    ]


def test_a_lost_task_is_swept_and_a_failing_register_is_retried_then_given_up(
    client: TestClient, fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    lost = collect(client, "12345670")
    assert sweep_registrations(fund.sessions, fund.ports, fund.clock, fund.policy) == 0
    fund.clock.advance(seconds=TASK_GRACE.total_seconds())
    sweep_registrations(fund.sessions, fund.ports, fund.clock, fund.policy)
    assert registration(fund, lost).status == "completed"

    def register_down(*_args: Any) -> None:
        raise ConnectionError("the register is down")

    monkeypatch.setattr(fund.ports.identity, "lookup", register_down)
    failing = collect(client, "23456780", phone="+254722000111")
    for attempt in range(1, MAX_ATTEMPTS + 1):
        complete_registration(fund.sessions, fund.ports, fund.clock, fund.policy, failing)
        assert registration(fund, failing).attempts == attempt
        fund.clock.advance(seconds=RETRY_AFTER.total_seconds())
    given_up = registration(fund, failing)
    assert (given_up.status, given_up.reason) == ("failed", "checks_unavailable")
    assert texts_to(fund, "0722000111") == [
        "Mkopo: we could not check your details right now. Please dial again later to register."
    ]


def test_one_registration_per_phone_waits_at_a_time(
    client: TestClient, queue: RecordingTaskQueue
) -> None:
    phones = [Dialler(client), Dialler(client)]  # two sessions of one phone
    for phone in phones:
        assert phone.walk("1", "12345670", "1", "2580").startswith("CON Enter the same PIN")
    assert phones[0].send("2580").startswith("END Thank you")
    assert phones[1].send("2580").startswith("END We are still checking your registration")
    assert [name for name, _ in queue.sent] == ["ussd.complete_registration"]


def test_a_registration_that_fails_unexpectedly_is_passed_over_by_the_sweep(
    client: TestClient, fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One lost registration the worker cannot finish (an error, not a refusal) does not
    hold up the others; the run ends failed, naming it."""
    first = collect(client, "31000011", phone="+254722000137")
    second = collect(client, "31000021", phone="+254722000237")
    fund.clock.advance(seconds=TASK_GRACE.total_seconds())
    decide = registration_flow._decide

    def failing(*args: Any) -> str:
        if first in args:
            raise RuntimeError("the borrower row could not be written")
        return decide(*args)

    monkeypatch.setattr(registration_flow, "_decide", failing)
    with pytest.raises(SweepIncomplete) as failed:
        sweep_registrations(fund.sessions, fund.ports, fund.clock, fund.policy)
    assert failed.value.row_ids == [first]
    assert (registration(fund, first).status, registration(fund, second).status) == (
        "pending",
        "completed",
    )
