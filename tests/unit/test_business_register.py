"""The business register's number format and simulator, the KRA PIN's format, the till
simulator and the cash-flow features (docs/sme.md)."""

from __future__ import annotations

from datetime import date

import pytest

from app.scoring.business_features import cash_flow, whole_months_before
from app.sme.kra_pin import InvalidKraPin, normalise_kra_pin
from integrations.mobile_money import InvalidTill, SimulatedTillHistory, normalise_till
from integrations.registers import (
    InvalidRegistrationNumber,
    RegistrationStatus,
    SimulatedBusinessRegister,
    SimulatedGroupRegister,
    normalise_business_number,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("PVT-AJU7QL9", "PVT-AJU7QL9"), ("pvt aju7ql9", "PVT-AJU7QL9"), ("bn-2wcdr5k", "BN-2WCDR5K")],
)
def test_business_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalise_business_number(raw) == expected


@pytest.mark.parametrize("raw", ["", "PVT-AJU7QL", "LTD-AJU7QL9", "PVT-AJU7QL9X", "MSEA/12345"])
def test_malformed_business_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidRegistrationNumber):
        normalise_business_number(raw)


def test_the_simulator_answers_by_serial_as_documented() -> None:
    register = SimulatedBusinessRegister()
    active = register.lookup_business("PVT-AJU7QL9")
    assert active is not None
    assert (active.status, active.name) == (RegistrationStatus.ACTIVE, "Simulated business AJU7QL9")
    assert register.lookup_business("BN-9ABCDEF") is None
    gone = register.lookup_business("BN-ABCDE00")
    assert gone is not None
    assert gone.status == RegistrationStatus.DEREGISTERED
    # the group register keeps its own rules
    group = SimulatedGroupRegister().lookup("MSEA/1234500")
    assert group is not None
    assert group.status == RegistrationStatus.DEREGISTERED


@pytest.mark.parametrize(
    ("raw", "expected"), [("P051234567X", "P051234567X"), ("a 123456789 z", "A123456789Z")]
)
def test_kra_pins_are_normalised(raw: str, expected: str) -> None:
    assert normalise_kra_pin(raw) == expected


@pytest.mark.parametrize("raw", ["B051234567X", "P05123456X", "P0512345678", "P051234567XY", ""])
def test_malformed_kra_pins_are_refused(raw: str) -> None:
    with pytest.raises(InvalidKraPin):
        normalise_kra_pin(raw)


@pytest.mark.parametrize("raw", ["1234", "12345678", "12a456", ""])
def test_malformed_tills_are_refused(raw: str) -> None:
    with pytest.raises(InvalidTill):
        normalise_till(raw)


def test_whole_months_before_a_date() -> None:
    assert whole_months_before(date(2026, 3, 15), 3) == [
        (date(2025, 12, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
    ]


def test_a_till_statement_follows_its_documented_inputs() -> None:
    tills = SimulatedTillHistory()
    months = whole_months_before(date(2026, 7, 10), 6)
    statement = tills.history("123454", months[0][0], months[-1][1])
    flow = cash_flow(statement, months)
    # takings about KES 500,000 a month, outflows 75% of them: net about KES 125,000
    for month in flow.months:
        assert 350_000_00 < month.inflow_minor < 650_000_00
        assert month.outflow_minor * 100 // month.inflow_minor in (74, 75)
    assert 100_000_00 < flow.average_net_minor < 150_000_00
    assert all(t.balance_after_minor >= 0 for t in statement)
    assert all(t.at.weekday() != 6 for t in statement)  # closed on Sundays
    # deterministic, and a day is the same in any window
    assert tills.history("123454", months[0][0], months[-1][1]) == statement
    one_day = tills.history("123454", date(2026, 2, 3), date(2026, 2, 3))
    same_day = [t for t in statement if t.at.date() == date(2026, 2, 3)]
    assert [t.amount_minor for t in one_day] == [t.amount_minor for t in same_day]


def test_a_till_ending_00_has_no_statement() -> None:
    assert SimulatedTillHistory().history("123400", date(2026, 1, 1), date(2026, 6, 30)) == []
