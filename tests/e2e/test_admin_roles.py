"""Who may call which admin and audit-log route: every route checks a role first (401
without a token, 403 with the wrong role), before it looks at the request.

The fixtures here (an app on the test fund, staff tokens by name) serve the other
``test_admin_*`` modules too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.staff.models import Role, StaffUser
from tests.support.api import bearer, fund_app, staff_token
from tests.support.lending import Fund

STAFF = {
    "amina": Role.ADMIN,
    "baraka": Role.ADMIN,
    "otieno": Role.CREDIT_OFFICER,
    "wanjiku": Role.AUDITOR,
    "kamau": Role.SUPPORT,
}
Headers = dict[str, dict[str, str]]


@pytest.fixture
def client(fund: Fund, tmp_path: Path) -> Iterator[TestClient]:
    app = fund_app(fund, tmp_path)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def staff(fund: Fund) -> Headers:
    """Authorization headers by username."""
    return {
        name: bearer(staff_token(fund.sessions, fund.clock, name, role))
        for name, role in STAFF.items()
    }


def is_problem(answer: Any, status: int, code: str | None = None) -> bool:
    return (
        answer.status_code == status
        and answer.headers["content-type"].startswith("application/problem+json")
        and (code is None or answer.json()["type"] == f"urn:mkopo:problem:{code}")
    )


EVERYONE = {Role.ADMIN, Role.CREDIT_OFFICER, Role.AUDITOR, Role.SUPPORT}
BOOK = {Role.ADMIN, Role.CREDIT_OFFICER, Role.AUDITOR}
MAKERS = {Role.ADMIN, Role.CREDIT_OFFICER}
ADMINS = {Role.ADMIN}
OVERSEERS = {Role.ADMIN, Role.AUDITOR}

# (method, path, roles allowed). Bodies are empty: an allowed role gets past the role check
# to a 404 or 422; any other role is stopped at 403 before the body is read.
ROUTES = [
    ("GET", "/admin/v1/staff", OVERSEERS),
    ("GET", "/admin/v1/products", EVERYONE),
    ("GET", "/admin/v1/products/nosuch", EVERYONE),
    ("POST", "/admin/v1/products/personal/changes", MAKERS),
    ("GET", "/admin/v1/approvals", BOOK),
    ("GET", "/admin/v1/approvals/999", BOOK),
    ("POST", "/admin/v1/approvals/999/approve", ADMINS),
    ("POST", "/admin/v1/approvals/999/reject", ADMINS),
    ("POST", "/admin/v1/approvals/999/withdraw", MAKERS),
    ("GET", "/admin/v1/borrowers", EVERYONE),
    ("GET", "/admin/v1/borrowers/999", EVERYONE),
    ("POST", "/admin/v1/borrowers/999/freeze", MAKERS),
    ("POST", "/admin/v1/borrowers/999/unfreeze", ADMINS),
    ("POST", "/admin/v1/borrowers/999/limit-overrides", MAKERS),
    ("GET", "/admin/v1/loans", BOOK),
    ("GET", "/admin/v1/loans/999", BOOK),
    ("POST", "/admin/v1/loans/999/write-offs", MAKERS),
    ("POST", "/admin/v1/journals", ADMINS),
    ("GET", "/audit/v1/audit-log", OVERSEERS),
    ("GET", "/audit/v1/audit-log/verify", OVERSEERS),
]


def test_every_route_admits_its_roles_and_refuses_the_others(
    client: TestClient, staff: Headers
) -> None:
    for method, path, allowed in ROUTES:
        body = {} if method == "POST" else None
        anonymous = client.request(method, path, json=body)
        assert is_problem(anonymous, 401, "unauthorized"), (method, path)
        for name, role in STAFF.items():
            answer = client.request(method, path, json=body, headers=staff[name])
            if role in allowed:
                assert answer.status_code not in (401, 403), (method, path, role)
                assert answer.status_code < 500, (method, path, role, answer.text)
            else:
                assert is_problem(answer, 403, "forbidden"), (method, path, role)


def test_a_disabled_or_unknown_token_is_refused(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    assert client.get("/admin/v1/products", headers=staff["kamau"]).status_code == 200
    with fund.sessions.unit_of_work() as session:
        session.execute(
            update(StaffUser).where(StaffUser.username == "kamau").values(disabled_at=fund.clock())
        )
    for headers in (staff["kamau"], bearer("mks_not-a-token")):
        assert is_problem(client.get("/admin/v1/products", headers=headers), 401, "unauthorized")


def test_a_nul_or_control_character_in_a_query_filter_is_a_4xx_not_a_500(
    client: TestClient, staff: Headers
) -> None:
    """PostgreSQL text cannot hold NUL: such a filter must be refused before any query (by
    the edge's sanitiser, 400; a line break, which the edge lets through, by the filter's own
    rules, 422)."""
    for path, name in [
        ("/admin/v1/approvals", "maker"),
        ("/admin/v1/approvals", "subject_id"),
        ("/admin/v1/loans", "product"),
        ("/admin/v1/borrowers", "phone"),
        ("/audit/v1/audit-log", "actor"),
        ("/audit/v1/audit-log", "action"),
    ]:
        for value, status, code in (
            ("\x00", 400, "invalid_text"),
            ("a\nb", 422, "invalid_request"),
        ):
            answer = client.get(path, params={name: value}, headers=staff["amina"])
            assert is_problem(answer, status, code), (path, name, value)
