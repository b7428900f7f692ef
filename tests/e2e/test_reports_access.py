"""Who may read the reports, and clear 4xx answers to bad parameters (never a 500)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.staff.models import Role
from tests.support.api import app_for, bearer, staff_token
from tests.support.lending import Fund

REPORTS = [
    "portfolio",
    "savings",
    "savings/savers",
    "trial-balance",
    "income-statement",
    "balance-sheet",
]
TODAY = "2026-03-02"  # the fund's FrozenClock: 2 March 2026, 10:00 in Nairobi


@pytest.fixture
def client(fund: Fund, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(app_for(fund.sessions.database, fund.clock, tmp_path / "seal.pem")) as c:
        yield c


def token(fund: Fund, role: Role) -> dict[str, str]:
    return bearer(staff_token(fund.sessions, fund.clock, role.value, role))


def test_admins_credit_officers_and_auditors_read_reports_support_may_not(
    client: TestClient, fund: Fund
) -> None:
    readers = [token(fund, r) for r in (Role.ADMIN, Role.CREDIT_OFFICER, Role.AUDITOR)]
    support = token(fund, Role.SUPPORT)
    for report in REPORTS:
        path = f"/admin/v1/reports/{report}"
        anonymous = client.get(path)
        assert anonymous.status_code == 401, report
        assert anonymous.headers["content-type"].startswith("application/problem+json")
        assert client.get(path, headers=bearer("not-a-token")).status_code == 401
        refused = client.get(path, headers=support)
        assert (refused.status_code, refused.json()["type"]) == (
            403,
            "urn:mkopo:problem:forbidden",
        )
        for headers in readers:
            assert client.get(path, headers=headers).status_code == 200, report


def test_a_new_fund_reports_zeros_and_its_books_balance(client: TestClient, fund: Fund) -> None:
    who = token(fund, Role.AUDITOR)
    portfolio = client.get("/admin/v1/reports/portfolio", headers=who).json()
    assert portfolio["total"]["loans_count"] == 0
    assert [p["share_bp"] for p in portfolio["par"]] == [None, None, None, None]
    assert portfolio["days_total"]["repayment_rate_bp"] is None
    for statement in ("trial-balance", "income-statement", "balance-sheet"):
        report = client.get(f"/admin/v1/reports/{statement}", headers=who).json()
        assert report["balanced"] is True, statement
    sheet = client.get("/admin/v1/reports/balance-sheet", headers=who).json()
    assert sheet["assets_total_minor"] == sheet["equity_total_minor"] == 1_000_000_000
    rows = client.get(
        "/admin/v1/reports/portfolio", params={"format": "csv", "table": "par"}, headers=who
    )
    assert rows.text.splitlines()[1] == "1,0,0.00,0.00,"  # null share: an empty cell
    assert rows.headers["content-disposition"] == (
        f'attachment; filename="portfolio-par-{TODAY}.csv"'
    )


BAD = [
    # (report, params, status, problem code)
    ("portfolio", {"as_of": "2026-03-01"}, 400, "portfolio_as_of_not_today"),
    ("portfolio", {"as_of": "2026-02-30"}, 422, "invalid_request"),
    ("portfolio", {"from": "2026-03-02", "to": "2026-03-01"}, 400, "report_range_reversed"),
    ("portfolio", {"from": "2025-03-01", "to": "2026-03-02"}, 400, "report_range_too_long"),
    ("portfolio", {"to": "2026-03-03"}, 400, "report_date_out_of_range"),
    ("portfolio", {"from": "0001-01-01"}, 400, "report_date_out_of_range"),
    ("portfolio", {"to": "9999-12-31"}, 400, "report_date_out_of_range"),
    ("portfolio", {"format": "csv"}, 400, "csv_table_required"),
    ("portfolio", {"format": "csv", "table": "loans"}, 422, "invalid_request"),
    ("portfolio", {"format": "xml"}, 422, "invalid_request"),
    ("savings", {"format": "pdf"}, 422, "invalid_request"),
    ("savings/savers", {"limit": "0"}, 422, "invalid_request"),
    ("savings/savers", {"limit": "501"}, 422, "invalid_request"),
    ("savings/savers", {"after_id": "-1"}, 422, "invalid_request"),
    ("savings/savers", {"after_id": "x"}, 422, "invalid_request"),
    ("trial-balance", {"as_of": "yesterday"}, 422, "invalid_request"),
    ("trial-balance", {"as_of": "2026-03-02T10:00:00"}, 422, "invalid_request"),
    ("trial-balance", {"as_of": "2026-03-03"}, 400, "report_date_out_of_range"),
    ("trial-balance", {"as_of": "2019-12-31"}, 400, "report_date_out_of_range"),
    ("balance-sheet", {"as_of": "0001-01-01"}, 400, "report_date_out_of_range"),
    ("income-statement", {"from": "2020-01-01"}, 400, "report_range_too_long"),
    ("income-statement", {"to": "2026-01-15"}, 200, None),  # from defaults to 1 January
    ("income-statement", {"to": "0001-01-01"}, 400, "report_date_out_of_range"),
    ("income-statement", {"from": "2026-03-02", "to": "2026-02-01"}, 400, "report_range_reversed"),
]


def test_bad_parameters_are_refused_with_a_problem_never_a_500(
    client: TestClient, fund: Fund
) -> None:
    admin = token(fund, Role.ADMIN)
    for report, params, status, code in BAD:
        answer = client.get(f"/admin/v1/reports/{report}", params=params, headers=admin)
        assert answer.status_code == status, (report, params, answer.text)
        if code is not None:
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["type"] == f"urn:mkopo:problem:{code}", (report, params)
