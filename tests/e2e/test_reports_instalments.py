"""PAR and the arrears ageing count an instalment loan by its oldest unpaid instalment's
due date, not its final one; bullet loans as before.

On Tuesday 12 May 2026, of three loans (the group product: KES 12,000 over 3 monthly
instalments from 2 March, final due date 2 June):
- A (group): instalment 1 (due 2 April) never paid: 40 days past due (defaulted at 30);
- B (group): instalment 1 paid on time, instalment 2 (due 2 May) unpaid: 10 days past due;
- C (Personal Loan, KES 500 from 2 May, due 16 May): current.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from app.lending.models import Loan
from tests.e2e.test_admin_roles import Headers, client, staff
from tests.support.instalments import add_group_product, instalment_rows, lend_group, travel_to
from tests.support.lending import KES, Fund

__all__ = ["client", "staff"]
TODAY = date(2026, 5, 12)


def _book(fund: Fund) -> dict[str, int]:
    add_group_product(fund, fund.clock())
    a = lend_group(fund, fund.register())
    b = lend_group(fund, fund.register("23456780", "0110123456"))
    travel_to(fund, date(2026, 4, 2))
    fund.repay(b, instalment_rows(fund, b)[0].total_minor, "BFIRST")
    travel_to(fund, date(2026, 5, 2))
    c_borrower = fund.register("30001234", "0722334455")
    fund.borrow(c_borrower, 500 * KES)
    travel_to(fund, TODAY)
    return {"a": a, "b": b, "c": fund.loan_of(c_borrower).id}


def _get(client: TestClient, staff: Headers, path: str, **params: Any) -> Any:
    answer = client.get(f"/admin/v1/reports/{path}", params=params, headers=staff["wanjiku"])
    assert answer.status_code == 200, answer.text
    return answer


def test_par_counts_an_instalment_loan_by_its_oldest_unpaid_instalment(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    _book(fund)
    report = _get(client, staff, "portfolio").json()
    assert report["portfolio_loans_count"] == 3
    par = {line["days_over"]: line["loans_count"] for line in report["par"]}
    assert par == {1: 2, 7: 2, 30: 1, 90: 0}  # A (40 DPD) and B (10 DPD); C is current


def test_the_arrears_ageing_buckets_loans_by_product_and_days_past_due(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    loans = _book(fund)
    report = _get(client, staff, "arrears-ageing").json()
    assert report["as_of"] == TODAY.isoformat()
    by_product = {p["product_code"]: p for p in report["products"]}
    assert set(by_product) == {"group3", "personal"}
    group = {line["bucket"]: line["loans_count"] for line in by_product["group3"]["buckets"]}
    assert group == {"current": 0, "1-30": 1, "31-60": 1, "61-90": 0, "91-180": 0, "180+": 0}
    personal = by_product["personal"]["buckets"]
    assert [(x["bucket"], x["loans_count"]) for x in personal if x["loans_count"]] == [
        ("current", 1)
    ]
    assert by_product["personal"]["total"]["principal_minor"] == 500 * KES
    total = report["total"]
    assert total["total"]["loans_count"] == 3
    assert total["total"]["outstanding_minor"] == sum(
        p["total"]["outstanding_minor"] for p in report["products"]
    )
    with fund.sessions.reader() as session:
        a = session.get(Loan, loans["a"])
        assert a is not None
        a_principal = a.principal_outstanding_minor
    [late] = [x for x in by_product["group3"]["buckets"] if x["bucket"] == "31-60"]
    assert late["principal_minor"] == a_principal == 12_000 * KES
    rows = list(csv.reader(io.StringIO(_get(client, staff, "arrears-ageing", format="csv").text)))
    assert rows[0] == ["product_code", "bucket", "loans_count", "principal_kes", "outstanding_kes"]
    assert rows[1 + 2][:4] == ["group3", "31-60", "1", "12000.00"]
    assert rows[-1][:3] == ["total", "total", "3"]


def test_the_loan_book_filters_and_shows_days_overdue_by_the_oldest_unpaid_instalment(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    loans = _book(fund)

    def listed(**params: Any) -> dict[int, int]:
        answer = client.get("/admin/v1/loans", params=params, headers=staff["amina"])
        assert answer.status_code == 200, answer.text
        return {loan["id"]: loan["days_overdue"] for loan in answer.json()["items"]}

    assert listed() == {loans["a"]: 40, loans["b"]: 10, loans["c"]: 0}
    assert listed(overdue_days=10) == {loans["a"]: 40, loans["b"]: 10}
    assert listed(overdue_days=11) == {loans["a"]: 40}
