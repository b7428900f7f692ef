"""The product editor: every role reads the products; a maker's form becomes a four-eyes
change request of the fields that differ (shown as what would change), another officer
approves it in the inbox; support and auditors cannot ask, bad fields are a 422 message."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.products.models import Product
from app.staff.models import Role
from tests.support.console_desk import (
    Desk,
    alert_of,
    console_user,
    request_number,
    signed_in,
)
from tests.support.lending import KES, Fund


def _personal(fund: Fund) -> Product:
    with fund.sessions.reader() as session:
        found = session.scalar(select(Product).where(Product.code == "personal"))
        assert found is not None
        return found


def test_a_product_change_asked_in_the_console_shows_what_would_change(
    desk: Desk, fund: Fund, tmp_path: Path
) -> None:
    client = desk.client
    auditor = console_user(fund, tmp_path, "aud", Role.AUDITOR)
    csrf = signed_in(client, auditor, fund)
    listed = client.get("/console/products")
    assert listed.status_code == 200
    assert "/console/products/personal" in listed.text
    shown = client.get("/console/products/personal").text
    assert "Ask for the change" not in shown
    assert "disabled" in shown
    path = "/console/products/personal/changes"
    form = {"csrf_token": csrf, "max_amount_minor": "60000", "reason": "bigger loans"}
    assert client.post(path, data=form).status_code == 403
    assert client.get("/console/products/nothing").status_code == 404

    csrf = signed_in(client, desk.officer, fund)
    before = _personal(fund)
    form["csrf_token"] = csrf
    same = client.post(path, data=form | {"max_amount_minor": str(before.max_amount_minor // KES)})
    assert same.status_code >= 400
    assert "as they are" in same.text
    bad = client.post(path, data=form | {"term_days": "thirty"})
    assert bad.status_code == 422
    assert "term_days is a whole number" in bad.text
    inconsistent = client.post(path, data=form | {"max_amount_minor": "0.50"})
    assert inconsistent.status_code == 422, alert_of(inconsistent.text)
    asked = client.post(path, data=form | {"regular_rate_bp": "1500"})
    assert asked.status_code == 200, alert_of(asked.text)
    number = request_number(asked.text)
    diff = asked.text[asked.text.index('id="diff"') :]
    assert "max_amount_minor" in diff
    assert "60000" in diff
    assert "regular_rate_bp" in diff
    assert "term_days" not in diff.split("</table>")[0]

    csrf = signed_in(client, desk.admin, fund)
    approved = client.post(f"/console/approvals/{number}/approve", data={"csrf_token": csrf})
    assert "approved: approved" in approved.text
    after = _personal(fund)
    assert (after.max_amount_minor, after.regular_rate_bp) == (60_000 * KES, 1500)
    assert after.version == before.version + 1
