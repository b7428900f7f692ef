"""What a real STK integration meets: a subscriber locked by the prompt on its screen, the same
amount pushed twice within 2 minutes (17), and every result a client must handle reachable by
the outcome rules (1019, 1025, 1032, 1037)."""

from __future__ import annotations

import pytest

from integrations.mpesa.callbacks import parse_stk_callback, parse_timeout
from integrations.mpesa.results import b2c_result, parse_result
from integrations.payments.port import Submission
from tests.unit.test_mpesa_simulator_harness import B2C, STK, Harness

PHONE = "254712345600"
UNABLE_TO_LOCK = (
    "Unable to lock subscriber, a transaction is already in process for the current subscriber"
)


def push(sim: Harness, amount_kes: int = 500, phone: str = PHONE) -> dict[str, str]:
    answer = sim.http.post(
        STK, json=sim.stk_body(phone, Amount=str(amount_kes)), headers=sim.headers()
    )
    body: dict[str, str] = answer.json()
    return body


def codes(sim: Harness) -> list[str]:
    return [parse_stk_callback(body).result_code for body in sim.recorder.to("stk")]


def test_a_second_push_to_a_phone_with_a_prompt_on_its_screen_is_refused_at_once(
    sim: Harness,
) -> None:
    sim.http.post("/__sim__/outcomes", json={"outcome": "pending", "msisdn": PHONE})
    first = push(sim, 500)
    second = sim.http.post(STK, json=sim.stk_body(PHONE, Amount="700"), headers=sim.headers())
    assert second.status_code == 500
    assert (second.json()["errorCode"], second.json()["errorMessage"]) == (
        "500.001.1001",
        UNABLE_TO_LOCK,
    )
    assert push(sim, 700, phone="254712345622")["ResponseCode"] == "0"  # another phone
    resolved = sim.http.post(
        f"/__sim__/stk/{first['CheckoutRequestID']}/resolve", json={"outcome": "cancelled"}
    )
    assert resolved.status_code == 200
    sim.http.post("/__sim__/outcomes", json={"outcome": "success", "msisdn": PHONE})
    assert push(sim, 700)["ResponseCode"] == "0"  # the screen is free again
    assert codes(sim) == ["0", "1032", "0"]


def test_our_client_reports_the_locked_subscriber_as_a_rejection(sim: Harness) -> None:
    sim.http.post("/__sim__/outcomes", json={"outcome": "pending", "msisdn": PHONE})
    with sim.daraja() as daraja:
        assert daraja.stk_push(PHONE, 500_00, "LN1").submission is Submission.ACCEPTED
        refused = daraja.stk_push(PHONE, 600_00, "LN1")
    assert (refused.submission, refused.code) == (Submission.REJECTED, "500.001.1001")
    assert refused.reason == UNABLE_TO_LOCK


def test_the_same_amount_to_the_same_customer_within_2_minutes_is_rule_limited(
    sim: Harness,
) -> None:
    assert push(sim, 500)["ResponseCode"] == "0"
    sim.clock.advance(seconds=119)
    assert push(sim, 500)["ResponseCode"] == "0"  # accepted; the callback declines it
    assert push(sim, 501)["ResponseCode"] == "0"  # another amount
    assert push(sim, 500, phone="254712345633")["ResponseCode"] == "0"  # another customer
    sim.clock.advance(seconds=119)
    assert push(sim, 500)["ResponseCode"] == "0"  # the window counts from the latest push
    sim.clock.advance(seconds=120)
    assert push(sim, 500)["ResponseCode"] == "0"  # two minutes on: allowed
    assert codes(sim) == ["0", "17", "0", "0", "17", "0"]
    rule_limited = parse_stk_callback(sim.recorder.to("stk")[1])
    assert rule_limited.result_desc == "Rule limited."
    assert sim.state.wallet(PHONE) == (50_000 - 500 - 501 - 500) * 100  # 17 moved nothing


def test_a_failed_push_still_counts_for_rule_17(sim: Harness) -> None:
    sim.http.post("/__sim__/outcomes", json={"outcome": "cancelled"})
    push(sim, 500)
    push(sim, 500)
    assert codes(sim) == ["1032", "17"]


@pytest.mark.parametrize(
    ("suffix", "outcome", "code", "desc"),
    [
        ("09", "expired", "1019", "Transaction has expired."),
        ("10", "push_error", "1025", "An error occurred while sending a push request."),
        ("01", "cancelled", "1032", "Request cancelled by user"),
        ("06", "timeout", "1037", "DS timeout user cannot be reached"),
    ],
)
def test_every_stk_failure_a_client_must_handle_is_reachable(
    sim: Harness, suffix: str, outcome: str, code: str, desc: str
) -> None:
    push(sim, 100, phone=f"2547123456{suffix}")
    sim.http.post("/__sim__/outcomes", json={"outcome": outcome, "msisdn": PHONE})
    push(sim, 100)
    assert [
        (r.result_code, r.result_desc) for r in map(parse_stk_callback, sim.recorder.to("stk"))
    ] == [
        (code, desc),
        (code, desc),
    ]
    assert sim.state.wallet(PHONE) == 50_000 * 100


def test_b2c_treats_expired_as_a_queue_timeout_and_push_error_as_system_busy(
    sim: Harness,
) -> None:
    expired = sim.b2c_body("p-09", PartyB="254712345609")
    busy = sim.b2c_body("p-10", PartyB="254712345610")
    for body in (expired, busy):
        assert sim.http.post(B2C, json=body, headers=sim.headers()).json()["ResponseCode"] == "0"
    [notice] = sim.recorder.to("b2c/timeout")
    assert parse_timeout(notice).originator_id == "p-09"
    [result] = sim.recorder.to("b2c/result")
    assert b2c_result(parse_result(result)).result_code == "26"
    assert sim.state.wallets.get("254712345609", 50_000 * 100) == 50_000 * 100
