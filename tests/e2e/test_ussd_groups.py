"""A group over USSD and the app, end to end: ten opted-in borrowers form a group (the chair
creates it in the app, the others accept on USSD, one invitee declines), the chair applies
three times: one application lapses at its deadline, one is rejected by a drawn member, one
is approved by the three drawn members and two officials on USSD and passes the payout gate
the same way. The SMS of each invitation and approval request are queued."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.groups.models import GroupApplication
from app.notifications.models import SmsMessage
from tests.e2e.test_ussd_dialler import Dialler
from tests.support.api import RecordingTaskQueue
from tests.support.groups import (
    app_headers,
    gateway_phone,
    phone_of,
    register_people,
)
from tests.support.lending import KES, Fund

PIN = "4826"
SIZE = 10


def accept_on_ussd(client: TestClient, n: int) -> str:
    phone = Dialler(client, phone=gateway_phone(n))
    assert phone.walk("6").startswith("CON Groups\n1. My groups\n2. Invitations (1)")
    assert phone.send("2").startswith("CON Invitations\n1. Umoja Traders")
    assert phone.send("1").startswith("CON Join Umoja Traders as")
    return phone.send("1")


def decide_on_ussd(client: TestClient, n: int, choice: str) -> str:
    """Open the first request waiting for person ``n`` and approve (1) or reject (2) it."""
    phone = Dialler(client, phone=gateway_phone(n))
    assert phone.walk("6", "3").startswith("CON To approve\n1. Umoja Traders")
    assert "Your share:" in phone.send("1") or "office" in phone.screens[-1]
    assert phone.send(choice) == "CON Enter your PIN to confirm your decision:"
    return phone.send(PIN)


def apply(client: TestClient, headers: dict[str, str], group_id: int, people: list[int]) -> dict:
    shares = [{"borrower_id": b, "amount_minor": 3_000 * KES} for b in people]
    answer = client.post(
        f"/api/v1/groups/{group_id}/applications",
        headers=headers,
        json={"amount_minor": 30_000 * KES, "schedule": "instalments", "shares": shares},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def person_of(people: list[int], borrower_id: int) -> int:
    return people.index(borrower_id)


def test_a_group_forms_on_ussd_and_one_application_lapses_one_is_rejected_one_is_paid_out_gated(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    people = register_people(fund, SIZE + 1)
    chair = app_headers(fund, people[0])
    created = client.post(
        "/api/v1/groups",
        headers=chair,
        json={
            "name": "Umoja Traders",
            "registration_number": "msea / 1234567",
            "role": "chair",
            "officials": {"secretary": phone_of(1), "treasurer": phone_of(2)},
        },
    )
    assert created.status_code == 201, created.text
    group_id = created.json()["id"]
    assert created.json()["status"] == "forming"
    assert accept_on_ussd(client, 1) == "END You have joined Umoja Traders."
    assert accept_on_ussd(client, 2) == "END You have joined Umoja Traders."
    for n in range(3, SIZE + 1):
        invited = client.post(
            f"/api/v1/groups/{group_id}/invitations", headers=chair, json={"phone": phone_of(n)}
        )
        assert invited.status_code == 201, invited.text
    for n in range(3, SIZE):
        assert accept_on_ussd(client, n) == "END You have joined Umoja Traders."
    declining = Dialler(client, phone=gateway_phone(SIZE))
    assert declining.walk("6", "2", "1", "2") == "END You declined to join Umoja Traders."
    detail = client.get(f"/api/v1/groups/{group_id}", headers=chair).json()
    assert detail["group"]["status"] == "active"
    assert len([m for m in detail["members"] if m["status"] == "active"]) == SIZE
    members = people[:SIZE]
    screen = Dialler(client, phone=gateway_phone(4)).walk("6", "1", "1")
    assert screen.startswith("CON Umoja Traders\nYou: member\nMembers: 10")

    # 1. Lapses: nobody decides before the deadline (72 hours).
    lapsing = apply(client, chair, group_id, members)
    assert lapsing["status"] == "pending_approval"
    assert len(lapsing["drawn"]) == 3
    assert people[0] not in lapsing["approvers"]
    fund.clock.advance(seconds=timedelta(hours=72).total_seconds())
    chair = app_headers(fund, people[0])  # the earlier session's token has expired
    drawn_one = person_of(people, lapsing["drawn"][0])
    assert Dialler(client, phone=gateway_phone(drawn_one)).walk("6", "3") == (
        "CON Nothing is waiting for your approval.\n0. Back"
    )
    read = client.get(f"/api/v1/group-applications/{lapsing['id']}", headers=chair).json()
    assert read["status"] == "lapsed"

    # 2. Rejected by one drawn member.
    rejected = apply(client, chair, group_id, members)
    first = person_of(people, rejected["drawn"][0])
    assert decide_on_ussd(client, first, "2") == "END You rejected the request: it is closed."
    read = client.get(f"/api/v1/group-applications/{rejected['id']}", headers=chair).json()
    assert read["status"] == "rejected"

    # 3. Approved by all five, then the payout gate by the same five.
    approved = apply(client, chair, group_id, members)
    approvers = [person_of(people, b) for b in approved["approvers"]]
    for n in approvers[:-1]:
        assert decide_on_ussd(client, n, "1") == ("END Approved. Waiting for the others to decide.")
    assert decide_on_ussd(client, approvers[-1], "1") == (
        "END Approved. Everyone has approved: the request is carried."
    )
    read = client.get(f"/api/v1/group-applications/{approved['id']}", headers=chair).json()
    assert read["status"] == "pending_payout_approval"
    assert [g["kind"] for g in read["gates"]] == ["group_application", "group_payout"]
    for n in approvers:
        assert decide_on_ussd(client, n, "1").startswith("END Approved.")
    read = client.get(f"/api/v1/group-applications/{approved['id']}", headers=chair).json()
    assert read["status"] == "ready_for_payout"
    assert [g["status"] for g in read["gates"]] == ["approved", "approved"]
    assert len(read["instalments"]) == 6

    with fund.sessions.reader() as session:
        statuses = session.scalars(
            select(GroupApplication.status).order_by(GroupApplication.id)
        ).all()
        invites = session.scalar(
            select(func.count()).where(SmsMessage.dedupe_key.like("group-invite:%"))
        )
        asks = session.scalar(
            select(func.count()).where(SmsMessage.dedupe_key.like("group-approval:%"))
        )
    assert statuses == ["lapsed", "rejected", "ready_for_payout"]
    assert invites == 2 + (SIZE + 1 - 3)  # two officials, eight members invited
    assert asks == 5 * 4  # four requests (three applications, one payout gate), five each
