"""Airtel's statement export read as neutral lines: by header name, balances chained, ids
kept as Airtel wrote them; anything unreadable is a ``StatementRejected`` naming its line."""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.reconciliation.statements.layouts import open_reader
from app.reconciliation.statements.reader import ParsedLine, Preamble, StatementRejected
from integrations.airtel.simulator import statement as sim

AT = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 09:00 in Nairobi
PAYOUT = sim.Movement(
    "disbursement",
    "CI260302.AB12cd34",
    "MKP-1",
    AT,
    "Disbursement",
    "254733123456",
    -47_500,
    "loan",
)
REFUND = sim.Movement(
    "collection",
    "CI260302.RF000001",
    "MKP-2",
    AT,
    "Refund",
    "254733123456",
    -5_000,
    "CI260301.PAID0001",
)


def read(body: bytes) -> tuple[list[ParsedLine], Preamble]:
    reader = open_reader(io.BytesIO(body), "airtel")[1]
    lines = list(reader.lines())
    return lines, reader.read_after()


def test_a_disbursement_row_reads_as_a_payout_line_with_its_balances() -> None:
    body = sim.statement_csv([PAYOUT], 1_000_000, "KES").encode()
    (line,), after = read(body)
    assert (line.line_no, line.receipt, line.amount_minor, line.balance_minor) == (
        2,
        "CI260302.AB12cd34",  # Airtel's id as written: our payouts keep it so
        -47_500,
        952_500,
    )
    assert (line.category, line.role, line.status, line.moves_money) == (
        "payout",
        "main",
        "Completed",
        True,
    )
    assert line.completed_at == AT
    assert (line.other_party, line.account_ref, line.currency) == ("254733****56", "MKP-1", "KES")
    assert after == Preamble(
        account_name="disbursement", opening_balance_minor=1_000_000, closing_balance_minor=952_500
    )


def test_a_refund_is_a_reversal_linked_to_the_payment_it_refunds() -> None:
    body = sim.statement_csv([REFUND], 10_000, "KES").encode()
    (line,), after = read(body)
    assert (line.category, line.linked_receipt, line.amount_minor) == (
        "reversal",
        "CI260301.PAID0001",
        -5_000,
    )
    assert after.account_name == "collection"


def test_columns_are_found_by_name_in_any_order() -> None:
    rows = sim.statement_csv([PAYOUT], 1_000_000, "KES").split("\r\n")
    swapped = [",".join(reversed(row.split(","))) for row in rows if row]
    (line,), _ = read("\r\n".join(swapped).encode())
    assert (line.receipt, line.amount_minor) == ("CI260302.AB12cd34", -47_500)


def test_a_missing_column_is_named() -> None:
    header = ",".join(h for h in sim.HEADERS if h != "Balance")
    with pytest.raises(StatementRejected, match="line 1: the header has no Balance column"):
        read(f"{header}\r\n".encode())


@pytest.mark.parametrize(
    ("credit", "problem"),
    [("-5.00", "Credit is negative"), ("1.234", "Credit is not an amount")],
)
def test_a_bad_credit_is_refused_with_its_line(credit: str, problem: str) -> None:
    row = "CI1.X1234,ref,2026-03-02 09:00:00,Merchant Payment,TS,733****56,{},,5.00,KES,r"
    body = f"{','.join(sim.HEADERS)}\r\n{row.format(credit)}\r\n".encode()
    with pytest.raises(StatementRejected, match=f"line 2: {problem}"):
        read(body)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_arbitrary_bytes_are_read_or_refused_never_anything_else(body: bytes) -> None:
    header = ",".join(sim.HEADERS).encode() + b"\r\n"
    for candidate in (body, header + body):
        with contextlib.suppress(StatementRejected):
            read(candidate)
