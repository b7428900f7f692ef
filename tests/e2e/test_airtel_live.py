"""A borrower on Airtel Money, paid and repaying through the Airtel simulator over real HTTP:
the API in a thread, one ``mkopo worker`` with beat built in and ``mkopo simulator --provider
airtel`` as processes, an SQLite broker (the embedded topology), on an SQLite file and on
PostgreSQL. The borrower's number (0733...) routes every payout and push to Airtel; Airtel's
callbacks reach the API, are stored, confirmed by the worker's enquiry and applied once.
Each test has its own borrower; the books must balance after every one.
(tests/e2e/test_mpesa_live.py does the same for M-Pesa, on every topology.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.lending.models import LoanStatus, Repayment
from app.mpesa.models import StkRequest
from app.payments.models import PayoutStatus
from integrations.payments.networks import Network
from tests.e2e.test_ussd_dialler import Dialler
from tests.support.live import LiveBroker, LiveStack, start_stack, wait_until
from tests.support.live_airtel import AirtelSimulator

LOAN_MINOR = 200_00
CASH_MINOR = 190_00  # 5% compulsory savings stay with the fund
REPAY_MINOR = 100_00
SETTLE_S = 40
"""Long enough for the slowest path: a lost callback, 2 s grace, an enquiry."""
AIRTEL_USSD_CODE = "63903"
TOPOLOGIES = [
    pytest.param("sqlite", id="sqlite-embedded"),
    pytest.param("postgres", marks=pytest.mark.postgres, id="postgres-embedded"),
]


@pytest.fixture(scope="module", params=TOPOLOGIES)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveStack]:
    database_kind = request.param
    factory = request.getfixturevalue(f"{database_kind}_factory")
    root = tmp_path_factory.mktemp(f"live-airtel-{database_kind}")
    broker = LiveBroker("embedded", f"sqla+sqlite:///{root / 'broker.sqlite3'}", "celery")
    name, url = factory.create()
    live = start_stack(root, url, broker, airtel=True)
    try:
        yield live
    finally:
        live.stop()
        factory.drop(name)


@pytest.fixture
def live(stack: LiveStack) -> Iterator[LiveStack]:
    yield stack
    if stack.dead_processes():
        pytest.fail(f"{stack.dead_processes()} died:\n{stack.worker_log()}")
    stack.assert_books_agree()


def airtel(live: LiveStack) -> AirtelSimulator:
    assert live.airtel is not None
    return live.airtel


def settled(live: LiveStack, payout_id: int) -> str:
    status = wait_until(
        lambda: (s := live.payout(payout_id).status) in ("succeeded", "failed") and s,
        SETTLE_S,
        f"payout {payout_id} settled\n{live.worker_log()}",
    )
    return str(status)


def borrow(live: LiveStack, outcome: str | None = None, **extra: object) -> tuple[int, str, int]:
    """A new Airtel borrower asks for KES 200: (borrower id, 2547... number, payout id)."""
    borrower_id, msisdn = live.register(airtel=True)
    if outcome is not None:
        airtel(live).set_outcome(msisdn, outcome, **extra)
    payout_id = live.request_loan(borrower_id, LOAN_MINOR)
    assert live.payout(payout_id).network == Network.AIRTEL
    return borrower_id, msisdn, payout_id


def wallet_credits(live: LiveStack, msisdn: str) -> list[dict[str, Any]]:
    """The disbursements that reached the borrower's Airtel Money wallet."""
    return [t for t in airtel(live).transactions("disbursement", msisdn) if t["status"] == "TS"]


def payments_in(live: LiveStack, msisdn: str) -> list[dict[str, Any]]:
    """The USSD-push collections the borrower paid."""
    return [t for t in airtel(live).transactions("collection", msisdn) if t["status"] == "TS"]


def repayment_keys(live: LiveStack, loan_id: int) -> list[str]:
    with live.sessions.reader() as session:
        keys = select(Repayment.idempotency_key).where(Repayment.loan_id == loan_id)
        return list(session.scalars(keys))


def last_push(live: LiveStack, borrower_id: int) -> StkRequest:
    with live.sessions.reader() as session:
        found = session.scalars(
            select(StkRequest)
            .where(StkRequest.borrower_id == borrower_id)
            .order_by(StkRequest.id.desc())
        ).first()
        assert found is not None
        return found


def processed_callback(live: LiveStack, kind: str, natural_key: str, deliveries: int = 1) -> None:
    wait_until(
        lambda: (
            (row := live.callback(kind, natural_key)) is not None
            and (row.status, row.deliveries) == ("processed", deliveries)
        ),
        SETTLE_S,
        f"{kind} {natural_key}: stored once ({deliveries} deliveries) and processed\n"
        f"{live.worker_log()}",
    )


# -- the whole journey on a basic phone -----------------------------------------------------


def test_an_airtel_borrower_registers_borrows_and_repays_over_ussd(live: LiveStack) -> None:
    """Registered over USSD, KES 200 borrowed, KES 190 paid out through Airtel, KES 100
    repaid by a USSD push. Each callback crosses HTTP to the API and is stored and processed
    (the worker applies what its enquiry answers); the repayment is applied once, by Airtel's
    id."""
    national_id, phone = live.new_person(airtel=True)
    msisdn = f"254{phone[1:]}"
    with httpx.Client(base_url=live.api_url, timeout=30) as http:
        handset = Dialler(http, phone=f"+{msisdn}", network_code=AIRTEL_USSD_CODE)  # type: ignore[arg-type]
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
        paid = wallet_credits(live, msisdn)
        assert [t["amount_minor"] for t in paid] == [CASH_MINOR]
        processed_callback(live, "airtel/disbursement", f"{paid[0]['id']}:TS")
        loan = live.loan_of(borrower_id)
        handset.walk("2")
        handset.send("100")
        assert handset.send("1").startswith("END You will get an")
        wait_until(lambda: live.repayments(loan.id) == 1, SETTLE_S, "the USSD-push repayment")
    push = last_push(live, borrower_id)
    assert (push.network, push.status) == (Network.AIRTEL, "succeeded")
    collected = payments_in(live, msisdn)
    assert [t["amount_minor"] for t in collected] == [REPAY_MINOR]
    processed_callback(live, "airtel/collection", f"{collected[0]['id']}:TS")
    assert repayment_keys(live, loan.id) == [f"airtel:{collected[0]['airtel_money_id']}"]
    assert push.receipt == collected[0]["airtel_money_id"]
    assert loan.outstanding_minor - live.loan_of(borrower_id).outstanding_minor == REPAY_MINOR
    assert airtel(live).wallet_minor(msisdn) is not None


# -- disbursement -----------------------------------------------------------------------------


def test_an_airtel_payout_reaches_the_wallet_and_names_airtel_s_receipt(live: LiveStack) -> None:
    borrower_id, msisdn, payout_id = borrow(live)
    assert settled(live, payout_id) == PayoutStatus.SUCCEEDED
    assert live.loan_of(borrower_id).status == LoanStatus.ACTIVE
    paid = wallet_credits(live, msisdn)
    assert [t["amount_minor"] for t in paid] == [CASH_MINOR]
    assert live.payout(payout_id).provider_receipt == paid[0]["airtel_money_id"]


def test_a_refused_airtel_payout_cancels_the_loan_and_restores_the_limit(
    live: LiveStack,
) -> None:
    """Airtel refuses at once (insufficient funds, DP00900001007): voided, nothing paid."""
    borrower_id, msisdn, payout_id = borrow(live, "insufficient")
    assert settled(live, payout_id) == PayoutStatus.FAILED
    assert live.loan_of(borrower_id).status == LoanStatus.CANCELLED
    assert wallet_credits(live, msisdn) == []
    airtel(live).set_outcome(msisdn, "success")
    retry = live.request_loan(borrower_id, LOAN_MINOR)  # the whole limit is back
    assert settled(live, retry) == PayoutStatus.SUCCEEDED
    assert [t["amount_minor"] for t in wallet_credits(live, msisdn)] == [CASH_MINOR]


def test_a_lost_disbursement_callback_is_resolved_by_the_sweep_s_enquiry(
    live: LiveStack,
) -> None:
    borrower_id, msisdn, payout_id = borrow(live, "lost")
    assert settled(live, payout_id) == PayoutStatus.SUCCEEDED
    assert live.loan_of(borrower_id).status == LoanStatus.ACTIVE
    paid = wallet_credits(live, msisdn)
    assert len(paid) == 1
    assert live.callback("airtel/disbursement", f"{paid[0]['id']}:TS") is None  # none came
    assert live.payout(payout_id).provider_receipt == paid[0]["airtel_money_id"]


def test_a_disbursement_callback_delivered_ten_times_pays_and_posts_once(
    live: LiveStack,
) -> None:
    borrower_id, msisdn, payout_id = borrow(live, "duplicate", copies=10)
    assert settled(live, payout_id) == PayoutStatus.SUCCEEDED
    paid = wallet_credits(live, msisdn)
    assert len(paid) == 1
    processed_callback(live, "airtel/disbursement", f"{paid[0]['id']}:TS", deliveries=10)
    originator = live.payout(payout_id).originator_id
    entries = live.entries(f"loan:{live.loan_of(borrower_id).id}")
    assert [e.idempotency_key for e in entries if e.idempotency_key.endswith(":post")] == [
        f"payout:{originator}:post"
    ]
