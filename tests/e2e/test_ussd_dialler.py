"""A handset for the USSD tests (``Dialler``), the worker's part of a journey (``run_tasks``),
and the protocol's edges: malformed posts, foreign numbers, another phone's session, the
end-of-session notification."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.borrowers.models import Borrower
from app.mpesa.stk import QUERY_AFTER, send_stk, sweep_stk
from app.ussd.models import UssdSessionEvent
from app.ussd.registration import complete_registration
from tests.support.api import RecordingTaskQueue, app_for, fund_app
from tests.support.lending import GOOD_ID, Fund

URL = "/ussd/africastalking"
SERVICE_CODE = "*384*44135#"
PHONE = "+254712345678"  # GOOD_PHONE of tests.support.lending, as the gateway writes it
MAX_REPLY_CHARS = 182
_session_numbers = itertools.count(1)


def check_screen(reply: str) -> str:
    """Every reply: CON/END, plain ASCII, at most 182 characters."""
    assert reply.startswith(("CON ", "END ")), reply
    assert reply.isascii(), reply
    assert len(reply) <= MAX_REPLY_CHARS, (len(reply), reply)
    return reply


@dataclass
class Dialler:
    """One handset dialling the service code: each ``send`` is one hop, with the gateway's
    ``text`` (every input so far joined by ``*``)."""

    client: TestClient
    phone: str = PHONE
    network_code: str = "63902"
    """The gateway's ``networkCode``: Safaricom (63902) or Airtel (63903)."""
    session_id: str = ""
    inputs: list[str] = field(default_factory=list)
    screens: list[str] = field(default_factory=list)

    def dial(self) -> str:
        self.session_id = f"ATUid_test_{next(_session_numbers):06d}"
        self.inputs = []
        return self.post("")

    def send(self, entry: str) -> str:
        self.inputs.append(entry)
        return self.post("*".join(self.inputs))

    def post(self, text: str) -> str:
        answer = self.client.post(
            URL,
            data={
                "sessionId": self.session_id,
                "serviceCode": SERVICE_CODE,
                "phoneNumber": self.phone,
                "networkCode": self.network_code,
                "text": text,
            },
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/plain")
        self.screens.append(check_screen(answer.text))
        return answer.text

    def walk(self, *entries: str) -> str:
        """Dial, then type each entry; the last screen."""
        reply = self.dial()
        for entry in entries:
            reply = self.send(entry)
        return reply


def client_for(fund: Fund, tmp_path: Path, queue: RecordingTaskQueue) -> TestClient:
    app = fund_app(fund, tmp_path, tasks=queue)
    return TestClient(app)


def run_tasks(fund: Fund, queue: RecordingTaskQueue) -> list[str]:
    """Do what the worker would with the tasks handed over so far; their names."""
    done = []
    while queue.sent:
        name, args = queue.sent.pop(0)
        (argument,) = args
        assert isinstance(argument, int)
        if name == "ussd.complete_registration":
            complete_registration(fund.sessions, fund.ports, fund.clock, fund.policy, argument)
        elif name == "payments.submit_payout":
            fund.settle(argument)
        elif name == "mpesa.send_stk":
            send_stk(fund.sessions, fund.ports, fund.clock, argument)
            fund.clock.advance(seconds=QUERY_AFTER.total_seconds() + 1)
            sweep_stk(fund.sessions, fund.ports, fund.clock)  # the prompt was paid
        else:
            raise AssertionError(f"unexpected task {name}")
        done.append(name)
    return done


def register(
    client: TestClient,
    fund: Fund,
    queue: RecordingTaskQueue,
    phone: str = PHONE,
    national_id: str = GOOD_ID,
    pin: str = "4826",
) -> int:
    """Register over USSD and let the worker complete it; the new borrower's id."""
    reply = Dialler(client, phone=phone).walk("1", national_id, "1", pin, pin)
    assert reply.startswith("END Thank you"), reply
    assert run_tasks(fund, queue) == ["ussd.complete_registration"]
    with fund.sessions.reader() as session:
        index = fund.ports.blind_index.digest("msisdn", "254" + phone[-9:])
        borrower_id = session.scalar(select(Borrower.id).where(Borrower.phone_index == index))
    assert borrower_id is not None
    return borrower_id


def set_limit(fund: Fund, borrower_id: int, limit_minor: int, band: str | None) -> None:
    """As the scorecard (or an officer) would."""
    with fund.sessions.unit_of_work() as session:
        session.execute(
            update(Borrower)
            .where(Borrower.id == borrower_id)
            .values(credit_limit_minor=limit_minor, score_band=band)
        )


def test_a_post_that_is_not_a_gateway_hop_is_a_400_problem(client: TestClient) -> None:
    for body in [
        {"serviceCode": SERVICE_CODE, "phoneNumber": PHONE, "text": ""},
        {"sessionId": "x y", "serviceCode": SERVICE_CODE, "phoneNumber": PHONE, "text": ""},
        {"sessionId": "s1", "serviceCode": SERVICE_CODE, "phoneNumber": PHONE},
        {"sessionId": "s1", "serviceCode": SERVICE_CODE, "phoneNumber": PHONE, "text": "1" * 1001},
    ]:
        answer = client.post(URL, data=body)
        assert answer.status_code == 400, body
        assert answer.headers["content-type"].startswith("application/problem+json")
    not_utf8 = client.post(
        URL,
        content=b"sessionId=\xff",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert not_utf8.status_code == 400


def test_a_foreign_number_is_told_politely_and_nothing_is_stored(client: TestClient) -> None:
    reply = Dialler(client, phone="+447700900123").dial()
    assert reply == "END Sorry, Mkopo serves Kenyan mobile numbers only."


def test_a_session_id_from_another_phone_is_refused(client: TestClient) -> None:
    mine = Dialler(client)
    mine.dial()
    thief = Dialler(client, phone="+254722000111", session_id=mine.session_id)
    assert thief.post("1").startswith("END Sorry, this session belongs to another phone")


def test_the_end_of_session_notification_is_stored_once_and_answered_200(
    client: TestClient, fund: Fund
) -> None:
    form = {
        "durationInMillis": "192",
        "phoneNumber": "+254712345678",
        "errorMessage": "",
        "serviceCode": SERVICE_CODE,
        "lastAppResponse": "CON Mkopo",
        "hopsMetadata": "",
        "hopsCount": "3",
        "status": "Incomplete",
        "sessionId": "ATUid_f219",
        "cost": "0.00",
        "date": "2026-10-09 12:17:37",
        "networkCode": "99999",
        "input": "1*12345670*1*4826",
    }
    for _ in range(2):
        answer = client.post(f"{URL}/events", data=form)
        assert answer.status_code == 200
    with fund.sessions.reader() as session:
        events = session.scalars(select(UssdSessionEvent)).all()
    assert [(e.session_id, e.status, e.hops_count, e.duration_ms) for e in events] == [
        ("ATUid_f219", "Incomplete", 3, 192)
    ]
    stored = repr([vars(e) for e in events])
    assert "12345670" not in stored  # the inputs (IDs, PINs) are never stored
    assert "712345678" not in stored
    assert client.post(f"{URL}/events", data={"status": "Success"}).status_code == 400


def test_without_field_keys_a_hop_gets_an_apology_and_the_notification_is_still_kept(
    fund: Fund, tmp_path: Path
) -> None:
    app = app_for(
        fund.sessions.database,
        fund.clock,
        tmp_path / "seal.pem",
        field_keys_path=tmp_path / "missing.json",
    )
    with TestClient(app) as unconfigured:
        reply = Dialler(unconfigured).dial()
        assert reply == "END Sorry, Mkopo cannot do that right now. Please try again later."
        form = {"sessionId": "ATUid_nokeys", "status": "Success", "phoneNumber": PHONE}
        assert unconfigured.post(f"{URL}/events", data=form).status_code == 200
    with fund.sessions.reader() as session:
        event = session.scalars(select(UssdSessionEvent)).one()
    assert (event.session_id, event.phone_index) == ("ATUid_nokeys", None)
