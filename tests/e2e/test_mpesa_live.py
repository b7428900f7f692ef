"""A borrower paid and repaying through the Daraja simulator, over real HTTP, on each
topology: the embedded setup (the API in a thread, one worker with beat built in, an SQLite
broker; on an SQLite file, then PostgreSQL) and production's (``mkopo serve``,
``mkopo worker --no-beat`` and ``mkopo worker --beat-only`` as separate processes on
PostgreSQL, with a Redis and with a RabbitMQ broker). Each test has its own borrower; the
books must balance after every one. The scheduler's liveness is checked on each topology as
well: a task that fails every run is counted and shown while the others keep running, and a
dead beat turns readiness off within its bound."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.clock import system_clock
from app.lending.models import LoanStatus
from app.payments.models import PayoutStatus
from app.staff.models import Role
from app.staff.service import create_staff_user
from app.tasks.hooks import EXIT_BEAT_DIED
from tests.e2e.test_ussd_dialler import Dialler
from tests.support.brokers import drop_queue, fresh_queue
from tests.support.live import READINESS_BOUND_S, LiveBroker, LiveStack, start_stack, wait_until
from tests.support.pii import borrower_secrets, every_row, findings

LOAN_MINOR = 200_00
CASH_MINOR = 190_00  # 5% compulsory savings stay with the fund
SETTLE_S = 40
"""Long enough for the slowest path: a lost result, 2 s grace, a status query and its callback."""
TOPOLOGIES = [
    pytest.param(("sqlite", "embedded"), id="sqlite-embedded"),
    pytest.param(("postgres", "embedded"), marks=pytest.mark.postgres, id="postgres-embedded"),
    pytest.param(
        ("postgres", "redis"), marks=[pytest.mark.postgres, pytest.mark.redis], id="postgres-redis"
    ),
    pytest.param(
        ("postgres", "rabbitmq"),
        marks=[pytest.mark.postgres, pytest.mark.rabbitmq],
        id="postgres-rabbitmq",
    ),
]


@pytest.fixture(scope="module", params=TOPOLOGIES)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveStack]:
    database_kind, broker_kind = request.param
    factory = request.getfixturevalue(f"{database_kind}_factory")
    root = tmp_path_factory.mktemp(f"live-{database_kind}-{broker_kind}")
    if broker_kind == "embedded":
        broker = LiveBroker("embedded", f"sqla+sqlite:///{root / 'broker.sqlite3'}", "celery")
    else:
        broker = LiveBroker(
            broker_kind, request.getfixturevalue(f"{broker_kind}_url"), fresh_queue()
        )
    name, url = factory.create()
    live = start_stack(root, url, broker)
    try:
        yield live
    finally:
        live.stop()
        factory.drop(name)
        if broker.production:
            drop_queue(broker.url, broker.queue)


@pytest.fixture
def live(stack: LiveStack) -> Iterator[LiveStack]:
    yield stack
    if stack.dead_processes():
        pytest.fail(f"{stack.dead_processes()} died:\n{stack.worker_log()}")
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
        if not live.processes["worker"].alive():
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


# -- the whole journey on a basic phone -----------------------------------------------------


def test_a_borrower_registers_borrows_and_repays_over_ussd(live: LiveStack) -> None:
    """Every hand-over to the worker crosses the broker from the API: the registration, the
    payout, the STK prompt; the loan is disbursed, then repaid by STK and by paybill."""
    national_id, phone = live.new_person()
    msisdn = f"254{phone[1:]}"
    with httpx.Client(base_url=live.api_url, timeout=30) as http:
        handset = Dialler(http, phone=f"+{msisdn}")  # type: ignore[arg-type]
        assert handset.walk("1", national_id, "1", "4826", "4826").startswith("END Thank you")
        borrower_id = wait_until(
            lambda: live.borrower_with_phone(msisdn), SETTLE_S, "the worker registered them"
        )
        handset.walk("1")
        handset.send("200")
        handset.send("1")
        assert handset.send("4826").startswith("END Done. KES 190.00 is on its way")
        wait_until(
            lambda: live.loan_of(borrower_id).status == LoanStatus.ACTIVE,
            SETTLE_S,
            f"the loan was disbursed\n{live.worker_log()}",
        )
        loan = live.loan_of(borrower_id)
        handset.walk("2")
        handset.send("100")
        assert handset.send("1").startswith("END You will get an M-Pesa prompt for KES 100.00")
        wait_until(lambda: live.repayments(loan.id) == 1, SETTLE_S, "the STK repayment")
    live.pay_bill(msisdn, 50, loan.account_number)
    wait_until(lambda: live.repayments(loan.id) == 2, SETTLE_S, "the paybill repayment")
    assert loan.outstanding_minor - live.loan_of(borrower_id).outstanding_minor == 150_00
    assert [t["amount_minor"] for t in wallet_credits(live, msisdn)] == [CASH_MINOR]


# -- the scheduler's liveness ---------------------------------------------------------------


def operations_view(live: LiveStack, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    answer = httpx.get(f"{live.api_url}/admin/v1/operations", headers=headers, timeout=10)
    answer.raise_for_status()
    return {task["entry"]: task for task in answer.json()["tasks"]}


def admin_headers(live: LiveStack) -> dict[str, str]:
    with live.sessions.unit_of_work() as session:
        _user, token = create_staff_user(
            session, f"ops{time.monotonic_ns()}", Role.ADMIN, system_clock()
        )
    return {"Authorization": f"Bearer {token}"}


def test_a_task_failing_every_run_is_counted_and_shown_while_the_others_keep_running(
    live: LiveStack,
) -> None:
    headers = admin_headers(live)
    key = live.settings.ledger_signing_key_path
    aside = key.with_name("ledger.pem.aside")
    key.rename(aside)  # sealing now fails on every run: no key
    try:
        failing = wait_until(
            lambda: (
                (seal := operations_view(live, headers)["seal-ledger"])["failures_consecutive"] >= 2
                and seal
            ),
            30,
            "seal-ledger failing twice in a row",
        )
        assert (failing["last_outcome"], failing["last_error"]) == ("failed", "SigningKeyMissing")
        callbacks_runs = operations_view(live, headers)["process-callbacks"]["runs_total"]
        metrics = httpx.get(f"{live.api_url}/metrics", timeout=10).text
        assert 'mkopo_periodic_task_consecutive_failures{task="accounting.seal_ledger"}' in metrics
        assert live.readiness().status_code == 200  # failing is not stalled
        wait_until(
            lambda: (
                operations_view(live, headers)["process-callbacks"]["runs_total"] > callbacks_runs
            ),
            30,
            "the other tasks kept running",
        )
    finally:
        aside.rename(key)
    wait_until(
        lambda: operations_view(live, headers)["seal-ledger"]["failures_consecutive"] == 0,
        30,
        "seal-ledger healed once the key was back",
    )


def test_a_dead_beat_turns_readiness_off_within_its_bound_and_a_restart_on_again(
    live: LiveStack,
) -> None:
    wait_until(lambda: live.readiness().status_code == 200, 60, "ready before beat dies")
    if live.broker.production:
        restart = live.processes["beat"]
        restart.kill()
    else:  # the worker's own beat: the worker must exit so a supervisor restarts it
        restart = live.processes["worker"]
        os.kill(restart.logged_pid("beat_started"), signal.SIGKILL)
        wait_until(lambda: not restart.alive(), 15, "the worker stopped when its beat died")
        assert restart.returncode == EXIT_BEAT_DIED
    died = time.monotonic()
    late = wait_until(
        lambda: (answer := live.readiness()).status_code == 503 and answer,
        READINESS_BOUND_S + 15,
        "readiness turned off",
    )
    took_s = time.monotonic() - died
    assert "process-callbacks" in late.json()["scheduler"]["overdue"]
    assert took_s <= READINESS_BOUND_S + 3, took_s
    restart.start()
    wait_until(lambda: live.readiness().status_code == 200, 60, "ready again after a restart")


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
