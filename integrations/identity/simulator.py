"""A simulated identity register that answers deterministically from the ID's digits.

No randomness, no I/O: the same ID and reference date always give the same record, so anyone
can try each eligibility path by hand. Rules, checked in this order on the normalised ID:

==========================  =================================================================
ID                          register answers
==========================  =================================================================
starts with ``9``           unknown ID (``None``)
last digit ``7``            a minor: 15 years old on the reference date (born on the same
                            day and month 15 years earlier; 28 February for a 29 February)
last digit ``8``            a date of birth in the future: reference year + 3, month
                            ``1 + n % 12``, day ``1 + n % 28``
last digit ``9``            an impossible date of birth: 1890-01-01 (over 120 years old)
any other                   a valid adult born ``date(1960 + n % 40, 1 + n % 12, 1 + n % 28)``
                            (at least 18 on any date after 2020)
==========================  =================================================================

``n`` is the ID as an integer. Every record's name is ``SIMULATED_NAMES[n % 20]``.
"""

from __future__ import annotations

from datetime import date

from integrations.identity.register import IdentityRecord, normalise_national_id

SIMULATED_NAMES: tuple[str, ...] = (
    "Wanjiru Kamau",
    "Otieno Odhiambo",
    "Akinyi Achieng",
    "Kipchoge Rotich",
    "Njeri Mwangi",
    "Mutua Musyoka",
    "Chebet Kiprono",
    "Omondi Ouma",
    "Wambui Njoroge",
    "Kiprop Kosgei",
    "Atieno Awuor",
    "Kamau Kariuki",
    "Nafula Wafula",
    "Mohamed Abdi",
    "Zawadi Mwakio",
    "Barasa Wekesa",
    "Nyambura Gitau",
    "Juma Hamisi",
    "Jepkosgei Chepngetich",
    "Muthoni Wanjiku",
)

UNKNOWN_PREFIX = "9"
MINOR_LAST_DIGIT = "7"
FUTURE_BIRTH_LAST_DIGIT = "8"
IMPOSSIBLE_BIRTH_LAST_DIGIT = "9"
MINOR_AGE_YEARS = 15
FUTURE_BIRTH_YEARS_AHEAD = 3
IMPOSSIBLE_DATE_OF_BIRTH = date(1890, 1, 1)
ADULT_FIRST_BIRTH_YEAR = 1960
ADULT_BIRTH_YEAR_SPAN = 40
MONTHS = 12
# Every month has a 28th, so any year and month make a valid date.
SAFE_DAYS = 28


class SimulatedIdentityRegister:
    """The register's answers as of ``today`` (ages depend on it, so tests fix it)."""

    def __init__(self, today: date) -> None:
        self._today = today

    def lookup(self, national_id: str) -> IdentityRecord | None:
        national_id = normalise_national_id(national_id)
        if national_id.startswith(UNKNOWN_PREFIX):
            return None
        n = int(national_id)
        name = SIMULATED_NAMES[n % len(SIMULATED_NAMES)]
        return IdentityRecord(national_id, name, self._date_of_birth(national_id, n))

    def _date_of_birth(self, national_id: str, n: int) -> date:
        last_digit = national_id[-1]
        if last_digit == MINOR_LAST_DIGIT:
            return _same_day_years_earlier(self._today, MINOR_AGE_YEARS)
        if last_digit == FUTURE_BIRTH_LAST_DIGIT:
            return _spread_date(self._today.year + FUTURE_BIRTH_YEARS_AHEAD, n)
        if last_digit == IMPOSSIBLE_BIRTH_LAST_DIGIT:
            return IMPOSSIBLE_DATE_OF_BIRTH
        return _spread_date(ADULT_FIRST_BIRTH_YEAR + n % ADULT_BIRTH_YEAR_SPAN, n)


def _spread_date(year: int, n: int) -> date:
    return date(year, 1 + n % MONTHS, 1 + n % SAFE_DAYS)


def _same_day_years_earlier(day: date, years: int) -> date:
    """The same day and month ``years`` earlier; 28 February when that year has no 29th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
