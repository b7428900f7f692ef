"""The simulated identity register: one ID shape per eligibility path, and ages in whole years."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.identity import (
    DateOfBirthInFuture,
    IdentityRecord,
    IdentityRegister,
    InvalidNationalId,
    SimulatedIdentityRegister,
    age_on,
    normalise_national_id,
)
from integrations.identity.simulator import SIMULATED_NAMES

NEW_YEAR_2026 = date(2026, 1, 1)


@pytest.fixture
def register() -> IdentityRegister:
    return SimulatedIdentityRegister(today=NEW_YEAR_2026)


def test_an_id_starting_with_9_is_unknown_to_the_register(register: IdentityRegister) -> None:
    assert register.lookup("91234567") is None
    assert register.lookup("912347") is None  # even with a minor's last digit


def test_an_id_ending_in_0_is_a_valid_adult_with_a_plausible_name(
    register: IdentityRegister,
) -> None:
    assert register.lookup("12345670") == IdentityRecord(
        national_id="12345670", full_name="Atieno Awuor", date_of_birth=date(1990, 11, 23)
    )


def test_an_adults_date_of_birth_follows_the_documented_formula(
    register: IdentityRegister,
) -> None:
    record = register.lookup("23456780")
    assert record is not None
    n = 23456780
    assert record.date_of_birth == date(1960 + n % 40, 1 + n % 12, 1 + n % 28)
    assert record.full_name == "Wanjiru Kamau"


def test_an_id_ending_in_7_is_a_minor_aged_15_on_the_reference_date(
    register: IdentityRegister,
) -> None:
    record = register.lookup("12345677")
    assert record is not None
    assert record.date_of_birth == date(2011, 1, 1)
    assert age_on(record.date_of_birth, NEW_YEAR_2026) == 15


def test_a_minor_looked_up_on_29_february_is_still_15() -> None:
    leap_day = date(2028, 2, 29)
    record = SimulatedIdentityRegister(today=leap_day).lookup("22222227")
    assert record is not None
    assert record.date_of_birth == date(2013, 2, 28)
    assert age_on(record.date_of_birth, leap_day) == 15


def test_an_id_ending_in_8_has_a_date_of_birth_three_years_in_the_future(
    register: IdentityRegister,
) -> None:
    record = register.lookup("12345678")
    assert record is not None
    assert record.date_of_birth == date(2029, 7, 3)
    assert record.date_of_birth > NEW_YEAR_2026


def test_an_id_ending_in_9_was_born_in_1890_over_120_years_ago(
    register: IdentityRegister,
) -> None:
    record = register.lookup("12345679")
    assert record is not None
    assert record.date_of_birth == date(1890, 1, 1)
    assert age_on(record.date_of_birth, NEW_YEAR_2026) > 120


def test_the_register_answers_the_same_twice(register: IdentityRegister) -> None:
    assert register.lookup("30001234") == register.lookup("30001234")


def test_the_register_normalises_the_id_it_is_asked_about(register: IdentityRegister) -> None:
    record = register.lookup(" 1234 5670 ")
    assert record is not None
    assert record.national_id == "12345670"


@pytest.mark.slow  # Hypothesis: 2 s
@given(
    st.from_regex(r"[1-8][0-9]{4,7}[0-6]", fullmatch=True),
    st.dates(min_value=date(2021, 1, 1), max_value=date(2035, 12, 31)),
)
def test_every_adult_id_is_at_least_18_on_any_date_after_2020(
    national_id: str, today: date
) -> None:
    record = SimulatedIdentityRegister(today=today).lookup(national_id)
    assert record is not None
    assert record.full_name in SIMULATED_NAMES
    assert age_on(record.date_of_birth, today) >= 18


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("123456", "123456"), ("123456789", "123456789"), (" 2345 6780 ", "23456780")],
)
def test_a_national_id_of_6_to_9_digits_is_accepted(raw: str, normalised: str) -> None:
    assert normalise_national_id(raw) == normalised


@pytest.mark.parametrize(
    "raw",
    ["12345", "1234567890", "", "A1234567", "1234-5678", "١٢٣٤٥٦٧"],
    ids=["5 digits", "10 digits", "empty", "letter", "dash", "arabic-indic digits"],
)
def test_anything_else_is_not_a_national_id(raw: str) -> None:
    with pytest.raises(InvalidNationalId):
        normalise_national_id(raw)


def test_a_malformed_id_is_refused_not_looked_up(register: IdentityRegister) -> None:
    with pytest.raises(InvalidNationalId):
        register.lookup("12AB")


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2000, 6, 15), date(2018, 6, 14), 17),
        (date(2000, 6, 15), date(2018, 6, 15), 18),
        (date(2000, 6, 15), date(2018, 6, 16), 18),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        (date(2026, 1, 1), date(2026, 1, 1), 0),
    ],
    ids=[
        "day before 18th birthday",
        "on 18th birthday",
        "day after 18th birthday",
        "leap-day baby on 28 February of a common year",
        "leap-day baby on 1 March of a common year",
        "leap-day baby on 29 February",
        "born today",
    ],
)
def test_age_is_whole_years_lived(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age


def test_a_date_of_birth_in_the_future_has_no_age() -> None:
    with pytest.raises(DateOfBirthInFuture):
        age_on(date(2029, 7, 3), NEW_YEAR_2026)
