"""The console in Chromium: signing in with a TOTP code (and a wrong one refused), the
keyboard path through the sign-in form, the dashboard's charts, a maker-checker round trip
between two officers, a borrower lookup and the loan book's CSV. Every page is also saved
as a screenshot (docs/console/*.png when ``MKOPO_CONSOLE_SCREENSHOTS`` names that folder)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.groups.models import Schedule
from app.staff.credentials import REFUSED
from tests.browser.conftest import Console
from tests.support.console import ConsoleUser
from tests.support.groups import apply_for, form_group
from tests.support.lending import GOOD_PHONE, KES
from tests.support.scoring import store_active, store_draft


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    named = os.environ.get("MKOPO_CONSOLE_SCREENSHOTS")
    return Path(named) if named else tmp_path_factory.mktemp("screenshots")


def shoot(page: Any, shots: Path, name: str) -> None:
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def sign_in(page: Any, console: Console, user: ConsoleUser, code: str | None = None) -> None:
    page.goto(f"{console.base_url}/console/sign-in")
    page.fill("#username", user.username)
    page.fill("#password", user.password)
    page.fill("#code", code or console.code(user))
    page.click("button[type=submit]")


def test_sign_in_with_a_totp_code_and_a_wrong_code_refused(
    page: Any, console: Console, shots: Path
) -> None:
    page.goto(f"{console.base_url}/console/dashboard")
    assert page.url.endswith("/console/sign-in")  # not signed in: sent to sign in
    shoot(page, shots, "sign-in")
    good = console.code(console.admin)
    sign_in(page, console, console.admin, f"{(int(good) + 1) % 1_000_000:06d}")
    assert page.inner_text("[role=alert]") == REFUSED
    assert page.url.endswith("/console/sign-in")
    sign_in(page, console, console.admin, good)
    assert page.url.endswith("/console/dashboard")
    assert "ada (admin)" in page.inner_text("header")
    page.click("nav >> text=Staff")
    assert page.locator("table.staff tbody tr").count() == 2
    shoot(page, shots, "staff")
    page.click("text=Sign out")
    assert page.url.endswith("/console/sign-in")
    page.goto(f"{console.base_url}/console/dashboard")
    assert page.url.endswith("/console/sign-in")


def test_the_sign_in_form_is_used_with_the_keyboard(page: Any, console: Console) -> None:
    page.goto(f"{console.base_url}/console/sign-in")
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type(console.admin.username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(console.admin.password)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "code"
    page.keyboard.type(console.code(console.admin))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Sign in"
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/dashboard")


def test_the_dashboard_draws_its_charts_and_the_books_open(
    page: Any, console: Console, shots: Path
) -> None:
    sign_in(page, console, console.admin)
    page.wait_for_url("**/console/dashboard")
    assert page.locator("svg.chart").count() == 4
    assert page.locator("svg.chart rect.bar").count() > 0
    assert page.inner_text("#portfolio-count") == "1"
    assert "KES 500.00" in page.inner_text("main")
    shoot(page, shots, "dashboard")
    page.click("nav >> text=Reconciliation")
    assert "Nothing in the queue." in page.inner_text("table.exceptions")
    page.click("nav >> text=Trial balance")
    assert "balanced" in page.inner_text("table.trial-balance tfoot")
    shoot(page, shots, "ledger")
    page.click("nav >> text=Audit log")
    assert "console.sign_in" in page.inner_text("table.audit")
    shoot(page, shots, "audit")
    page.click("#verify-chain")
    assert page.inner_text("#verified").startswith("The chain holds")


def test_a_request_made_by_one_officer_is_approved_by_another_in_the_inbox(
    page: Any, console: Console, shots: Path
) -> None:
    asked = httpx.post(
        f"{console.base_url}/admin/v1/borrowers/{console.borrower_id}/limit-overrides",
        headers={"Authorization": f"Bearer {console.officer.token}"},
        json={"reason": "Known customer, steady salary", "limit_minor": 2_345 * KES},
    )
    assert asked.status_code == 201, asked.text
    approval_id = asked.json()["id"]
    sign_in(page, console, console.officer)  # the maker sees it but cannot decide it
    page.goto(f"{console.base_url}/console/approvals")
    card = page.locator(f"#approval-{approval_id}")
    assert "Your own request" in card.inner_text()
    assert card.locator("button").count() == 0
    page.click("text=Sign out")
    sign_in(page, console, console.admin)
    page.goto(f"{console.base_url}/console/approvals")
    card = page.locator(f"#approval-{approval_id}")
    assert "234500" in card.locator("pre.payload").inner_text()  # what would change
    shoot(page, shots, "approvals")
    card.locator("button.approve").click()
    assert page.inner_text("[role=status]") == f"Request {approval_id} approved: approved"
    assert page.locator(f"#approval-{approval_id}").count() == 0
    assert console.fund.borrower(console.borrower_id).credit_limit_minor == 2_345 * KES


def test_a_borrower_is_found_by_phone_and_shown_masked(
    page: Any, console: Console, shots: Path
) -> None:
    sign_in(page, console, console.officer)
    page.goto(f"{console.base_url}/console/borrowers")
    page.fill("#q", GOOD_PHONE)
    page.click("form.search button")
    results = page.inner_text("table.results")
    assert "2547******78" in results
    assert GOOD_PHONE[1:] not in page.content()
    page.click(f"a[href='/console/borrowers/{console.borrower_id}']")
    assert page.inner_text("#phone") == "2547******78"
    assert page.inner_text("#national-id") == "******70"
    assert page.locator("section.loan").count() == 1
    shoot(page, shots, "borrower")


def test_the_loan_book_is_downloaded_as_csv(page: Any, console: Console, shots: Path) -> None:
    sign_in(page, console, console.officer)
    page.goto(f"{console.base_url}/console/loans")
    page.select_option("#status", "active")
    page.click("form.filters button:text('Filter')")
    assert page.locator("table.loans tbody tr").count() == 1
    shoot(page, shots, "loans")
    with page.expect_download() as downloading:
        page.click("#export-csv")
    download = downloading.value
    assert download.suggested_filename.startswith("loan-book-")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert len(rows) == 1
    assert rows[0]["status"] == "active"
    assert rows[0]["principal_disbursed_kes"] == "500.00"
    assert int(rows[0]["borrower_id"]) == console.borrower_id


def test_an_admin_asks_for_a_manual_journal_with_the_keyboard(
    page: Any, console: Console, shots: Path
) -> None:
    sign_in(page, console, console.admin)
    page.click("nav >> text=Fund proposals")
    page.select_option("#journal-debit", "1010")
    page.select_option("#journal-credit", "3000")
    page.focus("#journal-amount")
    for text in ("250", "Capital paid in", "V-0042", "Board minute 7"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Ask for the journal"
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=status]")
    assert "manual_journal" in page.inner_text("[role=status]")
    shoot(page, shots, "fund-proposals")


def test_an_officer_asks_for_a_product_change_and_sees_what_would_change(
    page: Any, console: Console, shots: Path
) -> None:
    sign_in(page, console, console.officer)
    page.click("nav >> text=Products")
    shoot(page, shots, "products")
    page.click("a[href='/console/products/personal']")
    page.fill("#term-regular_rate_bp", "1250")
    page.fill("#change-reason", "Cheaper for repeat customers")
    page.click("form.product-terms button")
    page.wait_for_selector("#diff")
    assert "regular_rate_bp" in page.inner_text("#diff")
    assert "product_change" in page.inner_text("[role=status]")
    shoot(page, shots, "product")


def test_an_officer_opens_a_bureau_dispute_for_a_borrower(
    page: Any, console: Console, shots: Path
) -> None:
    sign_in(page, console, console.officer)
    page.goto(f"{console.base_url}/console/borrowers/{console.borrower_id}")
    page.select_option("#dispute-reason", "wrong_amount")
    page.fill("#dispute-note", "Says she borrowed less")
    page.click("text=Open a dispute for the borrower")
    assert "opened: answer by" in page.inner_text("[role=status]")
    assert page.locator("section.dispute").count() == 1
    page.click("nav >> text=Disputes")
    assert page.locator("table.disputes tbody tr").count() == 1
    shoot(page, shots, "crb-disputes")
    page.click("nav >> text=Credit bureau")
    assert "No files sent yet." in page.inner_text("main")


def test_a_groups_members_and_application_are_read_in_the_console(
    page: Any, console: Console, shots: Path
) -> None:
    group = form_group(console.fund, start=10)
    applied = apply_for(console.fund, group, applicant=group.secretary, schedule=Schedule.LUMP_SUM)
    sign_in(page, console, console.officer)
    page.click("nav >> text=Groups")
    page.click(f"a[href='/console/groups/{group.group_id}']")
    assert page.locator("table.members tbody tr").count() == 10
    assert page.locator(f"#application-{applied.id} table.gate").count() == 1
    shoot(page, shots, "group")


def test_two_scorecards_are_compared_with_a_band_chart(
    page: Any, console: Console, shots: Path
) -> None:
    with console.fund.sessions.unit_of_work() as session:
        store_active(session, console.fund.clock())
        store_draft(session, console.fund.clock())
    sign_in(page, console, console.officer)
    page.click("nav >> text=Scorecards")
    page.click("form.filters button:text('Compare')")
    assert page.locator("svg.chart rect.bar").count() > 0
    assert "scored borrowers" in page.inner_text("#compared")
    shoot(page, shots, "scorecards-compare")


def test_the_reports_show_and_download_their_csv(page: Any, console: Console, shots: Path) -> None:
    sign_in(page, console, console.officer)
    page.click("nav >> text=Reports")
    assert "personal" in page.inner_text("table.ageing")
    shoot(page, shots, "reports")
    with page.expect_download() as downloading:
        page.click("#csv-regulatory-return")
    rows = list(csv.reader(io.StringIO(Path(downloading.value.path()).read_text())))
    assert rows[0] == ["section", "line", "count", "amount_kes", "share_bp"]


def test_an_admin_asks_for_a_new_staff_user(page: Any, console: Console, shots: Path) -> None:
    sign_in(page, console, console.admin)
    page.click("nav >> text=Staff")
    page.fill("#new-username", "njeri")
    page.select_option("#new-role", "auditor")
    page.fill("#new-reason", "Internal audit, from January")
    page.click("text=Ask for the user (another admin approves)")
    assert "staff_creation" in page.inner_text("[role=status]")
    shoot(page, shots, "staff-request")
