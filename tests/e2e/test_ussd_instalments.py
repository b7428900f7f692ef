"""An instalment product over USSD: offered beside the Personal Loan, its schedule in brief on
the confirm screen, and "My loan" showing the next instalment (KES 12,000 over 3 monthly
instalments from 2 March 2026: 4,047.14 on 2 April, 2 May, 4,047.15 on 2 June)."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.e2e.test_ussd_dialler import Dialler, register, run_tasks, set_limit
from tests.support.api import RecordingTaskQueue
from tests.support.instalments import add_group_product, travel_to
from tests.support.lending import KES, Fund

CHOICE = "CON Borrow\n1. Personal Loan\n2. Group Loan (3 months)\n0. Back"


def _member(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue, limit_minor: int
) -> tuple[int, Dialler]:
    """A registered borrower with ``limit_minor``, the group product active, their phone."""
    borrower_id = register(client, fund, queue)
    set_limit(fund, borrower_id, limit_minor, "A1")
    add_group_product(fund, fund.clock())
    return borrower_id, Dialler(client)


def test_the_group_loan_is_offered_disclosed_in_brief_and_its_next_instalment_shown(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    borrower_id, phone = _member(client, fund, queue, 20_000 * KES)
    assert phone.walk("1") == CHOICE
    assert phone.send("2") == (
        "CON Your limit is KES 20,000.00.\nEnter amount to borrow, KES 1,000 to 20,000:\n0. Back"
    )
    assert phone.send("12000") == (
        "CON Borrow KES 12,000.00\nGet KES 11,400.00\nInterest KES 141.43\n"
        "3 monthly, 1st KES 4,047.14\nFrom 02-04-2026 to 02-06-2026\n1. Confirm\n0. Back"
    )
    assert phone.send("1") == "CON Enter your Mkopo PIN to borrow KES 12,000.00:\n0. Back"
    assert phone.send("4826").startswith(
        "END Done. KES 11,400.00 is on its way to your M-Pesa. Pay 3 monthly instalments, "
        "the 1st KES 4,047.14 by 02-04-2026: paybill 600000, account MK"
    )
    assert run_tasks(fund, queue) == ["payments.submit_payout"]
    account = fund.loan_of(borrower_id).account_number
    assert phone.walk("3") == (
        f"CON Loan {account} (active)\nOwed: KES 12,000.00\nPrincipal: KES 12,000.00\n"
        "Interest: KES 0.00\nNext: KES 4,047.14 on 02-04-2026\n0. Back"
    )
    travel_to(fund, date(2026, 4, 2))
    fund.repay(fund.loan_of(borrower_id).id, 4_047_14, "FIRST1")
    assert phone.walk("3").endswith("Next: KES 4,047.14 on 02-05-2026\n0. Back")


def test_choosing_the_personal_loan_borrows_as_before_and_a_wrong_choice_re_asks(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    _, phone = _member(client, fund, queue, 10_000 * KES)
    assert phone.walk("1", "7") == "CON Choose a number shown.\n" + CHOICE[4:]
    assert phone.send("1") == (
        "CON Your limit is KES 10,000.00.\nEnter amount to borrow, KES 100 to 10,000:\n0. Back"
    )
    assert phone.send("10000").endswith("Due: 16-03-2026\n1. Confirm\n0. Back")
