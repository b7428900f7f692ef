"""Terms are validated once, each bad field refused with one line; the command's text is read
exactly (KES and percent as decimals, never floats) and amounts written with two places."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from app.loan_math.schedules.daycount import DayCount
from app.loan_math.schedules.due_dates import Frequency
from app.loan_math.schedules.methods import ScheduleNotAmortising, generate
from app.loan_math.schedules.render import (
    TermsText,
    kes_text,
    parse_kes,
    parse_percent,
    terms_from_text,
)
from app.loan_math.schedules.rounding import Rounding, down_to_unit, to_cents, to_unit
from app.loan_math.schedules.terms import InvalidTerms, Method, ScheduleTerms

GOOD: dict[str, object] = {
    "principal_minor": 10_000_000,
    "annual_rate_percent": Decimal(7),
    "method": Method.EMI,
    "frequency": Frequency.MONTHLY,
    "term": 6,
    "start": date(2026, 1, 15),
}


def terms(**changes: object) -> ScheduleTerms:
    return ScheduleTerms(**(GOOD | changes))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"principal_minor": 0}, "principal must be more than 0"),
        ({"principal_minor": -100}, "principal must be more than 0"),
        ({"principal_minor": 100_000_000_001}, "at most KES 1,000,000,000"),
        ({"principal_minor": 100.0}, "whole number of cents"),
        ({"principal_minor": True}, "whole number of cents"),
        ({"annual_rate_percent": Decimal("100.01")}, "between 0 and 100"),
        ({"annual_rate_percent": Decimal(-1)}, "between 0 and 100"),
        ({"annual_rate_percent": Decimal("NaN")}, "finite decimal"),
        ({"annual_rate_percent": 7.0}, "finite decimal"),
        ({"annual_rate_percent": Decimal("7.12345")}, "more than 4 decimal places"),
        ({"method": "emi"}, "method must be one of"),
        ({"term": 0}, "term must be between 1 and 360"),
        ({"term": 361}, "term must be between 1 and 360"),
        ({"grace_principal": 6}, "less than the term"),
        ({"grace_principal": -1}, "less than the term"),
        ({"grace_principal": 2, "grace_interest": 3}, "at most the principal grace"),
        ({"first_due": date(2026, 1, 15)}, "first due date must be after the start"),
        ({"first_due": date(2026, 3, 16)}, "at most 2 periods after it (2026-03-15)"),
        ({"start": date(9999, 9, 1)}, "past the year 9999"),
    ],
)
def test_bad_terms_are_refused_with_one_line_naming_the_field(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidTerms, match=re.escape(message)) as refused:
        terms(**changes)
    assert "\n" not in str(refused.value)


def test_good_bounds_are_accepted() -> None:
    terms(principal_minor=1, term=1, annual_rate_percent=Decimal(0))
    terms(annual_rate_percent=Decimal(100), term=360)
    terms(annual_rate_percent=Decimal("9.4822"), first_due=date(2026, 3, 15))
    terms(grace_principal=5, grace_interest=5)


def test_terms_that_do_not_amortise_are_refused_not_capitalised() -> None:
    # 100% a year over 360 months: the EMI barely exceeds a 30-day month's interest, so a
    # 59-day first period's interest is more than the instalment.
    with pytest.raises(ScheduleNotAmortising, match="instalment 1 would not cover its interest"):
        generate(terms(annual_rate_percent=Decimal(100), term=360, first_due=date(2026, 3, 15)))
    with pytest.raises(ScheduleNotAmortising, match="repaid by instalment"):
        generate(terms(principal_minor=5, term=6, method=Method.DECLINING))


def test_kes_is_read_exactly_to_cents() -> None:
    assert parse_kes("100000") == 10_000_000
    assert parse_kes("100000.5") == 10_000_050
    assert parse_kes("100000.50") == 10_000_050
    assert parse_kes("0.01") == 1
    for bad in ("-5", "1e5", "100,000", "100000.505", " 1", "", "nan", "+5"):
        with pytest.raises(InvalidTerms, match="--principal must be a positive amount"):
            parse_kes(bad)


def test_a_rate_in_percent_is_read_exactly() -> None:
    assert parse_percent("7") == Decimal(7)
    assert parse_percent("7.25") == Decimal("7.25")
    assert parse_percent("9.4822") == Decimal("9.4822")
    for bad in ("-7", "7%", "7.12345", "1e1", ""):
        with pytest.raises(InvalidTerms, match="--annual-rate must be a percent"):
            parse_percent(bad)


def test_the_command_text_becomes_terms() -> None:
    read = terms_from_text(
        TermsText(
            principal="100000.50",
            annual_rate="7.25",
            method="declining",
            frequency="fortnightly",
            term="12",
            start="2026-01-15",
            first_due="2026-02-01",
            grace_principal="2",
            grace_interest="1",
            rounding="shillings",
            day_count="30/360",
        )
    )
    assert read == ScheduleTerms(
        10_000_050,
        Decimal("7.25"),
        Method.DECLINING,
        Frequency.FORTNIGHTLY,
        12,
        date(2026, 1, 15),
        date(2026, 2, 1),
        2,
        1,
        Rounding.SHILLINGS,
        DayCount.THIRTY_360,
    )


def test_amounts_are_written_as_kes_with_two_places() -> None:
    assert kes_text(123_450) == "1234.50"
    assert kes_text(5) == "0.05"
    assert kes_text(0) == "0.00"
    assert kes_text(10_000_000) == "100000.00"


def test_rounding_is_half_to_even_to_the_cent_or_shilling() -> None:
    assert to_cents(Fraction(5, 2)) == 2
    assert to_cents(Fraction(7, 2)) == 4
    assert to_cents(Fraction(251, 100)) == 3
    assert to_unit(Fraction(865_267, 100), 100) == 8_700
    assert to_unit(Fraction(15_050), 100) == 15_000
    assert to_unit(Fraction(15_150), 100) == 15_200
    assert down_to_unit(Fraction(19_999), 100) == 19_900
