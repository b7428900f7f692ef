"""No callback can hold up the ones behind it: whatever arrives on any of the 8 callback paths
— arbitrary bytes, arbitrary JSON, a real body with one field poisoned (a NUL, a lone
surrogate, nesting 1,000 deep, a value of the wrong type) — is acknowledged, stored, and ends
processed or waiting for a person (malformed or failed, with its reason, in
``GET /admin/v1/callbacks``); a real KES 20 paybill repayment behind them is applied once and
the books balance. Rows stored before the edge's checks existed (a NUL inside a stored body,
nesting too deep to decode) and any unexpected error while applying fail alone."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.lending.models import Repayment
from app.mpesa import processing
from app.mpesa.inbox import Delivery, store_callback
from app.mpesa.models import MpesaCallback
from app.mpesa.processing import process_pending
from app.staff.models import Role
from integrations.mpesa.client import CALLBACK_KINDS
from tests.e2e.test_mpesa_callback_inbox import B2C_RESULT, STK_SUCCESS, c2b
from tests.support.api import bearer, fund_app, staff_token
from tests.support.lending import KES, Fund

TOKEN = "t0k3n-for-tests"
BASE = f"/callbacks/mpesa/{TOKEN}"
MAX_EXAMPLES = 40
REPAYMENT = "20.00"
"""KES 20, the payment the outside testers saw stuck behind a poisoned callback."""
_receipts = itertools.count(1)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
"""Arbitrary JSON, including every control character and lone surrogates in text."""
poison_texts = st.sampled_from(["MK\x0000026", "\x00", "a\x01b", "\ud800", "x\x1f"]) | st.text()
SKELETONS: dict[str, dict[str, Any]] = {
    "stk": STK_SUCCESS,
    "c2b/validation": c2b("SOMEONE ELSE"),  # not a loan: a valid one waits in suspense
    "c2b/confirmation": c2b("SOMEONE ELSE"),
    "b2c/result": B2C_RESULT,
}


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@st.composite
def poisoned_field(draw: st.DrawFn, kind: str) -> bytes:
    """A real body of ``kind`` with one top-level field (or the result's) replaced."""
    skeleton = json.loads(json.dumps(SKELETONS.get(kind, B2C_RESULT)))
    target = skeleton.get("Result", skeleton)
    field = draw(st.sampled_from(sorted(target)))
    target[field] = draw(json_values | poison_texts)
    if draw(st.booleans()):
        target["TransID" if "TransID" in target else "OriginatorConversationID"] = (
            f"PZ{next(_receipts):08d}"  # a fresh id: stored anew, so it is processed
        )
    return json.dumps(skeleton).encode()


@st.composite
def poison(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(CALLBACK_KINDS))
    body = draw(
        st.one_of(
            st.binary(max_size=200),
            json_values.map(lambda value: json.dumps(value).encode()),
            st.integers(33, 1_100).map(deep),
            poisoned_field(kind),
        )
    )
    return kind, body


@pytest.fixture
def client(fund: Fund, tmp_path: Path) -> Iterator[TestClient]:
    app = fund_app(fund, tmp_path, mpesa_callback_token=TOKEN)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def waiting_for_a_person(client: TestClient, fund: Fund) -> dict[int, dict[str, Any]]:
    officer = bearer(staff_token(fund.sessions, fund.clock, f"o{next(_receipts)}", Role.ADMIN))
    listed = client.get("/admin/v1/callbacks", params={"limit": 500}, headers=officer)
    assert listed.status_code == 200, listed.text
    return {row["id"]: row for row in listed.json()}


def repayments_of(fund: Fund, receipt: str) -> list[int]:
    with fund.sessions.reader() as session:
        return list(
            session.scalars(
                select(Repayment.amount_minor).where(Repayment.provider_receipt == receipt)
            )
        )


def rows(fund: Fund) -> list[MpesaCallback]:
    with fund.sessions.reader() as session:
        return list(session.scalars(select(MpesaCallback).order_by(MpesaCallback.id)))


def assert_nothing_blocks(client: TestClient, fund: Fund, receipt: str) -> None:
    """Every callback processed or waiting for a person; the repayment applied once."""
    process_pending(fund.sessions, fund.clock, fund.ports.blind_index)
    assert repayments_of(fund, receipt) == [20 * KES]
    stored = rows(fund)
    assert [r.id for r in stored if r.status == "received"] == []
    stuck = {r.id: r for r in stored if r.status in ("malformed", "failed")}
    assert all(r.error for r in stuck.values())
    assert set(waiting_for_a_person(client, fund)) == set(stuck)
    fund.assert_books_agree()


def test_arbitrary_callbacks_on_every_kind_never_hold_up_a_repayment_behind_them(
    client: TestClient, fund: Fund
) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 2_000 * KES)
    account = fund.loan_of(borrower_id).account_number
    kinds_seen: set[str] = set()

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(poisons=st.lists(poison(), min_size=1, max_size=5))
    def run(poisons: list[tuple[str, bytes]]) -> None:
        for kind, body in poisons:
            kinds_seen.add(kind)
            answer = client.post(
                f"{BASE}/{kind}", content=body, headers={"content-type": "application/json"}
            )
            assert answer.status_code == 200, (kind, body[:80], answer.text)
        event(f"{len(poisons)} poisoned callbacks")
        receipt = f"TK{next(_receipts):08d}"
        paid = client.post(f"{BASE}/c2b/confirmation", json=c2b(account, receipt) | _kes_20())
        assert paid.status_code == 200
        assert_nothing_blocks(client, fund, receipt)

    run()
    assert kinds_seen == set(CALLBACK_KINDS)


def a_loan(fund: Fund) -> str:
    """A borrower with an active KES 500 loan: its account number."""
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    return fund.loan_of(borrower_id).account_number


def _kes_20() -> dict[str, str]:
    return {"TransAmount": REPAYMENT}


def _stored_before_the_fix(fund: Fund, kind: str, key: str, body: str) -> None:
    """A row as the inbox wrote it before the edge's checks: status received."""
    with fund.sessions.unit_of_work() as session:
        session.add(
            MpesaCallback(
                kind=kind,
                natural_key=key,
                body=body,
                status="received",
                deliveries=1,
                received_at=fund.clock(),
            )
        )


def test_stored_rows_with_a_nul_or_nesting_too_deep_fail_alone_and_the_repayment_goes_through(
    client: TestClient, fund: Fund
) -> None:
    account = a_loan(fund)
    nul = json.dumps(c2b("MK\u000000026", "TK00000901"))  # the escape, as JSON keeps it
    _stored_before_the_fix(fund, "c2b/confirmation", "TK00000901", nul)
    _stored_before_the_fix(fund, "b2c/result", "deep", deep(5_000).decode())
    with fund.sessions.unit_of_work() as session:
        raw = json.dumps(c2b(account, "TK00000902") | _kes_20()).encode()
        delivery = Delivery("c2b/confirmation", raw, None)
        store_callback(session, delivery, fund.clock(), fund.ports.blind_index)
    assert_nothing_blocks(client, fund, "TK00000902")
    failed = {r.natural_key: r.error for r in rows(fund) if r.status == "failed"}
    assert "deep" in failed
    assert "RecursionError" in (failed["deep"] or "")


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("a bug"),
        KeyError("254712345678"),
        RecursionError("maximum recursion depth exceeded"),
        MemoryError(),
        UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_any_error_while_applying_fails_that_callback_only(
    client: TestClient, fund: Fund, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    account = a_loan(fund)
    real_apply = processing._apply

    def apply(*args: Any) -> None:
        if args[3] == "b2c/result":
            raise error
        real_apply(*args)

    monkeypatch.setattr(processing, "_apply", apply)
    assert client.post(f"{BASE}/b2c/result", json=B2C_RESULT).status_code == 200
    paid = client.post(f"{BASE}/c2b/confirmation", json=c2b(account, "TK00000903") | _kes_20())
    assert paid.status_code == 200
    assert_nothing_blocks(client, fund, "TK00000903")
    [failed] = [r for r in rows(fund) if r.status == "failed"]
    assert failed.error is not None
    assert type(error).__name__ in failed.error or str(error) in failed.error
    assert "254712345678" not in failed.error  # a stored reason never carries a number


def test_an_administrator_sends_a_failed_callback_back_and_it_is_applied_once(
    client: TestClient, fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = a_loan(fund)
    real_apply = processing._apply

    def flaky(*_args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(processing, "_apply", flaky)
    client.post(f"{BASE}/c2b/confirmation", json=c2b(account, "TK00000904") | _kes_20())
    process_pending(fund.sessions, fund.clock, fund.ports.blind_index)
    [failed] = waiting_for_a_person(client, fund).values()
    assert (failed["status"], failed["error"]) == ("failed", "RuntimeError: the database went away")
    monkeypatch.setattr(processing, "_apply", real_apply)
    officer = bearer(staff_token(fund.sessions, fund.clock, "kamau", Role.CREDIT_OFFICER))
    admin = bearer(staff_token(fund.sessions, fund.clock, "amina", Role.ADMIN))
    path = f"/admin/v1/callbacks/{failed['id']}/retry"
    assert client.post(path, headers=officer).status_code == 403
    assert client.post(path, headers=admin).json()["status"] == "received"
    again = client.post(path, headers=admin)
    assert (again.status_code, again.json()["type"]) == (
        409,
        "urn:mkopo:problem:callback_not_failed",
    )
    assert client.post("/admin/v1/callbacks/999999/retry", headers=admin).status_code == 404
    assert_nothing_blocks(client, fund, "TK00000904")
    with fund.sessions.reader() as session:
        assert session.scalar(select(func.count()).select_from(Repayment)) == 1
