"""The Auditor-General's findings on the real fund, each shown impossible through every door:
the USSD menu, the app API, the admin API, the services, and the database's own guards.

Findings: a loan before opt-in; a loan over the limit; a future or impossible date of birth;
a minor; a repeat loan before the earlier one is repaid (docs/crb.md, "Compliance").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from app.borrowers import errors as borrower_errors
from app.borrowers.models import Borrower
from app.clock import business_date
from app.errors import DomainError
from app.lending import ddl
from app.lending import errors as lending_errors
from app.lending.models import Loan
from app.onboarding.service import check_applicant, opt_out
from app.staff.models import Role
from app.ussd.registration import complete_registration
from tests.e2e.test_app_api_support import AppWorld, bearer, key, open_app
from tests.e2e.test_ussd_dialler import Dialler, register, set_limit
from tests.e2e.test_ussd_registration import collect, registration
from tests.support.api import RecordingTaskQueue, staff_token
from tests.support.lending import KES, Fund

MINOR = "12345677"
BORN_IN_THE_FUTURE = "12345678"
BORN_IN_1890 = "12345679"
BAD_BIRTHS = [
    pytest.param(MINOR, "underage", id="minor"),
    pytest.param(BORN_IN_THE_FUTURE, "implausible_birth_date", id="future-birth-date"),
    pytest.param(BORN_IN_1890, "implausible_birth_date", id="impossible-birth-date"),
]
LOAN_COPY = (
    "borrower_id, product_id, product_terms, status, credit_limit_minor, "
    "principal_pending_minor, principal_disbursed_minor, principal_outstanding_minor, "
    "interest_outstanding_minor, penalty_outstanding_minor, days_accrued, carry_units, "
    "interest_accrued_minor, penalty_accrued_minor, created_at"
)


@pytest.fixture
def app_world(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    with open_app(fund, tmp_path) as world:
        yield world


def problem(answer: Any) -> str:
    return str(answer.json()["type"]).removeprefix("urn:mkopo:problem:")


def borrowers(fund: Fund) -> int:
    with fund.sessions.reader() as session:
        return int(session.scalar(select(func.count()).select_from(Borrower)) or 0)


def refused_by_database(fund: Fund, why: str, sql: str, **params: Any) -> None:
    """``sql`` fails on the database's own rule, whose message (or constraint) says ``why``."""
    with (
        pytest.raises(IntegrityError, match=why),
        fund.sessions.database.write_engine.begin() as conn,
    ):
        conn.execute(text(sql), params)


def copy_loan(fund: Fund, why: str, **overrides: str) -> None:
    """Insert a copy of the one loan, some columns replaced by SQL expressions: refused."""
    columns = [c.strip() for c in LOAN_COPY.split(",")]
    values = ", ".join(overrides.get(c, c) for c in columns)
    refused_by_database(
        fund,
        why,
        f"INSERT INTO loans (account_number, {LOAN_COPY}) SELECT 'MK-COPY', {values} FROM loans",
    )


# -- a minor, a future and an impossible date of birth ------------------------------------------


@pytest.mark.parametrize(("national_id", "code"), BAD_BIRTHS)
def test_a_bad_birth_date_is_refused_by_the_service(
    fund: Fund, national_id: str, code: str
) -> None:
    with pytest.raises(DomainError) as refused:
        check_applicant(fund.ports, national_id, "0712345678", business_date(fund.clock()))
    assert refused.value.code == code


@pytest.mark.parametrize(("national_id", "code"), BAD_BIRTHS)
def test_a_bad_birth_date_is_refused_on_ussd(
    client: TestClient, fund: Fund, national_id: str, code: str
) -> None:
    pending = collect(client, national_id)
    assert complete_registration(fund.sessions, fund.ports, fund.clock, fund.policy, pending) == (
        "refused"
    )
    assert registration(fund, pending).reason == code
    assert borrowers(fund) == 0
    assert Dialler(client).walk().startswith("CON Welcome to Mkopo")


@pytest.mark.parametrize(("national_id", "code"), BAD_BIRTHS)
def test_a_bad_birth_date_is_refused_by_the_app_api(
    app_world: AppWorld, national_id: str, code: str
) -> None:
    body = {
        "verification_token": app_world.verify(),
        "national_id": national_id,
        "accept_terms": True,
        "pin": "4826",
    }
    answer = app_world.post("/registration/complete", body)
    assert (answer.status_code, problem(answer)) == (422, code)
    assert borrowers(app_world.fund) == 0


def test_no_staff_request_writes_a_birth_date_or_an_identity(app_world: AppWorld) -> None:
    """The admin door: staff find and read borrowers; no admin or auditor request body carries
    a date of birth, a national ID or the day of majority, so staff cannot write one."""
    schema = app_world.app.openapi()
    bodies = schema["components"]["schemas"]
    staff_bodies = set()
    for path, operations in schema["paths"].items():
        if not path.startswith(("/admin/", "/audit/")):
            continue
        for operation in operations.values():
            ref = (
                operation.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
                .get("$ref", "")
            )
            if ref:
                staff_bodies.add(ref.rsplit("/", 1)[-1])
    assert staff_bodies, "the admin API has request bodies to look at"
    for name in staff_bodies:
        fields = set(bodies[name].get("properties", {}))
        assert not fields & {"date_of_birth", "adult_on", "national_id", "born_on"}, name


def test_the_database_refuses_a_minor_and_an_impossible_birth_date(fund: Fund) -> None:
    borrower_id = fund.register()
    joined = business_date(fund.clock())
    columns = (
        "national_id_index, national_id_enc, phone_index, phone_enc, full_name_enc, "
        "date_of_birth_enc, status, terms_version, opted_in_at, pin_hash, created_at"
    )
    before = fund.borrower(borrower_id).adult_on
    for adult in (None, joined + timedelta(days=1), date(joined.year - 103, 1, 1)):
        refused_by_database(
            fund,
            ddl.MINOR_REFUSED,
            f"INSERT INTO borrowers ({columns}, adult_on) "
            "SELECT 'x' || substr(national_id_index, 2), national_id_enc, "
            "'x' || substr(phone_index, 2), phone_enc, full_name_enc, date_of_birth_enc, "
            "status, terms_version, opted_in_at, pin_hash, created_at, :adult FROM borrowers",
            adult=adult,
        )
    for adult in (joined + timedelta(days=1), date(joined.year - 103, 12, 31)):
        refused_by_database(
            fund, ddl.MINOR_REFUSED, "UPDATE borrowers SET adult_on = :adult", adult=adult
        )
    assert before is not None
    assert fund.borrower(borrower_id).adult_on == before


def test_the_database_gives_no_loan_to_a_borrower_not_known_to_be_an_adult(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    with fund.sessions.unit_of_work() as session:  # a row from before migration 0024
        session.execute(update(Borrower).values(adult_on=None))
    copy_loan(fund, ddl.NOT_ADULT_REFUSED, status="'repaid'")


# -- a loan before opting in ---------------------------------------------------------------------


def test_no_loan_before_opting_in_through_the_service(fund: Fund) -> None:
    borrower_id = fund.register()
    with fund.sessions.unit_of_work() as session:
        opt_out(session, borrower_id, fund.clock())
    with pytest.raises(borrower_errors.NotOptedIn):
        fund.request(borrower_id, 500 * KES, "after-opt-out")


def test_no_loan_before_opting_in_on_ussd(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    assert Dialler(client).walk("1").startswith("CON Register")  # "1" registers, never borrows
    borrower_id = register(client, fund, queue)
    with fund.sessions.unit_of_work() as session:
        opt_out(session, borrower_id, fund.clock())
    assert Dialler(client).walk() == (
        "CON Welcome back to Mkopo. Your savings are safe with us.\n1. Register again"
    )
    assert Dialler(client).walk("1").startswith("CON Register")
    with fund.sessions.reader() as session:
        assert session.scalar(select(func.count()).select_from(Loan)) == 0


def test_no_loan_before_opting_in_through_the_app_api(app_world: AppWorld) -> None:
    body = {"product_code": "personal", "amount_minor": 500 * KES}
    anonymous = app_world.post("/loans", body, headers=key("anon"))
    assert anonymous.status_code == 401
    tokens = app_world.register()
    opted_out = app_world.post("/me/opt-out", headers=bearer(tokens))
    assert opted_out.status_code == 200, opted_out.text
    answer = app_world.post("/loans", body, headers=bearer(tokens) | key("after-opt-out"))
    assert 400 <= answer.status_code < 500
    with app_world.fund.sessions.reader() as session:
        assert session.scalar(select(func.count()).select_from(Loan)) == 0


def test_the_database_refuses_a_loan_before_opting_in(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    with fund.sessions.unit_of_work() as session:  # opted in (again) after the loan's time
        session.execute(update(Borrower).values(opted_in_at=fund.clock() + timedelta(days=1)))
    copy_loan(fund, ddl.NOT_OPTED_IN_REFUSED, status="'repaid'")
    with fund.sessions.unit_of_work() as session:
        session.execute(update(Borrower).values(status="opted_out"))
    copy_loan(fund, ddl.NOT_OPTED_IN_REFUSED, status="'repaid'")


# -- a loan over the limit -------------------------------------------------------------------------


def test_no_loan_over_the_limit_through_the_service(fund: Fund) -> None:
    borrower_id = fund.register()  # limit KES 2,000
    with pytest.raises(lending_errors.OverLimit):
        fund.request(borrower_id, 2_100 * KES, "over")
    fund.borrow(borrower_id, 1_500 * KES)
    with pytest.raises(lending_errors.OverLimit):  # a top-up past the limit
        fund.request(borrower_id, 600 * KES, "top-up-over")


def test_no_loan_over_the_limit_on_ussd(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    borrower_id = register(client, fund, queue)
    set_limit(fund, borrower_id, 1_000 * KES, "B1")
    screen = Dialler(client).walk("1", "1100")
    assert screen.startswith("CON "), screen
    assert "100 to 1,000" in screen, screen
    with fund.sessions.reader() as session:
        assert session.scalar(select(func.count()).select_from(Loan)) == 0


def test_no_loan_over_the_limit_through_the_app_api(app_world: AppWorld) -> None:
    tokens = app_world.register()  # limit KES 2,000
    body = {"product_code": "personal", "amount_minor": 2_100 * KES}
    answer = app_world.post("/loans", body, headers=bearer(tokens) | key("over"))
    assert (answer.status_code, problem(answer)) == (409, "over_limit")


def test_no_limit_above_the_policy_through_the_admin_api(app_world: AppWorld) -> None:
    """Staff cannot lend; the one door they have to a bigger loan is a limit override, and it
    is refused above the policy's ceiling (before any second officer sees it)."""
    borrower_id = app_world.fund.register()
    officer = staff_token(
        app_world.fund.sessions, app_world.fund.clock, "otieno", Role.CREDIT_OFFICER
    )
    answer = app_world.client.post(
        f"/admin/v1/borrowers/{borrower_id}/limit-overrides",
        json={"limit_minor": 10_000_000 * KES, "reason": "asked for a big one"},
        headers={"Authorization": f"Bearer {officer}"} | key("big"),
    )
    assert (answer.status_code, problem(answer)) == (422, "invalid_limit")
    posts = [
        path
        for path, operations in app_world.app.openapi()["paths"].items()
        if path.startswith("/admin/") and "post" in operations and path.endswith("/loans")
    ]
    assert posts == []


def test_the_database_refuses_a_loan_over_the_limit(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    copy_loan(
        fund, ddl.OVER_LIMIT_REFUSED, status="'repaid'", credit_limit_minor="credit_limit_minor + 1"
    )
    refused_by_database(
        fund,
        "principal_within_limit|within_limit|CHECK",
        "UPDATE loans SET principal_outstanding_minor = credit_limit_minor + 1",
    )
    refused_by_database(
        fund, ddl.OVER_LIMIT_REFUSED, "UPDATE loans SET credit_limit_minor = credit_limit_minor + 1"
    )


# -- a repeat loan before the earlier one is repaid ----------------------------------------------


def test_no_second_loan_while_one_is_open_through_the_service(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.request(borrower_id, 500 * KES, "first")
    with pytest.raises(lending_errors.LoanInFlight):
        fund.request(borrower_id, 500 * KES, "second-while-paying-out")


def test_no_second_loan_while_one_is_open_through_the_app_api(app_world: AppWorld) -> None:
    tokens = app_world.register()
    body = {"product_code": "personal", "amount_minor": 500 * KES}
    first = app_world.post("/loans", body, headers=bearer(tokens) | key("first"))
    assert first.status_code == 201, first.text
    second = app_world.post("/loans", body, headers=bearer(tokens) | key("second"))
    assert (second.status_code, problem(second)) == (409, "disbursement_in_flight")


def test_no_second_loan_while_one_is_open_on_ussd(
    client: TestClient, fund: Fund, queue: RecordingTaskQueue
) -> None:
    register(client, fund, queue)
    phone = Dialler(client)
    phone.walk("1", "500", "1")
    assert phone.send("4826").startswith("END Done.")
    assert "still on its way" in Dialler(client).walk("1")
    with fund.sessions.reader() as session:
        assert session.scalar(select(func.count()).select_from(Loan)) == 1


def test_the_database_refuses_a_second_open_loan(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    copy_loan(fund, "UNIQUE|unique|duplicate")
