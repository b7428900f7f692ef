"""What the borrower is told they will owe is what the loan really owes on its due date, on
every channel that says it: the app's quote, the USSD disclosure, USSD's last screen and the
payout SMS; with no credit balance, a credit of one cent, one smaller than the loan, and one
that covers it. On SQLite and PostgreSQL.

A credit balance (earlier overpayments) is applied to the loan at payout; every one of these
used to show the quote without it ("Pay KES 1,003.06" for a loan that opened owing 900.00),
and the SMS showed the debt of day 0 (no interest) as the total due.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.lending.models import OPEN_STATUSES
from app.mobile.tokens import start_session
from app.notifications.models import SmsMessage
from tests.e2e.test_ussd_dialler import Dialler, client_for, run_tasks, set_limit
from tests.support.api import RecordingTaskQueue, bearer
from tests.support.lending import KES, Fund

AMOUNT = 1_000 * KES
TERM_DAYS = 14
_KES = r"KES ([\d,]+\.\d\d)"


def total_due(pattern: str, text: str) -> int:
    """The total due a text tells (after ``pattern``), or 0 when it says nothing is left."""
    if re.search(r"nothing (is left )?to pay", text, re.IGNORECASE):
        return 0
    return minor(pattern, text)


def minor(pattern: str, text: str) -> int:
    """The amount after ``pattern`` in ``text``, in cents."""
    found = re.search(pattern + " " + _KES, text, re.IGNORECASE)
    assert found is not None, (pattern, text)
    return int(found.group(1).replace(",", "").replace(".", ""))


@pytest.fixture
def world(fund: Fund, tmp_path: Path) -> Iterator[tuple[TestClient, Fund, RecordingTaskQueue]]:
    queue = RecordingTaskQueue()
    with client_for(fund, tmp_path, queue) as client:
        yield client, fund, queue


def with_credit(fund: Fund, credit_minor: int) -> int:
    """A borrower (the Dialler's phone) whose credit balance is ``credit_minor``: an earlier
    loan overpaid by that much."""
    borrower_id = fund.register()
    set_limit(fund, borrower_id, 10_000 * KES, "A1")
    if credit_minor:
        fund.borrow(borrower_id, 500 * KES, key="earlier")
        earlier = fund.loan_of(borrower_id)
        fund.repay(earlier.id, earlier.outstanding_minor + credit_minor, "RCREDIT001")
    assert fund.borrower(borrower_id).credit_balance_minor == credit_minor
    return borrower_id


@pytest.mark.parametrize("credit_minor", [0, 1, 100 * KES, 1_200 * KES])
def test_every_channel_tells_the_total_the_loan_owes_on_its_due_date(
    world: tuple[TestClient, Fund, RecordingTaskQueue], credit_minor: int
) -> None:
    client, fund, queue = world
    borrower_id = with_credit(fund, credit_minor)
    with fund.sessions.unit_of_work() as session:
        token = start_session(session, borrower_id, fund.clock()).access_token
    api = client.post(
        "/api/v1/quotes",
        json={"product_code": "personal", "amount_minor": AMOUNT},
        headers=bearer(token),
    ).json()

    phone = Dialler(client)
    phone.walk("1")
    disclosure = phone.send(str(AMOUNT // KES))
    phone.send("1")
    last_screen = phone.send("4826")
    assert run_tasks(fund, queue) == ["payments.submit_payout"]
    with fund.sessions.reader() as session:
        sms = session.scalars(
            select(SmsMessage.text).where(
                SmsMessage.borrower_id == borrower_id, SmsMessage.dedupe_key.like("disbursed:%")
            )
        ).all()[-1]

    fund.days_pass(TERM_DAYS)
    loan = fund.loan_of(borrower_id)
    owed_on_due_date = loan.outstanding_minor if loan.status in OPEN_STATUSES else 0
    told = {
        "app quote": api["total_due_minor"],
        "USSD disclosure": total_due("(?:Total due:|Pay)", disclosure),
        "USSD last screen": total_due("pay", last_screen),
        "SMS": total_due("Total due", sms),
    }
    assert told == dict.fromkeys(told, owed_on_due_date)

    applied = min(credit_minor, AMOUNT)
    assert api["credit_applied_minor"] == applied
    if applied:
        assert minor("Credit used:", disclosure) == applied
        assert minor("credit of", last_screen) == applied
        assert minor("credit of", sms) == applied
    else:
        assert "credit" not in (disclosure + last_screen + sms).lower()
