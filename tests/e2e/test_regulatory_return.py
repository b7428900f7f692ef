"""The regulatory return over HTTP, JSON and CSV: loans paid out in the period by size,
product, gender and age band, PAR at its end, borrowers who joined and left, complaints."""

from __future__ import annotations

import csv
import io
from datetime import date

from fastapi.testclient import TestClient

from app.clock import business_date
from app.crb.disputes import Complaint, open_dispute
from app.crb.models import DisputeChannel, DisputeReason
from app.onboarding.service import opt_out
from integrations.identity.simulator import SimulatedIdentityRegister
from tests.e2e.test_admin_roles import Headers, client, staff
from tests.e2e.test_ussd_dialler import set_limit
from tests.support.lending import GOOD_ID, KES, Fund

__all__ = ["client", "staff"]
OTHER_ID, OTHER_PHONE = "22345671", "0712345670"


def age_at(national_id: str, day: date) -> int:
    record = SimulatedIdentityRegister(day).lookup(national_id)
    assert record is not None
    born = record.date_of_birth
    return day.year - born.year - int((day.month, day.day) < (born.month, born.day))


def band_of(age: int) -> str:
    for lower, upper in ((18, 24), (25, 34), (35, 44), (45, 54), (55, 64)):
        if lower <= age <= upper:
            return f"{lower}-{upper}"
    return "65+"


def test_the_return_counts_the_period(client: TestClient, fund: Fund, staff: Headers) -> None:
    first = business_date(fund.clock())
    one = fund.register()
    two = fund.register(OTHER_ID, OTHER_PHONE)
    fund.borrow(one, 500 * KES, "one")
    set_limit(fund, two, 5_000 * KES, "A1")
    fund.borrow(two, 2_000 * KES, "two")
    with fund.sessions.unit_of_work() as session:
        complaint = Complaint(
            one, fund.loan_of(one).id, DisputeReason.PAID, None, DisputeChannel.APP
        )
        open_dispute(session, complaint, fund.clock())
    fund.days_pass(40)  # both loans past due, defaulted on day 30
    loan = fund.loan_of(one)
    fund.repay(loan.id, loan.outstanding_minor, "RKL00000007")
    with fund.sessions.unit_of_work() as session:
        opt_out(session, one, fund.clock())
    last = business_date(fund.clock())

    params = {"from": first.isoformat(), "to": last.isoformat()}
    answer = client.get(
        "/admin/v1/reports/regulatory-return", params=params, headers=staff["wanjiku"]
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["loans_count"], report["disbursed_minor"]) == (2, 2_500 * KES)
    assert [(x["band"], x["loans_count"]) for x in report["by_size"]] == [
        ("1-1000", 1),
        ("1001-5000", 1),
    ]
    assert [(x["band"], x["loans_count"]) for x in report["by_product"]] == [("personal", 2)]
    assert report["by_gender"] == [
        {"band": "not_recorded", "loans_count": 2, "disbursed_minor": 2_500 * KES}
    ]
    expected = sorted(band_of(age_at(n, last)) for n in (GOOD_ID, OTHER_ID))
    assert sorted(x["band"] for x in report["by_age"] for _ in range(x["loans_count"])) == expected
    par = {x["days_over"]: x["loans_count"] for x in report["par"]}
    assert par == {1: 1, 7: 1, 30: 0, 90: 0}  # the second loan: due on day 14, 26 days ago
    assert report["borrowers"] == {"joined": 2, "left": 1, "active_at_end": 1}
    assert report["complaints"] == {
        "opened": 1,
        "resolved": 0,
        "upheld": 0,
        "open_at_end": 1,
        "overdue_at_end": 1,
    }

    as_csv = client.get(
        "/admin/v1/reports/regulatory-return",
        params={**params, "format": "csv"},
        headers=staff["wanjiku"],
    )
    assert as_csv.status_code == 200
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["section", "line", "count", "amount_kes", "share_bp"]
    assert ["loans", "total", "2", "2500.00", ""] in rows
    assert ["complaints", "overdue_at_end", "1", "", ""] in rows
    assert (
        client.get("/admin/v1/reports/regulatory-return", headers=staff["kamau"]).status_code == 403
    )
