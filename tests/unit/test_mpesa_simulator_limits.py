"""M-Pesa's limit rules where Daraja puts them: a B2C payout or an STK push of a whole amount is
accepted, and the broken rule comes back in the result callback (2 below the minimum, 3 above
the maximum per transaction, 4 the customer's daily limit, 8 the maximum balance)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.mpesa.callbacks import parse_stk_callback
from integrations.mpesa.results import b2c_result, parse_result
from integrations.mpesa.simulator.keys import SimulatorKeys
from integrations.mpesa.simulator.limits import DailyTotals, Limits
from tests.unit.test_mpesa_simulator_harness import B2C, STK, Harness, running_simulator

KES = 100
PHONE = "254712345611"


def pay_out(sim: Harness, originator: str, amount_kes: int, phone: str = PHONE) -> str:
    """Send a payout; the result code of its callback (the answer must be an acceptance)."""
    body = sim.b2c_body(originator, Amount=str(amount_kes), PartyB=phone)
    answer = sim.http.post(B2C, json=body, headers=sim.headers())
    assert (answer.status_code, answer.json()["ResponseCode"]) == (200, "0")
    [result] = [
        r
        for r in sim.recorder.to("b2c/result")
        if r["Result"]["OriginatorConversationID"] == originator
    ]
    return b2c_result(parse_result(result)).result_code


def push(sim: Harness, amount_kes: int, phone: str = PHONE) -> str:
    """An STK push; the result code of its callback (the answer must be an acceptance)."""
    before = len(sim.recorder.to("stk"))
    answer = sim.http.post(
        STK, json=sim.stk_body(phone, Amount=str(amount_kes)), headers=sim.headers()
    )
    assert (answer.status_code, answer.json()["ResponseCode"]) == (200, "0")
    return parse_stk_callback(sim.recorder.to("stk")[before]).result_code


def set_wallet(sim: Harness, phone: str, balance_kes: int) -> None:
    answer = sim.http.post(
        "/__sim__/wallets", json={"msisdn": phone, "balance_minor": balance_kes * KES}
    )
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("amount_kes", "code"),
    [(5, "2"), (9, "2"), (10, "0"), (250_000, "0"), (250_001, "3"), (300_000, "3")],
)
def test_a_payout_out_of_range_is_accepted_and_its_result_names_the_rule(
    sim: Harness, amount_kes: int, code: str
) -> None:
    set_wallet(sim, PHONE, 0)
    before = sim.state.org.utility_minor
    assert pay_out(sim, "p-1", amount_kes) == code
    moved = amount_kes * KES if code == "0" else 0
    assert sim.state.org.utility_minor == before - moved


def test_a_payout_over_the_customer_s_daily_limit_fails_with_4(sim: Harness) -> None:
    set_wallet(sim, PHONE, 0)
    assert pay_out(sim, "p-1", 250_000) == "0"
    set_wallet(sim, PHONE, 0)  # the customer spent it: only the day's total stands in the way
    assert pay_out(sim, "p-2", 250_000) == "0"
    set_wallet(sim, PHONE, 0)
    assert pay_out(sim, "p-3", 10) == "4"
    assert pay_out(sim, "p-4", 10, phone="254712345612") == "0"  # another customer's day
    sim.clock.advance(days=1)
    assert pay_out(sim, "p-5", 10) == "0"  # a new day (midnight EAT)


def test_a_payout_that_would_fill_the_wallet_past_its_maximum_fails_with_8(sim: Harness) -> None:
    set_wallet(sim, PHONE, 499_990)
    assert pay_out(sim, "p-1", 11) == "8"
    assert pay_out(sim, "p-2", 10) == "0"  # exactly KES 500,000 is allowed
    assert sim.state.wallet(PHONE) == 500_000 * KES


def test_a_limit_rule_is_checked_before_the_utility_account(sim: Harness) -> None:
    sim.state.org.utility_minor = 0
    assert pay_out(sim, "p-1", 300_000) == "3"
    assert pay_out(sim, "p-2", 100) == "1"


@pytest.mark.parametrize(
    ("amount_kes", "code"), [(1, "0"), (250_000, "0"), (250_001, "3"), (300_000, "3")]
)
def test_an_stk_push_out_of_range_is_accepted_and_its_callback_names_the_rule(
    sim: Harness, amount_kes: int, code: str
) -> None:
    set_wallet(sim, PHONE, 400_000)  # enough money: the rule, not the balance, decides
    assert push(sim, amount_kes) == code


def test_an_stk_payment_over_the_customer_s_daily_limit_fails_with_4(sim: Harness) -> None:
    set_wallet(sim, PHONE, 600_000)
    assert push(sim, 250_000) == "0"
    assert push(sim, 249_999) == "0"
    assert push(sim, 2) == "4"  # 500,001 in one EAT day
    assert push(sim, 1) == "0"  # exactly 500,000


def test_an_stk_payment_that_would_fill_the_paybill_past_its_limit_fails_with_8(
    keys: SimulatorKeys,
) -> None:
    with running_simulator(keys, limits=Limits(org_balance_max_minor=1_000 * KES)) as sim:
        assert push(sim, 1_000) == "0"
        assert push(sim, 1) == "8"
        assert sim.state.org.working_minor == 1_000 * KES


def test_the_amount_s_form_is_still_refused_at_once(sim: Harness) -> None:
    for amount in ("0", "10.5", "-5", "1e3", "1000000000"):
        b2c = sim.http.post(B2C, json=sim.b2c_body(Amount=amount), headers=sim.headers())
        stk = sim.http.post(STK, json=sim.stk_body(Amount=amount), headers=sim.headers())
        for answer in (b2c, stk):
            assert answer.status_code == 400
            assert answer.json()["errorMessage"] == "Bad Request - Invalid Amount"
    assert sim.recorder.calls == []


def test_a_wallet_balance_is_checked_when_set(sim: Harness) -> None:
    for body in (
        {"msisdn": "0712345678", "balance_minor": 0},
        {"msisdn": PHONE, "balance_minor": -1},
        {"msisdn": PHONE, "balance_minor": True},
        {"msisdn": PHONE, "balance_minor": 10**13},
    ):
        assert sim.http.post("/__sim__/wallets", json=body).status_code == 400
    assert PHONE not in sim.state.wallets


def test_a_customer_s_day_ends_at_midnight_in_nairobi() -> None:
    totals = DailyTotals()
    morning = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)  # 00:00 EAT on 2 March
    late = datetime(2026, 3, 2, 20, 59, tzinfo=UTC)  # 23:59 EAT
    totals.add(PHONE, morning, 100)
    totals.add(PHONE, late, 50)
    assert totals.of(PHONE, late) == 150
    assert totals.of(PHONE, datetime(2026, 3, 2, 21, 0, tzinfo=UTC)) == 0  # 00:00 EAT, 3 March
