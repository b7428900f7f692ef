"""Cells of the M-Pesa organisation statement read into cents, UTC times and categories."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.reconciliation.statements import cells
from app.reconciliation.statements.cells import CellError


@pytest.mark.parametrize(
    ("written", "cents"),
    [
        ("1,131,340.00", 113_134_000),
        ('"1,131,340.00"', 113_134_000),
        ("-60.00", -6_000),
        ("-120,000.00", -12_000_000),
        ("475", 47_500),
        ("0.5", 50),
        (" 1,500.05 ", 150_005),
        ("", 0),
        (None, 0),
        (1500.5, 150_050),
        (120000, 12_000_000),
    ],
)
def test_amounts_with_thousands_separators_quotes_and_signs_are_cents(
    written: object, cents: int
) -> None:
    assert cells.money_minor(written, "paid_in") == cents


@pytest.mark.parametrize(
    "written", ["12,3x.00", "1,23.00", "1.234", "KES 100", "--5", "1e5", True, 1.005]
)
def test_a_cell_that_is_not_money_is_refused_by_column(written: object) -> None:
    with pytest.raises(CellError) as refused:
        cells.money_minor(written, "paid_in")
    assert refused.value.column == "Paid In"


def test_nairobi_times_in_both_orders_become_utc() -> None:
    ten_past_ten = datetime(2026, 3, 2, 7, 10, 5, tzinfo=UTC)
    assert cells.eat_time("02-03-2026 10:10:05", "completed_at") == ten_past_ten
    assert cells.eat_time("2026-03-02 10:10:05", "completed_at") == ten_past_ten
    assert cells.eat_time("02/03/2026 10:10", "completed_at") == ten_past_ten.replace(second=0)
    naive_cell = datetime(2026, 3, 2, 10, 10, 5)  # noqa: DTZ001  (what openpyxl returns)
    assert cells.eat_time(naive_cell, "completed_at") == ten_past_ten
    serial = cells.eat_time(46083.5, "completed_at")  # Excel's 2026-03-02 12:00
    assert serial == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "written", ["31-02-2026 10:00:00", "2026-13-01 10:00:00", "02-03-26 10:00", "yesterday", ""]
)
def test_a_time_that_is_not_a_real_moment_is_refused(written: str) -> None:
    with pytest.raises(CellError, match="Completion Time"):
        cells.eat_time(written, "completed_at")


def test_a_full_phone_number_is_masked_like_the_statement_masks_it() -> None:
    assert cells.mask_numbers("254712345678 - JANE DOE") == "2547****5678 - JANE DOE"
    assert cells.mask_numbers("2547****5678 - MARY") == "2547****5678 - MARY"
    assert cells.mask_numbers("Pay Bill from 0712345678 - Acc. 12") == (
        "Pay Bill from 0712****5678 - Acc. 12"
    )


@pytest.mark.parametrize(
    ("reason", "details", "amount", "expected"),
    [
        ("Pay Utility", "Pay Bill from 2547****678 - Acc. R-000001", 100, ("payment_in", "main")),
        ("Pay Bill Online", "Pay Bill Online", 100, ("payment_in", "main")),
        ("Business Payment to Customer via API", "", -100, ("payout", "main")),
        ("Salary Payment via API", "", -100, ("payout", "main")),
        ("Business Pay Bill Charge", "Business Pay Bill Charge", -10, ("charge", "charge")),
        ("Utility Account to Organization Settlement Account", "", -9, ("settlement", "main")),
        ("Withdraw Funds to Bank", "Organization Settle to Bank", -9, ("settlement", "main")),
        ("Reversal", "Reversal of SG632NMUAB", 100, ("reversal", "main")),
        ("Something new", "", -5, ("other", "main")),
    ],
)
def test_each_line_is_classified_from_its_reason_type_and_details(
    reason: str, details: str, amount: int, expected: tuple[str, str]
) -> None:
    assert cells.classify(reason, details, amount) == expected


def test_headers_are_found_by_name_whatever_the_spacing_and_case() -> None:
    assert cells.header_field("Receipt No.") == "receipt"
    assert cells.header_field(" receipt  no ") == "receipt"
    assert cells.header_field("A/C No.") == "account_ref"
    assert cells.header_field("Currency") == "currency"
    assert cells.header_field("Opening Balance") is None
    assert cells.header_field(None) is None


def test_a_stored_line_is_keyed_by_receipt_role_and_direction() -> None:
    assert cells.line_key("RCT0000001", "main", 100) == "RCT0000001/m/+"
    assert cells.line_key("RCT0000001", "charge", -100) == "RCT0000001/c/-"
