"""Without the field-keys file every channel says so its own way, and nothing is cached: once
the file is in place, the same app serves (one loader for the whole app)."""

from __future__ import annotations

from pathlib import Path

from app.security.fields import generate_field_keys_file
from app.staff.models import Role
from tests.e2e.test_admin_roles import is_problem
from tests.e2e.test_ussd_dialler import Dialler
from tests.support.api import TestClient, app_for, bearer, staff_token
from tests.support.lending import Fund


def test_each_channel_answers_without_keys_and_serves_once_they_exist(
    fund: Fund, tmp_path: Path
) -> None:
    keys = tmp_path / "not-yet" / "field-keys.json"
    app = app_for(fund.sessions.database, fund.clock, tmp_path / "seal.pem", field_keys_path=keys)
    support = bearer(staff_token(fund.sessions, fund.clock, "kamau", Role.SUPPORT))
    search = {"phone": "0712345678"}
    with TestClient(app) as client:
        answer = client.get("/admin/v1/borrowers", params=search, headers=support)
        assert is_problem(answer, 503, "field_keys_missing")
        assert Dialler(client).dial() == (
            "END Sorry, Mkopo cannot do that right now. Please try again later."
        )
        started = client.post("/api/v1/registration/start", json={"phone": "0712345678"})
        assert is_problem(started, 503, "field_keys_missing")

        keys.parent.mkdir()
        generate_field_keys_file(keys)
        assert client.get("/admin/v1/borrowers", params=search, headers=support).json() == []
        assert Dialler(client).dial().startswith("CON ")
        assert client.post("/api/v1/registration/start", json=search).status_code == 202
