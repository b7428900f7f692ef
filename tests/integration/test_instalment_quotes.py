"""The quote of an instalment product lists its schedule, from the same engine as
``mkopo loans schedule`` and the schedule written at disbursement: KES 12,000 at 7% over 3
monthly EMI instalments from 2 March 2026 costs 141.43 (4,047.14, 4,047.14, 4,047.15)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.borrowers.models import Borrower
from app.cli import app as cli
from app.lending import errors
from app.lending.origination import quote
from app.lending.quotes import Quote
from app.money import kes
from tests.e2e.test_app_api_support import AppWorld, bearer, open_app
from tests.support.instalments import (
    GROUP_CODE,
    GROUP_PRINCIPAL,
    add_group_product,
    instalment_rows,
    open_group_loan,
    sms_text,
)
from tests.support.lending import KES, Fund

GROUP_COMMAND = "--principal 12000 --annual-rate 7 --method emi --frequency monthly --term 3"


def _command_schedule(start: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    result = CliRunner().invoke(
        cli, ["loans", "schedule", *GROUP_COMMAND.split(), "--start", start]
    )
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return lines[:-1], lines[-1]


def _cents(text: str) -> int:
    shillings, cents = text.split(".")
    return int(shillings) * 100 + int(cents)


def _quote(fund: Fund, borrower_id: int, code: str, amount_minor: int) -> Quote:
    with fund.sessions.reader() as session:
        return quote(session, borrower_id, code, amount_minor, fund.clock())


def _borrower_with_limit(fund: Fund, limit_minor: int) -> int:
    borrower_id = fund.register()
    with fund.sessions.unit_of_work() as session:
        session.get(Borrower, borrower_id).credit_limit_minor = limit_minor  # type: ignore[union-attr]
    return borrower_id


def test_the_quote_lists_the_schedule_the_command_prints_and_its_totals(fund: Fund) -> None:
    add_group_product(fund, fund.clock())
    borrower_id = _borrower_with_limit(fund, 20_000 * KES)
    offer = _quote(fund, borrower_id, GROUP_CODE, GROUP_PRINCIPAL)
    rows, totals = _command_schedule("2026-03-02")
    assert offer.instalments is not None
    assert [
        (i.number, i.due_date.isoformat(), i.principal_minor, i.interest_minor, i.total_minor)
        for i in offer.instalments
    ] == [
        (
            r["number"],
            r["due_date"],
            _cents(r["principal"]),
            _cents(r["interest"]),
            _cents(r["total"]),
        )
        for r in rows
    ]
    assert (offer.amount_minor, offer.interest_to_due_minor, offer.total_due_minor) == (
        _cents(totals["principal"]),
        _cents(totals["interest"]),
        _cents(totals["total"]),
    )
    assert offer.interest_to_due_minor == 141_43
    assert offer.due_on.isoformat() == rows[-1]["due_date"]
    assert (offer.cash_minor, offer.savings_minor) == (11_400 * KES, 600 * KES)


def test_the_schedule_quoted_is_the_schedule_written_at_disbursement(fund: Fund) -> None:
    add_group_product(fund, fund.clock())
    borrower_id = _borrower_with_limit(fund, 20_000 * KES)
    offer = _quote(fund, borrower_id, GROUP_CODE, GROUP_PRINCIPAL)
    payout = fund.request(borrower_id, GROUP_PRINCIPAL, "group-loan", product=GROUP_CODE)
    fund.settle(payout.id)
    written = instalment_rows(fund, fund.loan_of(borrower_id).id)
    assert offer.instalments is not None
    assert [(r.due_on, r.principal_minor, r.interest_minor) for r in written] == [
        (i.due_date, i.principal_minor, i.interest_minor) for i in offer.instalments
    ]


def test_a_credit_balance_comes_off_the_principal_and_leaves_the_interest(fund: Fund) -> None:
    borrower_id, loan_id = open_group_loan(fund)
    fund.repay(loan_id, GROUP_PRINCIPAL + 500 * KES, "ALL")  # 500 of credit balance
    offer = _quote(fund, borrower_id, GROUP_CODE, GROUP_PRINCIPAL)
    assert offer.credit_applied_minor == 500 * KES
    assert offer.total_due_minor == GROUP_PRINCIPAL - 500 * KES + 141_43
    payout = fund.request(borrower_id, GROUP_PRINCIPAL, "second", product=GROUP_CODE)
    fund.settle(payout.id)
    sms = sms_text(fund, f"disbursed:{payout.originator_id}")
    assert sms is not None
    assert f"Total due {kes(offer.total_due_minor)} by 02-06-2026" in sms


def test_a_bullet_quote_has_no_instalments(fund: Fund) -> None:
    borrower_id = fund.register()
    assert _quote(fund, borrower_id, "personal", 1_000 * KES).instalments is None


def test_a_schedule_the_engine_refuses_is_a_refusal_not_a_crash(fund: Fund) -> None:
    """360 monthly instalments rounded to the shilling would repay KES 1,000 by number 309."""
    add_group_product(fund, fund.clock(), instalment_count=360, schedule_rounding="shillings")
    borrower_id = _borrower_with_limit(fund, 20_000 * KES)
    with pytest.raises(errors.ScheduleRefused, match="before the last"):
        _quote(fund, borrower_id, GROUP_CODE, 1_000 * KES)
    with pytest.raises(errors.ScheduleRefused):
        fund.request(borrower_id, 1_000 * KES, "refused", product=GROUP_CODE)


@pytest.fixture
def world(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    with open_app(fund, tmp_path) as w:
        yield w


def test_the_app_quote_adds_the_instalments_and_keeps_the_bullet_shape(world: AppWorld) -> None:
    add_group_product(world.fund, world.fund.clock())
    tokens = world.register()
    auth = bearer(tokens)
    with world.fund.sessions.unit_of_work() as session:
        borrower = session.get(Borrower, tokens["borrower_id"])
        borrower.credit_limit_minor = 20_000 * KES  # type: ignore[union-attr]
    bullet = world.post("/quotes", {"amount_minor": 1_000 * KES}, headers=auth)
    assert bullet.status_code == 200, bullet.text
    assert bullet.json()["instalments"] is None
    body = {"amount_minor": GROUP_PRINCIPAL, "product_code": GROUP_CODE}
    answer = world.post("/quotes", body, headers=auth)
    assert answer.status_code == 200, answer.text
    offer = answer.json()
    assert set(offer) == set(bullet.json())
    assert [(i["due_on"], i["total_minor"], i["total_display"]) for i in offer["instalments"]] == [
        ("2026-04-02", 4_047_14, "KES 4,047.14"),
        ("2026-05-02", 4_047_14, "KES 4,047.14"),
        ("2026-06-02", 4_047_15, "KES 4,047.15"),
    ]
    assert (offer["interest_to_due_minor"], offer["total_due_minor"]) == (141_43, 12_141_43)
    add_group_product(
        world.fund,
        world.fund.clock(),
        code="long360",
        instalment_count=360,
        schedule_rounding="shillings",
    )
    refused = world.post("/quotes", {**body, "product_code": "long360"}, headers=auth)
    assert refused.status_code == 422, refused.text
    assert "schedule_not_possible" in refused.text
