"""Reading a scripted outcome for either payment simulator: every bad field is named."""

from __future__ import annotations

import math

import pytest

from integrations.airtel.simulator.outcomes import Outcome as AirtelOutcome
from integrations.mpesa.simulator.outcomes import Outcome as MpesaOutcome
from integrations.simulator_faults import InvalidFault
from integrations.simulator_scripts import DEFAULT_COPIES, Script, read_script


def test_a_script_reads_its_outcome_copies_and_delay() -> None:
    assert read_script({"outcome": "duplicate", "copies": 5}, MpesaOutcome, None) == Script(
        MpesaOutcome.DUPLICATE, 5
    )
    delayed = read_script({"outcome": "delayed", "delay_s": 1.5}, AirtelOutcome, None)
    assert delayed == Script(AirtelOutcome.DELAYED, DEFAULT_COPIES, 1.5)
    assert read_script({}, MpesaOutcome, "success").outcome is MpesaOutcome.SUCCESS


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "late"}, "outcome"),  # M-Pesa's, not Airtel's
        ({"outcome": "success", "copies": 0}, "copies"),
        ({"outcome": "success", "copies": 21}, "copies"),
        ({"outcome": "success", "copies": True}, "copies"),
        ({"outcome": "success", "copies": "2"}, "copies"),
        ({"outcome": "delayed", "delay_s": -1}, "delay_s"),
        ({"outcome": "delayed", "delay_s": math.nan}, "delay_s"),
        ({"outcome": "delayed", "delay_s": 601}, "delay_s"),
        ({"outcome": "delayed", "delay_s": False}, "delay_s"),
    ],
)
def test_a_bad_field_is_named(body: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidFault) as refused:
        read_script(body, AirtelOutcome, None)
    assert refused.value.name == field
