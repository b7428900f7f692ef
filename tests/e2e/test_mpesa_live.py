"""A borrower paid and repaying through the Daraja simulator, over real HTTP: the API and
the simulator under uvicorn, a real Celery worker process, one database (SQLite file, then
PostgreSQL). Each test has its own borrower; the books must balance after every one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.lending.models import LoanStatus
from app.payments.models import PayoutStatus
from tests.support.live import LiveStack, start_stack, wait_until
from tests.support.pii import borrower_secrets, every_row, findings

LOAN_MINOR = 200_00
CASH_MINOR = 190_00  # 5% compulsory savings stay with the fund
SETTLE_S = 40
"""Long enough for the slowest path: a lost result, 2 s grace, a status query and its callback."""


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveStack]:
    factory = request.getfixturevalue(f"{request.param}_factory")
    name, url = factory.create()
    live = start_stack(tmp_path_factory.mktemp(f"live-{request.param}"), url)
    try:
        yield live
    finally:
        live.stop()
        factory.drop(name)


@pytest.fixture
def live(stack: LiveStack) -> Iterator[LiveStack]:
    yield stack
    if stack.worker is not None and stack.worker.poll() is not None:
        pytest.fail(f"the worker died:\n{stack.worker_log()}")
    stack.assert_books_agree()


def settled(live: LiveStack, payout_id: int) -> str:
    status = wait_until(
        lambda: (s := live.payout(payout_id).status) in ("succeeded", "failed") and s,
        SETTLE_S,
        f"payout {payout_id} settled\n{live.worker_log()}",
    )
    return str(status)


def borrow(live: LiveStack, outcome: str | None = None, **extra: object) -> tuple[int, str, int]:
    borrower_id, msisdn = live.register()
    if outcome is not None:
        live.set_outcome(msisdn, outcome, **extra)
    return borrower_id, msisdn, live.request_loan(borrower_id, LOAN_MINOR)


def wallet_credits(live: LiveStack, msisdn: str) -> list[dict[str, object]]:
    return [t for t in live.sim_transactions("b2c", msisdn) if t["state"] == "completed"]


# -- disbursement (B2C) -------------------------------------------------------------------------


def test_a_loan_is_disbursed_to_the_borrower_s_phone(live: LiveStack) -> None:
    borrower_id, msisdn, payout_id = borrow(live)
    assert settled(live, payout_id) == PayoutStatus.SUCCEEDED
    assert live.loan_of(borrower_id).status == LoanStatus.ACTIVE
    paid = wallet_credits(live, msisdn)
    assert [t["amount_minor"] for t in paid] == [CASH_MINOR]
    assert live.payout(payout_id).provider_receipt == paid[0]["receipt"]


def test_insufficient_funds_cancels_the_loan_and_restores_the_limit(live: LiveStack) -> None:
    borrower_id, msisdn, payout_id = borrow(live, "insufficient")
    assert settled(live, payout_id) == PayoutStatus.FAILED
    assert live.loan_of(borrower_id).status == LoanStatus.CANCELLED
    assert wallet_credits(live, msisdn) == []
    live.set_outcome(msisdn, "success")
    retry = live.request_loan(borrower_id, LOAN_MINOR)  # the whole limit is back
    assert settled(live, retry) == PayoutStatus.SUCCEEDED


def test_a_loan_that_would_fill_the_wallet_past_its_maximum_fails_with_limit_rule_8(
    live: LiveStack,
) -> None:
    """M-Pesa accepts the payout and declines it in the result (Daraja's limit rules)."""
    borrower_id, msisdn = live.register()
    live.set_wallet(msisdn, 500_000_00 - CASH_MINOR + 100)
    payout_id = live.request_loan(borrower_id, LOAN_MINOR)
    assert settled(live, payout_id) == PayoutStatus.FAILED
    payout = live.payout(payout_id)
    assert (payout.failure_code, payout.failure_reason) == (
        "8",
        "The customer's M-Pesa balance would go over its maximum (limit rule 8)",
    )
    assert live.loan_of(borrower_id).status == LoanStatus.CANCELLED
    assert wallet_credits(live, msisdn) == []


def test_a_queue_timeout_then_a_completed_status_disburses_once(live: LiveStack) -> None:
    borrower_id, msisdn, payout_id = borrow(live, "late")
    assert settled(live, payout_id) == PayoutStatus.SUCCEEDED
    assert live.loan_of(borrower_id).status == LoanStatus.ACTIVE
    assert len(wallet_credits(live, msisdn)) == 1
    assert live.callbacks("b2c/timeout") >= 1
    assert live.callbacks("status/result") >= 1


def test_a_lost_b2c_result_is_found_by_the_status_job(live: LiveStack) -> None:
    borrower_id, msisdn, payout_id = borrow(live, "lost")
    assert settled(live, payout_id) == PayoutStatus.SUCCEEDED
    assert live.loan_of(borrower_id).status == LoanStatus.ACTIVE
    assert len(wallet_credits(live, msisdn)) == 1


def test_a_result_delivered_ten_times_at_once_disburses_once(live: LiveStack) -> None:
    borrower_id, msisdn, payout_id = borrow(live, "duplicate", copies=10)
    assert settled(live, payout_id) == PayoutStatus.SUCCEEDED
    assert len(wallet_credits(live, msisdn)) == 1
    originator = live.payout(payout_id).originator_id
    wait_until(
        lambda: (row := live.callback("b2c/result", originator)) and row.deliveries == 10,
        10,
        "ten deliveries, stored as one callback",
    )
    entries = live.entries(f"loan:{live.loan_of(borrower_id).id}")
    assert [e.idempotency_key for e in entries if e.idempotency_key.endswith(":post")] == [
        f"payout:{originator}:post"
    ]


def test_a_worker_killed_mid_payment_never_pays_twice(live: LiveStack) -> None:
    """The worker is killed after the simulator has paid but before it hears the answer; a
    new worker re-sends under the same id (refused as a duplicate) and asks for the status."""
    borrower_id, msisdn = live.register()
    live.sim("POST", "/__sim__/faults", json={"response_delay_s": 8, "paths": ["b2c"], "count": 1})
    try:
        payout_id = live.request_loan(borrower_id, LOAN_MINOR)
        wait_until(lambda: wallet_credits(live, msisdn), 20, "the simulator paid")
        live.kill_worker()
    finally:
        live.sim("DELETE", "/__sim__/faults")
        if live.worker is not None and live.worker.poll() is not None:
            live.start_worker()
    assert settled(live, payout_id) == PayoutStatus.SUCCEEDED
    assert live.loan_of(borrower_id).status == LoanStatus.ACTIVE
    assert len(wallet_credits(live, msisdn)) == 1
    assert len(live.sim_transactions("b2c", msisdn)) == 1


# -- repayment by STK push ---------------------------------------------------------------------


def stk_repay(live: LiveStack, outcome: str) -> tuple[int, int, str]:
    """A borrower with an active loan answers a KES 100 prompt with ``outcome``:
    (outstanding before, after, the request's final status)."""
    borrower_id, msisdn, payout_id = borrow(live)
    assert settled(live, payout_id) == PayoutStatus.SUCCEEDED
    live.set_outcome(msisdn, outcome)
    before = live.loan_of(borrower_id).outstanding_minor
    request_id = live.request_stk(borrower_id, 100_00)
    status = wait_until(
        lambda: (s := live.stk_status(request_id)) in ("succeeded", "failed") and s,
        SETTLE_S,
        f"STK {request_id} settled\n{live.worker_log()}",
    )
    loan = live.loan_of(borrower_id)
    assert live.repayments(loan.id) == (1 if status == "succeeded" else 0)
    return before, loan.outstanding_minor, str(status)


@pytest.mark.parametrize("outcome", ["success", "lost"])
def test_an_stk_repayment_is_applied_once(live: LiveStack, outcome: str) -> None:
    """On its callback, or (lost) on the STK query."""
    before, after, status = stk_repay(live, outcome)
    assert status == "succeeded"
    assert before - after == 100_00


@pytest.mark.parametrize("outcome", ["cancelled", "wrong_pin"])
def test_a_refused_stk_prompt_moves_nothing(live: LiveStack, outcome: str) -> None:
    before, after, status = stk_repay(live, outcome)
    assert status == "failed"
    assert before == after


# -- paybill (C2B) -----------------------------------------------------------------------------


def test_paybill_payments_to_the_loan_number_and_to_the_phone_repay_the_loan(
    live: LiveStack,
) -> None:
    borrower_id, msisdn, payout_id = borrow(live)
    assert settled(live, payout_id) == PayoutStatus.SUCCEEDED
    loan = live.loan_of(borrower_id)
    live.pay_bill(msisdn, 50, loan.account_number)
    live.pay_bill(msisdn, 30, "0" + msisdn[3:])
    wait_until(lambda: live.repayments(loan.id) == 2, SETTLE_S, "two paybill repayments")
    after = live.loan_of(borrower_id)
    assert loan.outstanding_minor - after.outstanding_minor == 80_00


def test_validation_turns_a_payment_to_an_unknown_account_away(live: LiveStack) -> None:
    _, msisdn = live.register()
    live.pay_bill(msisdn, 75, "NO SUCH LOAN")
    tried = wait_until(
        lambda: [t for t in live.sim_transactions("c2b", msisdn) if t["state"] != "pending"],
        10,
        "validation answered",
    )
    assert [t["state"] for t in tried] == ["failed"]  # the payer keeps the money
    assert live.unmatched(str(tried[0]["receipt"])) is None


def test_without_validation_an_unknown_account_waits_in_suspense(live: LiveStack) -> None:
    _, msisdn = live.register()
    live.register_c2b_urls(validation=False)
    try:
        live.pay_bill(msisdn, 75, "NO SUCH LOAN")
        paid = wait_until(lambda: live.sim_transactions("c2b", msisdn), 10, "the payment")
    finally:
        live.register_c2b_urls()
    held = wait_until(lambda: live.unmatched(paid[0]["receipt"]), SETTLE_S, "in suspense")
    assert (held.amount_minor, held.account_reference, held.status) == (75_00, "NOSUCHLOAN", "open")


# -- personal data at rest and in the logs -------------------------------------------------------


def test_after_a_full_run_no_table_and_no_log_line_holds_a_number_id_or_name_in_clear(
    live: LiveStack,
) -> None:
    """Last in the module, so it scans everything the run before it wrote as well: a loan
    paid out (B2C result: the receiver's number and name), repaid by STK (the payer's
    number) and by paybill to the loan number and to the phone number."""
    borrower_id, msisdn, payout_id = borrow(live)
    assert settled(live, payout_id) == PayoutStatus.SUCCEEDED
    request_id = live.request_stk(borrower_id, 100_00)
    wait_until(lambda: live.stk_status(request_id) == "succeeded", SETTLE_S, "STK repaid")
    loan = live.loan_of(borrower_id)
    live.pay_bill(msisdn, 20, loan.account_number)
    live.pay_bill(msisdn, 30, "0" + msisdn[3:])
    wait_until(lambda: live.repayments(loan.id) == 3, SETTLE_S, "paybill repayments")
    wait_until(lambda: live.callbacks_waiting() == 0, SETTLE_S, "every callback processed")
    secrets = borrower_secrets(live.sessions, live.ports().cipher)
    assert msisdn in secrets.numbers
    dump = list(every_row(live.database.write_engine))
    rows, in_tables = findings(dump, secrets)
    lines, in_logs = findings(live.log_lines(), secrets)
    tables = len({table for table, _ in dump})
    print(f"PII scan: {rows} rows of {tables} tables, {lines} log lines")  # the figures
    assert rows > 30  # the journey alone writes about 60
    assert lines > 50
    assert in_tables == []
    assert in_logs == []
