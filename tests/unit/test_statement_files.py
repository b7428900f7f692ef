"""Statement files (CSV and XLSX) read as streams: preamble, header by name, lines; and
hand-written broken files refused with the line that breaks them."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook  # type: ignore[import-untyped]

from app.reconciliation.statements.reader import (
    ParsedLine,
    StatementReader,
    StatementRejected,
    open_rows,
)
from integrations.mpesa.simulator import statement as sim

START = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)
HEADER = ",".join(sim.HEADERS)


def read(data: bytes) -> tuple[StatementReader, list[ParsedLine]]:
    _, rows = open_rows(io.BytesIO(data))
    reader = StatementReader(rows)
    return reader, list(reader.lines())


def rejected(data: str) -> StatementRejected:
    with pytest.raises(StatementRejected) as refused:
        read(data.encode())
    return refused.value


def simulated_day() -> tuple[sim.StatementHeading, list[sim.Movement]]:
    heading = sim.StatementHeading(
        account_holder="Mkopo Fund",
        shortcode="600000",
        account=sim.ALL_ACCOUNTS,
        period_from=START,
        period_to=datetime(2026, 3, 2, 20, 59, 59, tzinfo=UTC),
        operator="auditor",
        reported_at=datetime(2026, 3, 3, 3, 0, tzinfo=UTC),
        opening_balance_minor=1_000_000_00,
    )
    at = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    movements = [
        sim.paid_in(
            sim.Transfer(
                receipt="RCT0000001",
                msisdn="254712345678",
                party_name="ATIENO",
                amount_minor=1_131_340_00,
                initiated_at=at,
                completed_at=at,
            ),
            account_reference="MK00000019",
            reason_type=sim.REASON_PAYBILL,
        ),
        sim.business_payment(
            sim.Transfer(
                receipt="RCT0000002",
                msisdn="254712345611",
                party_name="WANJIRU",
                amount_minor=475_00,
                initiated_at=at,
                completed_at=at,
            ),
        ),
        sim.Movement("RCT0000003", at, at, "Pay Utility", "Pay Utility", 400_00, status="Failed"),
    ]
    return heading, movements


def test_the_simulators_statement_reads_back_line_for_line() -> None:
    heading, movements = simulated_day()
    reader, lines = read(sim.statement_csv(heading, movements).encode())
    assert reader.header_line == 7
    assert reader.preamble.shortcode == "600000"
    assert reader.preamble.account_name == "All Accounts"
    assert reader.preamble.period_from == START
    assert reader.preamble.opening_balance_minor == 1_000_000_00
    assert reader.preamble.closing_balance_minor == 1_000_000_00 + 1_131_340_00 - 475_00
    assert [(x.line_no, x.receipt, x.amount_minor, x.category, x.moves_money) for x in lines] == [
        (8, "RCT0000001", 1_131_340_00, "payment_in", True),
        (9, "RCT0000002", -475_00, "payout", True),
        (10, "RCT0000003", 400_00, "payment_in", False),
    ]
    assert lines[0].account_ref == "MK00000019"
    assert lines[0].other_party == "2547****5678 - ATIENO"
    assert lines[0].completed_at == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def test_columns_are_mapped_by_header_in_any_order_with_currency_and_a_subset() -> None:
    data = (
        "Organisation Name,Mkopo Fund\n"
        "Paybill,600000\n"
        "Time Period:,From 2026-03-02 00:00:00 To 2026-03-02 23:59:59\n"
        "\n"
        "Currency,Withdrawn,Paid In,Other Party Info,Completion Time,Receipt No.\n"
        'KES,"-1,200.50",,254712345678 - JANE DOE,2026-03-02 09:00:00,rct0000009\n'
        "KES,120.00,,,02-03-2026 09:30:00,RCT0000010\n"
    )
    reader, lines = read(data.encode())
    assert reader.preamble.account_holder == "Mkopo Fund"
    assert reader.preamble.shortcode == "600000"
    assert reader.preamble.period_from == START
    assert [(x.line_no, x.receipt, x.amount_minor, x.status) for x in lines] == [
        (6, "RCT0000009", -120_050, "Completed"),
        (7, "RCT0000010", -12_000, "Completed"),  # Withdrawn written without its minus
    ]
    assert lines[0].other_party == "2547****5678 - JANE DOE"  # a full number is masked


def test_an_xlsx_export_reads_like_the_csv_with_numbers_and_date_cells() -> None:
    heading, movements = simulated_day()
    csv_lines = read(sim.statement_csv(heading, movements).encode())[1]
    book = Workbook()
    sheet = book.active
    for row in sim.preamble_rows(heading, movements):
        sheet.append(row)
    sheet.append(list(sim.HEADERS))
    for line in csv_lines:
        local = line.completed_at.astimezone(sim.NAIROBI).replace(tzinfo=None)
        paid, withdrawn = max(line.amount_minor, 0), min(line.amount_minor, 0)
        sheet.append(
            [
                line.receipt,
                local,
                local,
                line.details,
                line.status,
                paid / 100 if paid else None,
                withdrawn / 100 if withdrawn else None,
                (line.balance_minor or 0) / 100,
                "TRUE",
                line.reason_type,
                line.other_party,
                None,
                line.account_ref,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    assert read(out.getvalue())[1] == csv_lines


MISSING_HEADER = "Account Holder,Mkopo Fund\nRCT0000001,02-03-2026 10:00:00,,x,Completed,1.00\n"
NO_PAID_IN = "Receipt No.,Completion Time,Withdrawn\nRCT0000001,02-03-2026 10:00:00,1.00\n"
ROW = "RCT000000{n},02-03-2026 10:00:0{n},,Pay Bill,Completed,{paid},,,true,Pay Utility,,,MK1\n"


def file_with(bad_row: str, at: int = 3) -> str:
    rows = [ROW.format(n=n, paid="10.00") for n in range(1, 6)]
    rows[at - 1] = bad_row
    return "Account Holder,Mkopo Fund\n\n" + HEADER + "\n" + "".join(rows)


@pytest.mark.parametrize(
    ("data", "line", "problem"),
    [
        (MISSING_HEADER, None, "no header row"),
        (NO_PAID_IN, 1, "no Paid In column"),
        (file_with(ROW.format(n=3, paid='"12,3x.00"')), 6, "Paid In is not an amount"),
        (
            file_with("RCT0000003,31-02-2026 10:00:00,,x,Completed,1.00,,,true,x,,,MK1\n"),
            6,
            "Completion Time is not a real date",
        ),
        (
            file_with("RCT0000003,02-03-2026 10:00:00,,Pay Bill,Completed,10.00\n"),
            6,
            "truncated row: 6 cells",
        ),
        (file_with('RCT0000003,"02-03-2026 10:00:00', at=5), 8, "not valid CSV"),
        (
            file_with("RCT0000003,02-03-2026 10:00:00,,x,Completed,1.00,2.00,,t,x,,,MK1\n"),
            6,
            "Paid In and Withdrawn are both set",
        ),
        (
            file_with("RCT-03,02-03-2026 10:00:00,,x,Completed,1.00,,,t,x,,,MK1\n"),
            6,
            "Receipt No. is not a receipt number",
        ),
    ],
    ids=[
        "missing header",
        "header without Paid In",
        "bad amount",
        "bad date",
        "truncated row",
        "truncated last line",
        "both amounts",
        "bad receipt",
    ],
)
def test_a_broken_file_is_refused_with_the_line_that_breaks_it(
    data: str, line: int | None, problem: str
) -> None:
    refused = rejected(data)
    assert refused.line_no == line
    assert problem in refused.problem
    if line is not None:
        assert refused.detail.startswith(f"line {line}: ")


def test_a_currency_other_than_shillings_is_refused() -> None:
    data = "Receipt No.,Completion Time,Paid In,Withdrawn,Currency\nRCT1,02-03-2026 10:00,1,,USD\n"
    assert rejected(data).problem == "Currency is not KES"


def test_a_file_that_is_not_text_or_not_a_workbook_is_refused() -> None:
    with pytest.raises(StatementRejected, match="not UTF-8"):
        read(b"Receipt No.,Completion Time,Paid In,Withdrawn\n\xff\xfe,1,2\n")
    with pytest.raises(StatementRejected, match="XLSX"):
        read(b"PK\x03\x04 not really a zip")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.one_of(
        st.binary(max_size=400),
        st.lists(
            st.lists(
                st.sampled_from(["", "1,0.0", "x", '"', "02-03-2026 10:00", "RCT1"]), max_size=14
            ),
            max_size=6,
        ).map(lambda rows: (HEADER + "\n" + "\n".join(",".join(r) for r in rows)).encode()),
    )
)
def test_any_bytes_are_read_or_refused_never_anything_else(data: bytes) -> None:
    refused: StatementRejected | None = None
    try:
        read(data)
    except StatementRejected as exc:
        refused = exc
    assert refused is None or refused.problem
