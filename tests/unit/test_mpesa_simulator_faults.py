"""The simulator's fault toggles: spike arrest, answers held back after processing, the early
STK query, token revocation, and the toggles' own endpoint."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from integrations.mpesa.callbacks import StkQueryState, parse_stk_query_response
from integrations.mpesa.client import DarajaThrottled, StkState
from integrations.mpesa.results import b2c_result, balance_result, parse_result, status_result
from integrations.mpesa.simulator.app import create_simulator
from integrations.mpesa.simulator.keys import SimulatorKeys
from integrations.payments.port import PayoutOrder, Submission
from tests.unit.test_mpesa_simulator_harness import (
    B2C,
    BALANCE,
    BASE_URL,
    STK,
    STK_QUERY,
    WAIT_S,
    Harness,
    running_simulator,
)

FAULTS = "/__sim__/faults"


class GivesUp(httpx.BaseTransport):
    """Forwards each request on its own thread and stops waiting after ``patience_s``, as a
    client read timeout does: the request has arrived and carries on without us."""

    def __init__(self, forward: Callable[[httpx.Request], httpx.Response], patience_s: float):
        self.forward = forward
        self.patience_s = patience_s
        self.abandoned: list[threading.Thread] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answers: list[httpx.Response] = []
        worker = threading.Thread(target=lambda: answers.append(self.forward(request)))
        worker.start()
        worker.join(self.patience_s)
        if not answers:
            self.abandoned.append(worker)
            raise httpx.ReadTimeout("no answer in time", request=request)
        return answers[0]


def test_spike_arrest_throttles_the_next_calls_and_the_client_backs_off(sim: Harness) -> None:
    assert sim.http.post(FAULTS, json={"spike_arrest": 3}).json()["spike_arrest"] == 3
    headers = sim.headers()  # OAuth is not an authorised call: it is never throttled
    throttled = sim.http.post(BALANCE, json={}, headers=headers)
    assert throttled.status_code == 500
    assert throttled.json()["errorCode"] == "500.003.02"
    assert throttled.json()["errorMessage"] == "Error Occurred: Spike Arrest Violation"
    with sim.daraja() as daraja:  # two more throttled answers, then the third send goes through
        assert daraja.account_balance().accepted
    assert sim.http.get(FAULTS).json()["spike_arrest"] == 0
    assert balance_result(parse_result(sim.recorder.to("balance/result")[0])).result_code == "0"


def test_spike_arrest_past_the_client_bound_raises_throttled(sim: Harness) -> None:
    sim.http.post(FAULTS, json={"spike_arrest": 3})
    with sim.daraja() as daraja, pytest.raises(DarajaThrottled):
        daraja.account_balance()
    assert sim.recorder.calls == []


def test_an_answer_held_back_blocks_no_other_request_and_the_payment_is_made(
    keys: SimulatorKeys,
) -> None:
    delay_s = 0.5
    with running_simulator(keys) as sim:
        app = create_simulator(sim.state, sim.recorder)
        headers = sim.headers()
        body = sim.b2c_body()
        sim.http.post(FAULTS, json={"response_delay_s": delay_s, "paths": ["b2c"], "count": 1})

        async def scenario() -> tuple[float, float, dict[str, Any], httpx.Response]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                started = time.monotonic()

                async def payout() -> tuple[float, httpx.Response]:
                    answer = await client.post(B2C, json=body, headers=headers)
                    return time.monotonic() - started, answer

                async def look() -> tuple[float, dict[str, Any]]:
                    await asyncio.sleep(delay_s / 5)
                    snapshot = (await client.get("/__sim__/state")).json()
                    return time.monotonic() - started, snapshot

                (paid_s, answer), (looked_s, snapshot) = await asyncio.gather(payout(), look())
                return paid_s, looked_s, snapshot, answer

        paid_s, looked_s, snapshot, answer = asyncio.run(scenario())
        # count was 1: the next payout answers at once
        quick = sim.http.post(B2C, json=sim.b2c_body("payout-2"), headers=headers)
    assert answer.json()["ResponseCode"] == "0"
    assert paid_s >= delay_s
    assert looked_s < delay_s  # answered while the payout's answer was still held back
    [payout_then] = snapshot["transactions"]
    assert payout_then["state"] == "completed"  # processed before the answer was held back
    assert quick.json()["ResponseCode"] == "0"
    assert sim.state.faults.delay.seconds == 0


@pytest.mark.slow  # waits out a held-back answer: 1 s
def test_a_client_that_gives_up_on_a_held_back_payout_finds_it_completed(sim: Harness) -> None:
    sim.http.post(FAULTS, json={"response_delay_s": 1.0, "paths": ["b2c"]})
    gives_up = GivesUp(sim.forward, patience_s=0.2)
    with sim.daraja(transport=gives_up) as daraja:
        order = PayoutOrder("payout-slow", "0712345600", 2_000_00, "Loan disbursement")
        assert daraja.submit_payout(order).submission is Submission.UNKNOWN
    [(_, result_body)] = sim.recorder.wait_for(1)
    for worker in gives_up.abandoned:
        worker.join(WAIT_S)
    assert b2c_result(parse_result(result_body)).succeeded
    with sim.daraja() as daraja:
        assert daraja.transaction_status(originator_id="payout-slow").accepted
    status = status_result(parse_result(sim.recorder.to("status/result")[0]))
    assert status.status == "Completed"
    assert status.receipt == result_body["Result"]["TransactionID"]


def test_early_query_pending_answers_being_processed_even_for_a_closed_prompt(
    sim: Harness,
) -> None:
    push = sim.http.post(STK, json=sim.stk_body(), headers=sim.headers())
    checkout = push.json()["CheckoutRequestID"]
    assert len(sim.recorder.to("stk")) == 1  # the prompt is closed and paid
    sim.http.post(FAULTS, json={"early_query_pending": True})
    query = {key: sim.stk_body()[key] for key in ("BusinessShortCode", "Password", "Timestamp")}
    raw = sim.http.post(
        STK_QUERY, json=query | {"CheckoutRequestID": checkout}, headers=sim.headers()
    )
    assert raw.status_code == 500
    assert parse_stk_query_response(raw.json()).state is StkQueryState.PENDING
    with sim.daraja() as daraja:
        assert daraja.stk_query(checkout).state is StkState.PENDING
        assert sim.http.delete(FAULTS).json()["early_query_pending"] is False
        assert daraja.stk_query(checkout).state is StkState.SUCCEEDED


def test_revoked_tokens_are_refused_and_the_client_fetches_a_new_one(sim: Harness) -> None:
    oauth_calls: list[str] = []

    def counting(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v1/generate":
            oauth_calls.append(request.url.path)
        return sim.forward(request)

    old = sim.headers()
    with sim.daraja(transport=httpx.MockTransport(counting)) as daraja:
        assert daraja.account_balance().accepted
        revoked = sim.http.post("/__sim__/tokens/revoke").json()["revoked"]
        assert daraja.account_balance().accepted
    assert revoked == 2  # ours and the client's
    assert len(oauth_calls) == 2  # the refused token was replaced once
    refused = sim.http.post(B2C, json=sim.b2c_body(), headers=old)
    assert refused.status_code == 401
    assert refused.json()["errorCode"] == "401.002.01"
    assert len(sim.recorder.to("balance/result")) == 2


def test_faults_are_read_merged_and_cleared(sim: Harness) -> None:
    assert sim.http.get(FAULTS).json() == {
        "spike_arrest": 0,
        "response_delay_s": 0.0,
        "paths": [],
        "count": None,
        "early_query_pending": False,
    }
    sim.http.post(FAULTS, json={"response_delay_s": 2, "paths": ["status", "b2c"]})
    merged = sim.http.post(FAULTS, json={"spike_arrest": 1}).json()
    assert merged["paths"] == ["b2c", "status"]
    assert merged["response_delay_s"] == 2.0
    assert merged["spike_arrest"] == 1
    assert sim.http.delete(FAULTS).json()["spike_arrest"] == 0
    assert sim.http.get("/__sim__/state").json()["faults"]["paths"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"spike_arrest": -1}, "spike_arrest"),
        ({"spike_arrest": "2"}, "spike_arrest"),
        ({"response_delay_s": 301}, "response_delay_s"),
        ({"paths": ["b2c", "ussd"]}, "paths"),
        ({"count": 0}, "count"),
        ({"early_query_pending": "yes"}, "early_query_pending"),
        ({"drop_everything": True}, "drop_everything"),
    ],
)
def test_an_invalid_fault_is_refused_and_changes_nothing(
    sim: Harness, body: dict[str, Any], field: str
) -> None:
    answer = sim.http.post(FAULTS, json=body)
    assert answer.status_code == 400
    assert answer.json()["errorMessage"] == f"Bad Request - Invalid {field}"
    assert sim.http.get(FAULTS).json()["spike_arrest"] == 0
