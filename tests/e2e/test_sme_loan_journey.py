"""Issue 14's SME loan end to end over HTTP, through the in-memory M-Pesa provider of the
lending e2e tests: a business registered, a quote with its schedule, an application, a
credit officer's approval and a second (an admin's) through the one engine above the
threshold, the loan paid out in legs of at most KES 250,000, three instalments paid on time
(paybill with the loan's account number, STK, paybill), reminders before the due dates, one
paid late with its penalty, the rest settled early, the loan closed; the books balanced and
the subledger equal to the ledger at every step."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from app.clock import EAT
from app.lending.models import Loan, LoanStatus
from app.mpesa.inbox import Delivery, store_callback
from app.mpesa.processing import process_pending
from app.notifications.models import SmsMessage
from app.payments.models import Payout
from app.sme.models import BusinessProductRules
from tests.e2e.test_admin_roles import STAFF
from tests.e2e.test_app_api_support import AppWorld, bearer, key, open_app
from tests.integration.test_mpesa_processing import c2b
from tests.support.api import bearer as staff_bearer
from tests.support.api import staff_token
from tests.support.instalments import travel_to
from tests.support.lending import KES, Fund

pytestmark = pytest.mark.slow
ADMIN = "/admin/v1"
AMOUNT = 400_000 * KES
THRESHOLD = 300_000 * KES
DUE = [date(2026, m, 2) for m in (4, 5, 6, 7, 8, 9)]


@pytest.fixture
def world(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    with open_app(fund, tmp_path) as w:
        yield w


def _staff(fund: Fund) -> dict[str, dict[str, str]]:
    names = ("otieno", "amina", "wanjiku")
    return {n: staff_bearer(staff_token(fund.sessions, fund.clock, n, STAFF[n])) for n in names}


def _shillings(minor: int) -> int:
    return -(-minor // KES) * KES


def _paybill(fund: Fund, account: str, amount_minor: int, receipt: str) -> None:
    """A paybill payment to the loan's account number, as M-Pesa confirms it."""
    paid_at = fund.clock().astimezone(EAT)
    body = {
        **c2b(account, f"{amount_minor // KES}.00", receipt),
        "TransTime": paid_at.strftime("%Y%m%d%H%M%S"),
    }
    with fund.sessions.unit_of_work() as session:
        delivery = Delivery("c2b/confirmation", json.dumps(body).encode(), "127.0.0.1")
        store_callback(session, delivery, fund.clock(), fund.ports.blind_index)
    process_pending(fund.sessions, fund.clock, fund.ports.blind_index)


def _stk(world: AppWorld, auth: dict[str, str], amount_minor: int, idem: str) -> None:
    answer = world.post(
        "/sme/repayments", {"amount_minor": amount_minor}, headers={**auth, **key(idem)}
    )
    assert answer.status_code == 201, answer.text
    world.run_stk(answer.json()["id"])


def _loan(world: AppWorld, auth: dict[str, str]) -> dict[str, Any]:
    answer = world.get("/sme/loan", headers=auth)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _left(loan: dict[str, Any], number: int) -> int:
    return int(next(r for r in loan["schedule"] if r["number"] == number)["left_minor"])


def _reminded(fund: Fund, loan_id: int, number: int) -> bool:
    dedupe = f"reminder:{loan_id}:instalment:{number}"
    with fund.sessions.reader() as session:
        return (
            session.scalar(select(SmsMessage.id).where(SmsMessage.dedupe_key == dedupe)) is not None
        )


def test_an_sme_loan_from_application_to_early_settlement(world: AppWorld) -> None:
    fund = world.fund
    auth = bearer(world.register())
    staff = _staff(fund)
    # the fund's four-eyes threshold for this product (product data)
    with fund.sessions.unit_of_work() as session:
        session.execute(update(BusinessProductRules).values(four_eyes_above_minor=THRESHOLD))

    # 1. the business, checked against the register, its limit from its till's cash flow
    body = {"registration_number": "pvt-aju7ql9", "kra_pin": "P051234567X", "till_number": "123409"}
    answer = world.post("/sme/business", body, headers=auth)
    assert answer.status_code == 201, answer.text
    business = answer.json()
    assert business["latest_decision"]["reason"] == "cash_flow"
    assert business["limit_minor"] >= AMOUNT
    refused = world.post("/sme/business", {**body, "kra_pin": "X1"}, headers=auth)
    assert refused.status_code == 409  # one business per owner, checked first
    assert (
        world.post(
            "/quotes", {"product_code": "sme", "amount_minor": AMOUNT}, headers=auth
        ).status_code
        == 404
    )

    # 2. the quote with its schedule, and the application with it
    quote = world.post("/sme/quotes", {"amount_minor": AMOUNT, "instalments": 6}, headers=auth)
    assert quote.status_code == 200, quote.text
    rows = quote.json()["instalments"]
    assert [date.fromisoformat(r["due_on"]) for r in rows] == DUE
    schedule = [{"due_on": r["due_on"], "total_minor": r["total_minor"]} for r in rows]
    application = {"amount_minor": AMOUNT, "instalments": 6, "schedule": schedule}
    stale = world.post(
        "/sme/applications",
        {**application, "schedule": [{**schedule[0], "total_minor": 1}, *schedule[1:]]},
        headers={**auth, **key("stale")},
    )
    assert stale.status_code == 409
    assert stale.json()["type"].endswith("quote_changed")
    applied = world.post("/sme/applications", application, headers={**auth, **key("apply-1")})
    assert applied.status_code == 201, applied.text
    app_id = applied.json()["id"]

    # 3. a credit officer approves; above the threshold an admin approves too (one engine)
    listed = world.client.get(f"{ADMIN}/sme/applications?status=pending", headers=staff["otieno"])
    assert [a["id"] for a in listed.json()] == [app_id]
    approved = world.client.post(
        f"{ADMIN}/sme/applications/{app_id}/approve", headers=staff["otieno"]
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "awaiting_second"
    approval_id = approved.json()["approval_request_id"]
    assert (
        world.client.post(
            f"{ADMIN}/sme/applications/{app_id}/approve", headers=staff["otieno"]
        ).status_code
        == 409
    )
    second = world.client.post(f"{ADMIN}/approvals/{approval_id}/approve", headers=staff["amina"])
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "approved"

    # 4. paid out in legs of at most KES 250,000, the loan active once all settled
    loan_id = world.client.get(
        f"{ADMIN}/sme/applications/{app_id}", headers=staff["otieno"]
    ).json()["loan_id"]
    with fund.sessions.reader() as session:
        legs = session.scalars(select(Payout).where(Payout.loan_id == loan_id)).all()
    assert [p.amount_minor for p in legs] == [196_000 * KES, 196_000 * KES]  # 2% saved
    world.run_payouts()
    loan = _loan(world, auth)
    assert (loan["id"], loan["status"], len(loan["schedule"])) == (loan_id, "active", 6)
    assert fund.provider.money_sent_to("254712345678") == 392_000 * KES
    book = world.client.get(f"{ADMIN}/loans?product=sme", headers=staff["wanjiku"])
    assert [(row["id"], row["business_id"]) for row in book.json()["items"]] == [
        (loan_id, business["id"])
    ]
    fund.assert_books_agree()
    account = loan["account_number"]

    # 5. three instalments on time (paybill, STK, paybill), a reminder before each
    for number, pay in ((1, "paybill"), (2, "stk"), (3, "paybill")):
        travel_to(fund, DUE[number - 1])
        assert _reminded(fund, loan_id, number)
        auth = bearer(world.login())
        amount = _shillings(_left(_loan(world, auth), number))
        if pay == "stk":
            _stk(world, auth, amount, f"stk-{number}")
        else:
            _paybill(fund, account, amount, f"TSME00000{number}")
        assert _left(_loan(world, auth), number) == 0
        fund.assert_books_agree()

    # 6. the fourth paid ten days late, with its penalty
    travel_to(fund, date(2026, 7, 12))
    auth = bearer(world.login())
    late = _loan(world, auth)
    assert late["penalty_outstanding_minor"] > 0
    row_4 = next(r for r in late["schedule"] if r["number"] == 4)
    assert (row_4["status"], row_4["penalty_minor"] > 0) == ("overdue", True)
    _paybill(fund, account, _shillings(_left(late, 4)), "TSME000004")
    after = _loan(world, auth)
    assert (_left(after, 4), after["penalty_outstanding_minor"]) == (0, 0)
    fund.assert_books_agree()

    # 7. the rest settled early by STK, the loan closed
    travel_to(fund, date(2026, 7, 20))
    auth = bearer(world.login())
    settlement = _loan(world, auth)["settlement"]["total_minor"]
    _stk(world, auth, _shillings(settlement), "settle")
    with fund.sessions.reader() as session:
        closed = session.get(Loan, loan_id)
        assert closed is not None
        assert (closed.status, closed.principal_outstanding_minor) == (LoanStatus.REPAID, 0)
        assert closed.closed_at is not None
    assert world.get("/sme/loan", headers=auth).status_code == 404
    fund.assert_books_agree()
