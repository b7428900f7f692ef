"""The loan book over HTTP: filters, pages by id, a loan's detail, and write-offs under
maker-checker (re-validated when approved)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.test_admin_roles import Headers, client, is_problem, staff
from tests.support.lending import KES, Fund

__all__ = ["client", "staff"]


def three_loans(fund: Fund) -> dict[str, int]:
    """Loan ids: 'defaulted' (1,000, 16 days past due), 'active' (500, day 10),
    'repaid' (500, paid the day it was lent)."""
    late = fund.register()
    fund.borrow(late, 1_000 * KES)
    fund.days_pass(20)
    current = fund.register("23456780", "0110123456")
    fund.borrow(current, 500 * KES)
    fund.days_pass(10)
    settled = fund.register("30001234", "0722334455")
    fund.borrow(settled, 500 * KES)
    fund.repay(fund.loan_of(settled).id, 500 * KES, "RSETTLED01")
    return {
        "defaulted": fund.loan_of(late).id,
        "active": fund.loan_of(current).id,
        "repaid": fund.loan_of(settled).id,
    }


def ids(client: TestClient, staff: Headers, **params: Any) -> list[int]:
    answer = client.get("/admin/v1/loans", params=params, headers=staff["wanjiku"])
    assert answer.status_code == 200, answer.text
    return [loan["id"] for loan in answer.json()["items"]]


def test_the_loan_book_filters_by_status_product_overdue_days_and_borrower(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    loans = three_loans(fund)
    assert ids(client, staff) == sorted(loans.values())
    for status in ("defaulted", "active", "repaid"):
        assert ids(client, staff, status=status) == [loans[status]]
    assert ids(client, staff, product="personal") == sorted(loans.values())
    assert ids(client, staff, product="bridge") == []
    assert ids(client, staff, overdue_days=16) == [loans["defaulted"]]
    assert ids(client, staff, overdue_days=17) == []
    assert ids(client, staff, overdue_days=1, status="active") == []
    answer = client.get("/admin/v1/loans", params={"status": "defaulted"}, headers=staff["amina"])
    [late] = answer.json()["items"]
    assert (late["days_overdue"], late["outstanding_minor"] > 1_000 * KES) == (16, True)
    assert ids(client, staff, borrower_id=late["borrower_id"]) == [loans["defaulted"]]


def test_the_loan_book_pages_by_id_within_a_cap(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    loans = sorted(three_loans(fund).values())
    first = client.get("/admin/v1/loans", params={"limit": 2}, headers=staff["otieno"]).json()
    assert [loan["id"] for loan in first["items"]] == loans[:2]
    assert first["next_after_id"] == loans[1]
    second = client.get(
        "/admin/v1/loans",
        params={"limit": 2, "after_id": first["next_after_id"]},
        headers=staff["otieno"],
    ).json()
    assert ([loan["id"] for loan in second["items"]], second["next_after_id"]) == (loans[2:], None)
    for bad in ({"limit": 201}, {"limit": 0}, {"status": "lost"}, {"overdue_days": -1}):
        answer = client.get("/admin/v1/loans", params=bad, headers=staff["otieno"])
        assert is_problem(answer, 422, "invalid_request"), bad


def test_a_loan_shows_its_terms_and_repayments(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    loans = three_loans(fund)
    answer = client.get(f"/admin/v1/loans/{loans['repaid']}", headers=staff["otieno"])
    assert answer.status_code == 200, answer.text
    loan = answer.json()
    assert (loan["status"], loan["outstanding_minor"], loan["days_overdue"]) == ("repaid", 0, 0)
    assert loan["product_terms"]["term_days"] == 14
    [repayment] = loan["repayments"]
    assert (repayment["amount_minor"], repayment["provider_receipt"]) == (500 * KES, "RSETTLED01")
    assert is_problem(client.get("/admin/v1/loans/999", headers=staff["otieno"]), 404)


def test_a_write_off_is_asked_by_one_admin_and_approved_by_another(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    loans = three_loans(fund)
    path = f"/admin/v1/loans/{loans['defaulted']}/write-offs"
    body = {"reason": "Borrower unreachable for 30 days"}
    asked = client.post(path, json=body, headers=staff["amina"])
    assert asked.status_code == 201, asked.text
    approval_id = asked.json()["id"]
    assert is_problem(client.post(path, json=body, headers=staff["otieno"]), 409)
    own = client.post(f"/admin/v1/approvals/{approval_id}/approve", headers=staff["amina"])
    assert is_problem(own, 403, "four_eyes")
    approved = client.post(f"/admin/v1/approvals/{approval_id}/approve", headers=staff["baraka"])
    assert approved.status_code == 200, approved.text
    owed = approved.json()["result"]["written_off_minor"]
    assert owed > 1_000 * KES
    loan = client.get(f"/admin/v1/loans/{loans['defaulted']}", headers=staff["amina"]).json()
    assert (loan["status"], loan["outstanding_minor"]) == ("written_off", 0)
    account = client.get("/audit/v1/ledger/accounts", headers=staff["wanjiku"]).json()["items"]
    [losses] = [a for a in account if a["code"] == "5100"]
    assert losses["balance"]["posted_minor"] == owed
    fund.assert_books_agree()


def test_a_write_off_of_a_loan_not_in_default_is_refused_when_asked(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    loans = three_loans(fund)
    body = {"reason": "Borrower unreachable"}
    for which in ("active", "repaid"):
        answer = client.post(
            f"/admin/v1/loans/{loans[which]}/write-offs", json=body, headers=staff["otieno"]
        )
        assert is_problem(answer, 409, "not_write_offable"), which
    missing = client.post("/admin/v1/loans/999/write-offs", json=body, headers=staff["otieno"])
    assert is_problem(missing, 404, "loan_not_found")


def test_a_write_off_approved_after_the_loan_was_repaid_is_a_409_and_stays_failed(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 1_000 * KES)
    fund.days_pass(30)
    loan = fund.loan_of(borrower_id)
    asked = client.post(
        f"/admin/v1/loans/{loan.id}/write-offs",
        json={"reason": "Borrower unreachable"},
        headers=staff["otieno"],
    ).json()
    fund.repay(loan.id, loan.outstanding_minor, "RLATEPAY01")  # the borrower paid after all
    answer = client.post(f"/admin/v1/approvals/{asked['id']}/approve", headers=staff["amina"])
    assert is_problem(answer, 409, "approval_failed")
    assert "repaid" in answer.json()["detail"]
    stored = client.get(f"/admin/v1/approvals/{asked['id']}", headers=staff["otieno"]).json()
    assert stored["status"] == "failed"
    assert stored["decision_note"].startswith("not_write_offable")
    assert fund.loan_of(borrower_id).status == "repaid"
    again = client.post(f"/admin/v1/approvals/{asked['id']}/approve", headers=staff["baraka"])
    assert is_problem(again, 409, "approval_not_pending")
    fund.assert_books_agree()
