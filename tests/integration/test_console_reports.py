"""Reports in the console: the arrears ageing, the regulatory return and the portfolio for
the reports' roles, each table also as the API's CSV; support is refused, a bad date or a
reversed range is a message with the API's status."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from app.staff.models import Role
from tests.support.console_desk import Desk, console_user, signed_in
from tests.support.lending import KES, Fund


def test_the_reports_and_their_csv_files(desk: Desk, fund: Fund, tmp_path: Path) -> None:
    client = desk.client
    fund.borrow(desk.borrower_id, 1_000 * KES)
    fund.days_pass(20)  # 6 days past due
    signed_in(client, console_user(fund, tmp_path, "aud", Role.AUDITOR), fund)
    page = client.get("/console/reports")
    assert page.status_code == 200
    ageing = page.text[page.text.index('class="ageing"') : page.text.index('id="regulatory"')]
    assert "personal" in ageing
    assert "1-30" in ageing
    assert "portfolio-daily.csv?first=&amp;to=" in page.text
    rows = list(csv.reader(io.StringIO(client.get("/console/reports/arrears-ageing.csv").text)))
    assert rows[0][0] == "product_code"
    assert any(row[:2] == ["personal", "1-30"] and row[2] == "1" for row in rows)
    returned = client.get("/console/reports/regulatory-return.csv")
    assert returned.headers["content-type"].startswith("text/csv")
    assert "loans,total,1" in returned.text
    daily = client.get("/console/reports/portfolio-daily.csv?first=2026-03-01&to=2026-03-10")
    assert daily.status_code == 200
    assert len(list(csv.reader(io.StringIO(daily.text)))) == 12  # header, 10 days, total
    assert client.get("/console/reports/savings.csv").status_code == 422
    bad = client.get("/console/reports?first=March")
    assert bad.status_code == 422
    assert "YYYY-MM-DD" in bad.text
    reversed_range = client.get("/console/reports?first=2026-03-10&to=2026-03-01")
    assert reversed_range.status_code >= 400
    assert "is after" in reversed_range.text
    signed_in(client, console_user(fund, tmp_path, "sue", Role.SUPPORT), fund)
    assert client.get("/console/reports").status_code == 403
    assert client.get("/console/reports/arrears-ageing.csv").status_code == 403
