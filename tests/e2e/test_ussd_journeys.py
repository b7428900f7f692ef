"""The borrower journey on a basic phone, over the USSD endpoint, on SQLite and PostgreSQL:
register, borrow (with the cost disclosure), repay by STK, check loan, savings and account;
back, main menu, wrong input; a re-sent hop acts once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.borrowers.models import Borrower
from app.mpesa.models import StkRequest
from app.notifications.models import SmsMessage
from app.payments.models import Payout
from tests.e2e.test_ussd_dialler import Dialler, register, run_tasks, set_limit
from tests.support.api import RecordingTaskQueue
from tests.support.lending import KES, Fund

MAIN_MENU = "CON Mkopo\n1. Borrow\n2. Repay\n3. My loan\n4. Savings\n5. My account\n6. Groups"


def count(fund: Fund, model: type[Payout] | type[StkRequest]) -> int:
    with fund.sessions.reader() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_register_borrow_10000_repay_it_by_stk_and_withdraw_the_short_term_savings(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    phone = Dialler(client)
    assert phone.dial() == "CON Welcome to Mkopo: loans and savings on M-Pesa.\n1. Register"
    assert phone.send("1") == "CON Register\nEnter your national ID number:\n0. Back"
    assert phone.send("12345670") == (
        "CON Loans of KES 100-50,000, 14 days, 8% a year; 5% of each loan is saved for you. "
        "Terms: mkopo.example/terms\n1. Accept\n2. Decline\n0. Back"
    )
    assert phone.send("1") == "CON Choose a 4-digit Mkopo PIN:\n0. Back"
    assert phone.send("4826") == "CON Enter the same PIN again:\n0. Back"
    assert phone.send("4826").startswith("END Thank you. We are checking your details")
    assert [name for name, _ in queue.sent] == ["ussd.complete_registration"]
    assert Dialler(client).dial().startswith("END We are still checking your registration")

    assert run_tasks(fund, queue) == ["ussd.complete_registration"]
    with fund.sessions.reader() as session:
        borrower = session.scalars(select(Borrower)).one()
        welcome = session.scalars(select(SmsMessage.text)).all()
    assert welcome == ["Welcome to Mkopo. Your loan limit is KES 2,000.00."]
    assert borrower.pin_hash.startswith("scrypt-hmac$")
    set_limit(fund, borrower.id, 10_000 * KES, "A1")  # scored A1 since

    assert phone.walk() == MAIN_MENU
    assert phone.send("1") == (
        "CON Your limit is KES 10,000.00.\nEnter amount to borrow, KES 100 to 10,000:\n0. Back"
    )
    assert phone.send("10000") == (
        "CON Borrow KES 10,000.00\nSaved: KES 500.00\nYou get: KES 9,500.00\n"
        "Interest: KES 30.68\nTotal due: KES 10,030.68\nDue: 16-03-2026\n1. Confirm\n0. Back"
    )
    assert phone.send("1") == "CON Enter your Mkopo PIN to borrow KES 10,000.00:\n0. Back"
    done = phone.send("4826")
    assert done.startswith(
        "END Done. KES 9,500.00 is on its way to your M-Pesa. Pay KES 10,030.68 by "
        "16-03-2026: paybill 600000, account MK"
    )
    assert phone.walk("3").startswith("CON Loan MK")
    assert "on its way" in phone.screens[-1]
    assert phone.send("00") == MAIN_MENU
    assert phone.send("1") == (
        "CON Your last loan is still on its way to your M-Pesa. Check again in a few "
        "minutes.\n0. Back"
    )

    assert run_tasks(fund, queue) == ["payments.submit_payout"]
    fund.days_pass(14)
    account = fund.loan_of(borrower.id).account_number
    assert phone.walk("3") == (
        f"CON Loan {account} (active)\nOwed: KES 10,030.68\nPrincipal: KES 10,000.00\n"
        "Interest: KES 30.68\nDue date: 16-03-2026\n0. Back"
    )
    assert phone.walk("2") == (
        "CON You owe KES 10,030.68, due 16-03-2026.\nEnter amount to pay, KES 1 to 10,031:\n0. Back"
    )
    assert (
        phone.send("10031") == "CON Pay KES 10,031.00 to Mkopo from your M-Pesa?\n1. Yes\n0. Back"
    )
    assert phone.send("1") == (
        "END You will get an M-Pesa prompt for KES 10,031.00. Enter your M-Pesa PIN on it to pay."
    )
    assert run_tasks(fund, queue) == ["mpesa.send_stk"]
    assert fund.loan_of(borrower.id).status == "repaid"
    assert phone.walk("3") == "CON You have no open loan. Your limit is KES 10,000.00.\n0. Back"

    assert phone.walk("4") == (
        "CON Savings\nLong-term: KES 350.00\nShort-term: KES 150.00\n1. Withdraw short-term"
        "\n0. Back"
    )
    assert phone.send("1") == "CON Withdraw up to KES 150.00.\nEnter KES 10 to 150.\n0. Back"
    assert phone.send("150") == "CON Enter your Mkopo PIN to withdraw KES 150.00:\n0. Back"
    assert phone.send("4826") == "END KES 150.00 from your savings is on its way to your M-Pesa."
    assert run_tasks(fund, queue) == ["payments.submit_payout"]
    assert "Short-term: KES 0.00" in phone.walk("4")
    assert phone.walk("5") == (
        "CON My account\nLimit: KES 10,000.00\nBand: A1\n1. Change PIN\n2. Opt out\n"
        "3. Why this limit\n4. Dispute credit record\n0. Back"
    )
    assert fund.provider.money_sent_to("254712345678") == 9_500 * KES + 150 * KES
    assert fund.borrower(borrower.id).credit_balance_minor == 32  # 10,031 paid for 10,030.68
    fund.assert_books_agree()


def test_zero_goes_back_a_screen_and_double_zero_to_the_main_menu(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    register(client, fund, queue)
    phone = Dialler(client)
    amount_screen = phone.walk("1")
    quote = phone.send("500")
    pin = phone.send("1")
    assert phone.send("0") == quote
    assert phone.send("0") == amount_screen
    assert phone.send("0") == MAIN_MENU
    assert phone.send("1") == amount_screen
    phone.send("500")
    assert phone.send("00") == MAIN_MENU
    assert phone.send("4").startswith("CON Savings")
    assert phone.send("0") == MAIN_MENU
    assert phone.walk("5", "1", "00") == MAIN_MENU
    assert pin.startswith("CON Enter your Mkopo PIN")
    new = Dialler(client, phone="+254722000111")
    assert new.walk("1", "0") == "CON Welcome to Mkopo: loans and savings on M-Pesa.\n1. Register"
    assert new.walk("1", "23456780", "1", "0").startswith("CON Loans of KES 100-50,000")
    assert count(fund, Payout) == 0


def test_wrong_input_re_asks_the_same_screen_with_a_short_hint(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    register(client, fund, queue)
    phone = Dialler(client)
    assert phone.walk("9") == f"CON Choose a number shown.\n{MAIN_MENU[4:]}"
    assert phone.send("*") == f"CON Choose a number shown.\n{MAIN_MENU[4:]}"
    phone.send("1")
    assert phone.send("lots").startswith("CON Enter digits only, e.g. 500.\nYour limit is")
    assert phone.send("50").startswith("CON Enter KES 100 to 2,000.\nYour limit is")
    assert phone.send("2001").startswith("CON Enter KES 100 to 2,000.\nYour limit is")
    assert phone.send("500").startswith("CON Borrow KES 500.00")
    assert phone.send("3").startswith("CON Choose a number shown.\nBorrow KES 500.00")
    phone.send("1")
    assert phone.send("48").startswith("CON A PIN is 4 digits.\nEnter your Mkopo PIN")
    assert phone.send("1111").startswith("CON Wrong PIN: 4 tries left.\nEnter your Mkopo PIN")
    assert phone.walk("3", "7").startswith("CON Reply 0 to go back.\nYou have no open loan")
    new = Dialler(client, phone="+254722000111")
    assert new.walk("1", "12").startswith("CON An ID is 6 to 9 digits.\nRegister")
    assert new.send("23456780").startswith("CON Loans of")
    assert new.send("1").startswith("CON Choose a 4-digit")
    assert (
        new.send("1234") == "CON Too easy: avoid 1234, 1111.\nChoose a 4-digit Mkopo PIN:\n0. Back"
    )
    assert new.send("2580").startswith("CON Enter the same PIN again")
    assert new.send("2581") == "CON The PINs did not match.\nChoose a 4-digit Mkopo PIN:\n0. Back"
    assert new.walk("1", "23456780", "2") == (
        "END You did not accept the terms, so we cannot register you. Dial again any time."
    )
    assert count(fund, Payout) == 0
    assert queue.sent == []


def test_a_re_sent_hop_gets_the_same_answer_and_acts_once(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    borrower_id = register(client, fund, queue)
    phone = Dialler(client)
    phone.walk("1", "1000", "1")
    text = "*".join([*phone.inputs, "4826"])
    done = phone.post(text)
    assert phone.post(text) == done  # the gateway retried
    assert phone.post("1*1000") == done  # an older hop, late: answered the same, no action
    assert count(fund, Payout) == 1
    assert [name for name, _ in queue.sent] == ["payments.submit_payout"]
    run_tasks(fund, queue)

    phone.walk("2", "500")
    confirm = "*".join([*phone.inputs, "1"])
    with ThreadPoolExecutor(max_workers=2) as pool:  # sent twice at once
        replies = list(pool.map(phone.post, [confirm, confirm]))
    assert replies[0] == replies[1]
    assert replies[0].startswith("END You will get an M-Pesa prompt for KES 500.00")
    assert count(fund, StkRequest) == 1
    assert [name for name, _ in queue.sent] == ["mpesa.send_stk"]

    phone.walk("1", "300", "1")
    pin_hop = "*".join([*phone.inputs, "4826"])
    with ThreadPoolExecutor(max_workers=2) as pool:  # a slow (PIN) hop sent twice at once
        replies = list(pool.map(phone.post, [pin_hop, pin_hop]))
    assert replies[0] == replies[1]
    assert replies[0].startswith("END Done. KES 285.00 is on its way")
    assert count(fund, Payout) == 2
    assert fund.borrower(borrower_id).pin_failed_attempts == 0


def test_inputs_dialled_with_the_service_code_are_applied_up_to_a_pin_prompt(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    register(client, fund, queue)
    shortcut = Dialler(client)
    shortcut.session_id = "ATUid_dialled_1"
    assert shortcut.post("1").startswith("CON Your limit is KES 2,000.00.")
    with_pin = Dialler(client)
    with_pin.session_id = "ATUid_dialled_2"
    prompt = with_pin.post("1*500*1*4826")  # *384*...*1*500*1*4826#: the PIN is not taken
    assert prompt == "CON Enter your Mkopo PIN to borrow KES 500.00:\n0. Back"
    assert count(fund, Payout) == 0


ENTRIES = ["", "0", "00", "1", "2", "3", "4", "5", "9", "500", "2000", "4826", "1111", "abc", "*"]


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(entries=st.lists(st.sampled_from(ENTRIES), max_size=8))
def test_whatever_a_caller_types_every_answer_is_a_screen_and_the_books_agree(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue, entries: list[str]
) -> None:
    if not fund_has_borrower(fund):  # the fund outlives the examples: register once
        register(client, fund, queue)
    Dialler(client).walk(*entries)  # each answer is checked: 200, CON/END, ASCII, <= 182
    run_tasks(fund, queue)
    fund.assert_books_agree()


def fund_has_borrower(fund: Fund) -> bool:
    with fund.sessions.reader() as session:
        return session.scalar(select(func.count()).select_from(Borrower)) == 1
