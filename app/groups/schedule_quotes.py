"""The repayment schedule a group application chose, quoted by the instalment engine:
``instalments`` is the product's (6 monthly, reducing balance); ``lump_sum`` is the same with
every instalment but the last in full grace, so everything falls due at the end."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.groups.models import Schedule
from app.lending.quotes import instalment_schedule
from app.loan_math.schedules.schedule import Schedule as RepaymentSchedule
from app.products.terms import ProductTerms


def quote_schedule(
    terms: ProductTerms, amount_minor: int, schedule: Schedule, start: date
) -> RepaymentSchedule:
    """The repayment schedule of ``amount_minor`` disbursed on ``start``."""
    if schedule == Schedule.LUMP_SUM and terms.instalment_count is not None:
        deferred = terms.instalment_count - 1
        terms = replace(terms, grace_principal=deferred, grace_interest=deferred)
    return instalment_schedule(terms, amount_minor, start)
