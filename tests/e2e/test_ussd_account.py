"""Over USSD: why a borrower cannot borrow (frozen after a default, not scored, limit used,
a loan on its way, a locked PIN), changing the PIN, and opting out and back in; on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.borrowers.errors import WrongPin
from app.borrowers.pin_checks import check_pin
from tests.e2e.test_ussd_dialler import Dialler, register, run_tasks, set_limit
from tests.support.api import RecordingTaskQueue
from tests.support.lending import KES, Fund


def borrow(phone: Dialler, amount_kes: int, pin: str = "4826") -> str:
    return phone.walk("1", str(amount_kes), "1", pin)


def test_a_defaulted_borrower_is_frozen_sees_why_and_can_still_repay(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    borrower_id = register(client, fund, queue)
    phone = Dialler(client)
    assert borrow(phone, 1000).startswith("END Done.")
    run_tasks(fund, queue)
    fund.days_pass(30)  # day 30 unpaid: default
    loan = fund.loan_of(borrower_id)
    assert loan.status == "defaulted"
    owed = f"KES {loan.outstanding_minor // 100:,}.{loan.outstanding_minor % 100:02d}"
    assert phone.walk("1") == (
        f"CON Your account is frozen: loan {loan.account_number} is in default. Repay {owed} "
        "in full to borrow again (2. Repay).\n0. Back"
    )
    assert phone.send("0").startswith("CON Mkopo\n1. Borrow")
    assert phone.walk("3").startswith(f"CON Loan {loan.account_number} (in default)\nOwed: {owed}")
    savings = phone.walk("4")
    assert "Short-term: KES 15.00 (held)" in savings
    assert phone.send("1") == (
        "CON Your short-term savings are held while your loan is in default.\n0. Back"
    )
    assert phone.walk("2").startswith(f"CON You owe {owed}")


def test_not_scored_limit_zero_limit_used_and_loan_on_its_way_each_say_why(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    borrower_id = register(client, fund, queue)
    phone = Dialler(client)
    set_limit(fund, borrower_id, 0, None)
    assert phone.walk("1") == (
        "CON You have no loan limit yet: we have not scored your account. We will SMS you when "
        "your limit is set.\n0. Back"
    )
    set_limit(fund, borrower_id, 0, "C3")
    assert phone.walk("1") == (
        "CON Your loan limit is KES 0.00 for now, so you cannot borrow.\n0. Back"
    )
    assert phone.walk("5").startswith("CON My account\nLimit: KES 0.00\nBand: C3")
    set_limit(fund, borrower_id, 2_000 * KES, None)
    assert phone.walk("5").startswith("CON My account\nLimit: KES 2,000.00\nBand: not scored yet")
    assert borrow(phone, 2000).startswith("END Done. KES 1,900.00 is on its way")
    assert phone.walk("1") == (
        "CON Your last loan is still on its way to your M-Pesa. Check again in a few "
        "minutes.\n0. Back"
    )
    run_tasks(fund, queue)
    assert phone.walk("1") == (
        "CON You have used your limit of KES 2,000.00: you owe KES 2,000.00. Repay to borrow "
        "again.\n0. Back"
    )
    assert phone.walk("4", "1") == (
        "CON You can withdraw short-term savings once your loan is repaid.\n0. Back"
    )


def test_five_wrong_pins_lock_the_pin_and_the_borrower_sees_until_when(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    register(client, fund, queue)
    phone = Dialler(client)
    phone.walk("1", "500", "1")
    for left in (4, 3, 2, 1):
        assert phone.send("9999").startswith(f"CON Wrong PIN: {left} tr")
    locked = phone.send("9999")
    assert locked == (
        "END Your PIN is locked after too many wrong tries, until 10:00 on 03-03-2026. "
        "Call Mkopo support to unlock it sooner."
    )
    assert phone.walk("1", "500", "1") == locked  # asked before the PIN is typed
    assert phone.walk("5", "1") == locked
    assert queue.sent == []


def test_change_pin_checks_the_current_one_and_confirms_the_new_one(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    borrower_id = register(client, fund, queue)
    phone = Dialler(client)
    assert phone.walk("5", "1") == "CON Enter your current PIN:\n0. Back"
    assert phone.send("1111").startswith("CON Wrong PIN: 4 tries left.\nEnter your current PIN")
    assert phone.send("4826") == "CON Enter a new 4-digit PIN:\n0. Back"
    assert phone.send("5555").startswith("CON Too easy: avoid")
    assert phone.send("7391") == "CON Enter the new PIN again:\n0. Back"
    assert phone.send("7392").startswith("CON The PINs did not match.\nEnter a new 4-digit PIN")
    phone.send("7391")
    assert phone.send("7391") == "END Your Mkopo PIN has been changed."
    check_pin(fund.sessions, fund.clock, fund.ports.pins, borrower_id, "7391")
    with pytest.raises(WrongPin):
        check_pin(fund.sessions, fund.clock, fund.ports.pins, borrower_id, "4826")
    assert borrow(phone, 500, pin="7391").startswith("END Done.")


def test_opt_out_needs_no_open_loan_keeps_the_savings_and_the_borrower_can_rejoin(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    borrower_id = register(client, fund, queue)
    phone = Dialler(client)
    borrow(phone, 1000)
    run_tasks(fund, queue)
    assert phone.walk("5", "2") == "CON Repay your loan before you opt out.\n0. Back"
    loan = fund.loan_of(borrower_id)
    fund.repay(loan.id, loan.outstanding_minor, "TOPTOUT001")
    assert phone.walk("5", "2") == (
        "CON Opt out of Mkopo? You keep your savings of KES 50.00 and can rejoin later.\n"
        "1. Yes, opt out\n0. Back"
    )
    assert phone.send("1") == "CON Enter your Mkopo PIN to opt out:\n0. Back"
    assert phone.send("4826") == (
        "END You have left Mkopo. Your savings of KES 50.00 stay yours. Dial again to rejoin."
    )
    assert fund.borrower(borrower_id).status == "opted_out"
    assert phone.walk() == (
        "CON Welcome back to Mkopo. Your savings are safe with us.\n1. Register again"
    )
    assert register(client, fund, queue) == borrower_id  # the same row, savings and all
    assert fund.borrower(borrower_id).status == "active"
    assert phone.walk().startswith("CON Mkopo\n1. Borrow")
