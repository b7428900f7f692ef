"""How the simulator's callbacks travel: late (notice, yet paid), timeout (notice, not paid),
duplicates delivered concurrently, delayed delivery that blocks nothing."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from integrations.mpesa.callbacks import parse_stk_callback, parse_timeout
from integrations.mpesa.results import b2c_result, parse_result, status_result
from integrations.mpesa.simulator.keys import SimulatorKeys
from tests.unit.test_mpesa_simulator_harness import (
    B2C,
    STK,
    WAIT_S,
    Harness,
    Recorder,
    running_simulator,
)


def status_of(sim: Harness, originator: str) -> Any:
    with sim.daraja() as daraja:
        assert daraja.transaction_status(originator_id=originator).accepted
    return status_result(parse_result(sim.recorder.to("status/result")[-1]))


def test_a_late_payout_sends_only_the_timeout_notice_yet_pays_and_reads_completed(
    sim: Harness,
) -> None:
    utility, wallet = sim.state.org.utility_minor, sim.state.wallet("254712345607")
    body = sim.b2c_body("payout-late", PartyB="254712345607")
    answer = sim.http.post(B2C, json=body, headers=sim.headers())
    assert answer.json()["ResponseCode"] == "0"
    [(url, notice)] = sim.recorder.calls
    assert url.endswith("/b2c/timeout")
    assert parse_timeout(notice).originator_id == "payout-late"
    assert sim.recorder.to("b2c/result") == []
    assert sim.state.org.utility_minor == utility - 1_500_00
    assert sim.state.wallet("254712345607") == wallet + 1_500_00
    status = status_of(sim, "payout-late")
    assert status.status == "Completed"
    assert status.receipt is not None
    assert status.amount_minor == 1_500_00


def test_a_timed_out_payout_moves_no_money_and_reads_expired(sim: Harness) -> None:
    utility = sim.state.org.utility_minor
    body = sim.b2c_body("payout-timeout", PartyB="254712345606")
    sim.http.post(B2C, json=body, headers=sim.headers())
    assert [url.rsplit("/", 1)[-1] for url, _ in sim.recorder.calls] == ["timeout"]
    assert sim.state.org.utility_minor == utility
    status = status_of(sim, "payout-timeout")
    assert status.status == "Expired"
    assert status.receipt is None  # never processed


def test_a_duplicate_result_is_delivered_n_times_at_once(keys: SimulatorKeys) -> None:
    # Every delivery waits at the barrier until all five have arrived: sequential deliveries
    # would break it (BrokenBarrierError) instead of passing it.
    together = threading.Barrier(5, timeout=WAIT_S)
    threads: set[str] = set()

    def arrive(_url: str, _body: dict[str, Any]) -> None:
        threads.add(threading.current_thread().name)
        together.wait()

    with running_simulator(keys, recorder=Recorder(arrive)) as sim:
        set_to = {"outcome": "duplicate", "copies": 5, "msisdn": "254712345611"}
        assert sim.http.post("/__sim__/outcomes", json=set_to).json()["copies"] == 5
        sim.http.post(B2C, json=sim.b2c_body(PartyB="254712345611"), headers=sim.headers())
        bodies = [body for _, body in sim.recorder.wait_for(5)]
    results = [b2c_result(parse_result(body)) for body in bodies]
    assert len(threads) == 5
    assert {r.receipt for r in results} == {results[0].receipt}
    assert all(r.succeeded for r in results)
    assert sim.state.org.utility_minor == 1_000_000_00 - 1_500_00  # paid once


def test_the_duplicate_suffix_sends_the_stk_callback_twice_concurrently(
    keys: SimulatorKeys,
) -> None:
    together = threading.Barrier(2, timeout=WAIT_S)
    with running_simulator(keys, recorder=Recorder(lambda *_: together.wait())) as sim:
        sim.http.post(STK, json=sim.stk_body("254712345605"), headers=sim.headers())
        first, second = (parse_stk_callback(body) for _, body in sim.recorder.wait_for(2))
    assert first == second
    assert first.succeeded


def test_a_delayed_callback_arrives_later_without_holding_the_answer(sim: Harness) -> None:
    delay_s = 0.4
    sim.http.post("/__sim__/outcomes", json={"outcome": "delayed", "delay_s": delay_s})
    headers = sim.headers()
    started = time.monotonic()
    answer = sim.http.post(STK, json=sim.stk_body(), headers=headers)
    answered_s = time.monotonic() - started
    assert answer.json()["ResponseCode"] == "0"
    assert sim.recorder.calls == []
    assert answered_s < delay_s
    # The payment is already made: only the callback waits.
    checkout = answer.json()["CheckoutRequestID"]
    with sim.daraja() as daraja:
        assert daraja.stk_query(checkout).state.value == "succeeded"
    [(url, body)] = sim.recorder.wait_for(1)
    assert time.monotonic() - started >= delay_s
    assert url.endswith("/stk")
    assert parse_stk_callback(body).checkout_id == checkout


def test_the_delayed_suffix_uses_the_configured_default_delay(keys: SimulatorKeys) -> None:
    with running_simulator(keys, default_delay_s=0.2) as sim:
        sim.http.post(B2C, json=sim.b2c_body(PartyB="254712345608"), headers=sim.headers())
        assert sim.recorder.calls == []
        [(_, body)] = sim.recorder.wait_for(1)
    assert b2c_result(parse_result(body)).succeeded


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "duplicate", "copies": 0}, "copies"),
        ({"outcome": "duplicate", "copies": 21}, "copies"),
        ({"outcome": "duplicate", "copies": True}, "copies"),
        ({"outcome": "delayed", "delay_s": -1}, "delay_s"),
        ({"outcome": "delayed", "delay_s": 601}, "delay_s"),
        ({"outcome": "sometimes"}, "outcome"),
    ],
)
def test_outcome_settings_out_of_range_are_refused(
    sim: Harness, body: dict[str, Any], field: str
) -> None:
    answer = sim.http.post("/__sim__/outcomes", json=body)
    assert answer.status_code == 400
    assert answer.json()["errorMessage"] == f"Bad Request - Invalid {field}"
