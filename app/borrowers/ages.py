"""Who may borrow by age: an adult (``MIN_AGE_YEARS``) with a possible birth date (at most
``MAX_AGE_YEARS`` before the year they opt in). Onboarding checks it against the register;
the database holds it too, through ``borrowers.adult_on`` (``app.lending.ddl``)."""

from __future__ import annotations

from datetime import date

from integrations.identity.register import turns

MIN_AGE_YEARS = 18
MAX_AGE_YEARS = 120


def adult_on(date_of_birth: date) -> date:
    """The day someone born on ``date_of_birth`` may first borrow."""
    return turns(date_of_birth, MIN_AGE_YEARS)
