"""A borrower's whole journey through the app API, in the fund's numbers: register with a
code, sign in, borrow KES 1,000 (KES 950 cash, KES 50 savings, KES 3.06 interest to the due
date), repay by STK, withdraw KES 10 of savings, read the statement, change PIN, sign out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.clock import business_date
from tests.e2e.test_app_api_support import (
    GOOD_ID,
    GOOD_PHONE,
    KES,
    PIN,
    AppWorld,
    bearer,
    key,
    open_app,
)
from tests.support.lending import Fund


@pytest.fixture
def world(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    with open_app(fund, tmp_path) as w:
        yield w


def test_register_borrow_1000_repay_by_stk_withdraw_savings_change_pin_and_sign_out(
    world: AppWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    today = business_date(world.fund.clock())

    # Register: a code by SMS, the code for a verification token, then opt in (signed in).
    first = world.register(GOOD_ID, GOOD_PHONE, PIN)
    assert first["token_type"] == "Bearer"
    assert (first["expires_in_s"], first["refresh_expires_in_s"]) == (15 * 60, 30 * 86_400)
    me = world.get("/me", headers=bearer(first)).json()
    assert (me["phone_masked"], me["status"], me["frozen"]) == ("2547******78", "active", False)
    assert me["full_name"]

    # Sign in again (a second device) and see what can be borrowed.
    tokens = world.login(GOOD_PHONE, PIN)
    auth = bearer(tokens)
    limit = world.get("/me/limit", headers=auth).json()
    assert (limit["available_minor"], limit["available_display"]) == (2_000 * KES, "KES 2,000.00")

    # Quote, then borrow with an Idempotency-Key: the payout goes to the worker after commit.
    quote = world.post("/quotes", {"amount_minor": 1_000 * KES}, headers=auth).json()
    assert (quote["cash_minor"], quote["savings_minor"], quote["interest_to_due_minor"]) == (
        950 * KES,
        50 * KES,
        306,
    )
    assert (quote["total_due_display"], quote["due_on"]) == (
        "KES 1,003.06",
        str(today + timedelta(days=14)),
    )
    borrowed = world.post("/loans", {"amount_minor": 1_000 * KES}, headers=auth | key("b-1"))
    assert borrowed.status_code == 201, borrowed.text
    payout = borrowed.json()
    assert (payout["status"], payout["cash_minor"], payout["purpose"]) == (
        "pending",
        95_000,
        "loan",
    )
    assert world.tasks_named("payments.submit_payout") == [payout["id"]]
    world.run_payouts()
    world.fund.clock.advance(minutes=1)

    # The current loan: balances, one instalment on the due date, and its history.
    loan = world.get("/loans/current", headers=auth).json()
    assert (loan["status"], loan["principal_outstanding_minor"]) == ("active", 1_000 * KES)
    assert loan["schedule"] == [
        {
            "number": 1,
            "due_on": str(today + timedelta(days=14)),
            "principal_minor": 100_000,
            "interest_minor": 306,
            "penalty_minor": 0,
            "total_minor": 100_306,
            "total_display": "KES 1,003.06",
            "paid_minor": 0,
            "left_minor": 100_306,
            "status": "upcoming",
        }
    ]
    history = loan["history"]
    assert [(d["status"], d["cash_minor"]) for d in history["disbursements"]] == [
        ("succeeded", 95_000)
    ]
    assert history["repayments"] == []
    assert history["interest"]["regular_rate_bp"] == 800

    # Repay in full by STK: a prompt request, handed to the worker after commit.
    asked = world.post("/repayments", {"amount_minor": 1_000 * KES}, headers=auth | key("r-1"))
    assert asked.status_code == 201, asked.text
    prompt = asked.json()
    assert (prompt["status"], prompt["loan_id"]) == ("pending", loan["id"])
    assert world.tasks_named("mpesa.send_stk") == [prompt["id"]]
    world.run_stk(prompt["id"])
    world.fund.clock.advance(minutes=1)
    assert world.get(f"/repayments/{prompt['id']}", headers=auth).json()["status"] == "succeeded"
    repaid = world.get(f"/loans/{loan['id']}", headers=auth).json()
    assert (repaid["status"], repaid["outstanding_minor"], repaid["schedule"]) == ("repaid", 0, [])
    assert [r["amount_minor"] for r in repaid["history"]["repayments"]] == [1_000 * KES]
    assert world.get("/loans/current", headers=auth).status_code == 404

    # Savings: 30% of the KES 50 withheld is short-term and can be withdrawn now.
    savings = world.get("/savings", headers=auth).json()
    assert (savings["long_term_minor"], savings["short_term_minor"]) == (35 * KES, 15 * KES)
    assert (savings["withdrawable_minor"], savings["withdrawal_blocked_because"]) == (1_500, None)
    sent = world.post("/savings/withdrawals", {"amount_minor": 10 * KES}, headers=auth | key("w"))
    assert sent.status_code == 201, sent.text
    world.run_payouts()
    withdrawal = world.get(f"/savings/withdrawals/{sent.json()['id']}", headers=auth).json()
    assert (withdrawal["status"], withdrawal["cash_minor"]) == ("succeeded", 10 * KES)
    assert world.get("/savings", headers=auth).json()["short_term_minor"] == 5 * KES

    # The statement, newest first.
    statement = world.get("/statement", headers=auth).json()
    assert [(i["kind"], i["direction"], i["amount_minor"]) for i in statement["items"]] == [
        ("savings_withdrawal", "received", 10 * KES),
        ("repayment", "paid", 1_000 * KES),
        ("loan", "received", 950 * KES),
    ]
    assert statement["next_offset"] is None
    assert world.get("/loans", headers=auth).json()["items"][0]["status"] == "repaid"

    # Change PIN: the old one stops working, and so does the other device's session.
    changed = world.post("/me/pin", {"current_pin": PIN, "new_pin": "2468"}, headers=auth)
    assert changed.status_code == 204, changed.text
    assert world.get("/me", headers=bearer(first)).status_code == 401
    assert world.post("/auth/login", {"phone": GOOD_PHONE, "pin": PIN}).status_code == 401
    assert world.get("/me", headers=auth).status_code == 200
    world.login(GOOD_PHONE, "2468")

    # Sign out: the access token and the refresh token stop working at once.
    assert world.post("/auth/logout", headers=auth).status_code == 204
    assert world.get("/me", headers=auth).status_code == 401
    refreshed = world.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    world.fund.assert_books_agree()

    # Nothing secret reached the logs.
    logs = capsys.readouterr().out
    for secret in (GOOD_PHONE, "254712345678", "712345678", GOOD_ID, '"4826"', '"2468"'):
        assert secret not in logs


def test_opt_out_needs_no_open_loan_and_keeps_the_savings(world: AppWorld) -> None:
    auth = bearer(world.register())
    world.post("/loans", {"amount_minor": 500 * KES}, headers=auth | key("b-1"))
    world.run_payouts()
    refused = world.post("/me/opt-out", headers=auth)
    assert (refused.status_code, refused.json()["type"]) == (409, "urn:mkopo:problem:open_loan")
    loan_id = world.get("/loans/current", headers=auth).json()["id"]
    world.fund.repay(loan_id, 500 * KES, "TAPP000001")
    left = world.post("/me/opt-out", headers=auth)
    assert left.status_code == 200, left.text
    assert left.json()["status"] == "opted_out"
    assert world.get("/savings", headers=auth).json()["short_term_minor"] == 750
    again = world.post("/loans", {"amount_minor": 500 * KES}, headers=auth | key("b-2"))
    assert (again.status_code, again.json()["type"]) == (403, "urn:mkopo:problem:not_opted_in")
