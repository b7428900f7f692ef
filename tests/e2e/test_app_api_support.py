"""Helpers for the app API tests (no tests here): an app on the test fund, a borrower who
registers through the API, and the worker's steps run by hand (payout, STK prompt)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.mobile.ports import app_ports
from app.mpesa.models import StkRequest
from app.mpesa.stk import record_stk_result, send_stk
from integrations.sms.simulator import RecordingSmsSender
from ledger import Ledger
from tests.support.api import RecordingTaskQueue, fund_app
from tests.support.lending import GOOD_ID, GOOD_PHONE, KES, Fund

API = "/api/v1"
OTHER_ID = "23456780"  # another valid adult (docs/simulators.md)
OTHER_PHONE = "0110123456"  # another old SIM with M-Pesa
PIN = "4826"
_CODE = re.compile(r"\b(\d{6})\b")

__all__ = [
    "API",
    "GOOD_ID",
    "GOOD_PHONE",
    "KES",
    "OTHER_ID",
    "OTHER_PHONE",
    "PIN",
    "AppWorld",
    "bearer",
    "key",
    "open_app",
]


@dataclass
class AppWorld:
    app: FastAPI
    client: TestClient
    fund: Fund
    tasks: RecordingTaskQueue

    @property
    def sms(self) -> RecordingSmsSender:
        sender = app_ports(self.app).sms
        assert isinstance(sender, RecordingSmsSender)
        return sender

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.client.post(API + path, json=body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(API + path, **kwargs)

    def last_code(self, phone: str) -> str:
        messages = self.sms.messages_to(phone)
        assert messages, "no SMS was sent"
        match = _CODE.search(messages[-1].text)
        assert match is not None
        return match.group(1)

    def verify(self, phone: str = GOOD_PHONE) -> str:
        started = self.post("/registration/start", {"phone": phone})
        assert started.status_code == 202, started.text
        verified = self.post(
            "/registration/verify", {"phone": phone, "code": self.last_code(phone)}
        )
        assert verified.status_code == 200, verified.text
        return str(verified.json()["verification_token"])

    def register(
        self, national_id: str = GOOD_ID, phone: str = GOOD_PHONE, pin: str = PIN
    ) -> dict[str, Any]:
        """Register through the API; returns the token answer (signed in)."""
        body = {
            "verification_token": self.verify(phone),
            "national_id": national_id,
            "accept_terms": True,
            "pin": pin,
        }
        answer = self.post("/registration/complete", body)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def login(self, phone: str = GOOD_PHONE, pin: str = PIN) -> dict[str, Any]:
        answer = self.post("/auth/login", {"phone": phone, "pin": pin})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def tasks_named(self, name: str) -> list[int]:
        return [int(args[0]) for task, args in self.tasks.sent if task == name]

    def run_payouts(self) -> None:
        """The worker sends each handed-over payout and M-Pesa reports the result."""
        for payout_id in self.tasks_named("payments.submit_payout"):
            self.fund.settle(payout_id)

    def run_stk(self, request_id: int) -> None:
        """The worker pushes the prompt, the borrower pays, M-Pesa reports it."""
        fund = self.fund
        send_stk(fund.sessions, fund.ports, fund.clock, request_id)
        with fund.sessions.reader() as session:
            checkout_id = session.scalar(
                select(StkRequest.checkout_id).where(StkRequest.id == request_id)
            )
        assert checkout_id is not None
        result = fund.provider.query_collection(checkout_id)
        assert result is not None
        with fund.sessions.unit_of_work() as session:
            record_stk_result(session, Ledger(session, fund.clock), result, fund.clock())


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


@contextmanager
def open_app(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    """The API on the fund's database and keys; tasks recorded instead of queued."""
    tasks = RecordingTaskQueue()
    app = fund_app(fund, tmp_path, tasks, payment_provider="memory")
    with TestClient(app) as client:
        yield AppWorld(app, client, fund, tasks)
