"""Settlement quotes and recalculation, worked by hand (docs/instalments.md shows the sums).

The loan: KES 100,000 at 7% a year, 6 monthly EMI instalments of 17,008.59 from 1 January
2024, 30/360. The late-payment rule follows the Mifos/Fineract functional specification of
interest recalculation ("an excess interest is charged ... on the principal he is late on,
and for the number of days he is late ... added to the next installment").
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from app.loan_math.schedules.daycount import DayCount
from app.loan_math.schedules.due_dates import Frequency
from app.loan_math.schedules.methods import generate
from app.loan_math.schedules.recalc import (
    InvalidRecalculation,
    LatePaymentRule,
    PrepaymentOutcome,
    PrepaymentStrategy,
    apply_prepayment,
    late_payment_interest,
    recalculate,
    recalculate_after_late_payment,
)
from app.loan_math.schedules.render import kes_text
from app.loan_math.schedules.rounding import Rounding
from app.loan_math.schedules.schedule import Schedule
from app.loan_math.schedules.settlement import OutsideSchedule, settlement_quote
from app.loan_math.schedules.terms import Method, ScheduleTerms

LATE = LatePaymentRule.INTEREST_ON_OVERDUE_PRINCIPAL


def loan(method: Method = Method.EMI, **changes: object) -> Schedule:
    fields: dict[str, object] = {
        "principal_minor": 10_000_000,
        "annual_rate_percent": Decimal(7),
        "method": method,
        "frequency": Frequency.MONTHLY,
        "term": 6,
        "start": date(2024, 1, 1),
        "day_count": DayCount.THIRTY_360,
    }
    return generate(ScheduleTerms(**(fields | changes)))


def prepay_30000_mid_february(strategy: PrepaymentStrategy) -> PrepaymentOutcome:
    return apply_prepayment(
        loan(), paid_on=date(2024, 2, 15), amount_minor=3_000_000, strategy=strategy
    )


def table(schedule: Schedule) -> list[tuple[int, str, str, str]]:
    return [
        (i.number, kes_text(i.principal_minor), kes_text(i.interest_minor), kes_text(i.total_minor))
        for i in schedule.instalments
    ]


def test_the_loan() -> None:
    assert table(loan()) == [
        (1, "16425.26", "583.33", "17008.59"),
        (2, "16521.07", "487.52", "17008.59"),
        (3, "16617.44", "391.15", "17008.59"),
        (4, "16714.38", "294.21", "17008.59"),
        (5, "16811.88", "196.71", "17008.59"),
        (6, "16909.97", "98.64", "17008.61"),
    ]


def test_settlement_on_disbursement_day_is_the_principal() -> None:
    quote = settlement_quote(loan(), date(2024, 1, 1))
    assert (quote.principal_minor, quote.interest_minor) == (10_000_000, 0)


def test_settlement_mid_period_charges_the_days_elapsed_only() -> None:
    # Instalment 1 paid; 83,574.74 x 7%/12 x 14/29 (14 of February's 29 days) = 235.35
    quote = settlement_quote(loan(), date(2024, 2, 15))
    assert (quote.principal_minor, quote.interest_minor, quote.total_minor) == (
        8_357_474,
        23_535,
        8_381_009,
    )


def test_settlement_on_a_due_date_charges_that_instalments_interest() -> None:
    quote = settlement_quote(loan(), date(2024, 3, 1))
    assert (quote.principal_minor, quote.interest_minor) == (8_357_474, 48_752)


def test_settlement_of_a_flat_loan_charges_the_period_pro_rata() -> None:
    # Flat 7% on 100,000 over 6 months: 3,500 interest, 583.33 a month; half of February.
    quote = settlement_quote(loan(Method.FLAT), date(2024, 2, 15))
    assert quote.interest_minor == round(Fraction(58_333 * 14, 29))


def test_settlement_during_a_grace_on_interest_includes_the_deferred_interest() -> None:
    schedule = loan(grace_principal=2, grace_interest=2)
    # Two months of 583.33 deferred, the third accruing: 1,166.66 + 583.33 on 1 March.
    assert settlement_quote(schedule, date(2024, 3, 1)).interest_minor == 116_666
    assert settlement_quote(schedule, date(2024, 3, 2)).interest_minor == 116_666 + round(
        Fraction(10_000_000 * 7, 100 * 12 * 31)
    )
    # Once the deferred interest was collected (instalment 3), only the period's own.
    assert settlement_quote(schedule, date(2024, 4, 2)).interest_minor < 10_000


def test_no_settlement_quote_outside_the_schedule() -> None:
    with pytest.raises(OutsideSchedule, match="outside the schedule"):
        settlement_quote(loan(), date(2023, 12, 31))
    with pytest.raises(OutsideSchedule, match="outside the schedule"):
        settlement_quote(loan(), date(2024, 7, 2))


def test_prepaying_30000_mid_february_reduces_the_instalment() -> None:
    # 235.35 interest to 15 February, 29,764.65 off the principal: 53,810.09 left over the
    # five remaining due dates; the first period is 15 of February's 29 days.
    outcome = prepay_30000_mid_february(PrepaymentStrategy.REDUCE_INSTALMENT)
    assert (outcome.interest_minor, outcome.principal_minor) == (23_535, 2_976_465)
    assert outcome.schedule is not None
    assert outcome.schedule.principal_minor == 5_381_009
    assert table(outcome.schedule) == [
        (2, "10758.06", "162.36", "10920.42"),
        (3, "10669.28", "251.14", "10920.42"),
        (4, "10731.52", "188.90", "10920.42"),
        (5, "10794.12", "126.30", "10920.42"),
        (6, "10857.11", "63.33", "10920.44"),
    ]


def test_prepaying_30000_mid_february_reduces_the_term() -> None:
    outcome = prepay_30000_mid_february(PrepaymentStrategy.REDUCE_TERM)
    assert outcome.schedule is not None
    assert table(outcome.schedule) == [
        (2, "16846.23", "162.36", "17008.59"),
        (3, "16792.97", "215.62", "17008.59"),
        (4, "16890.93", "117.66", "17008.59"),
        (5, "3279.96", "19.13", "3299.09"),
    ]


def test_a_flat_loan_prepaid_on_a_due_date_recomputes_flat_interest_on_the_rest() -> None:
    schedule = loan(Method.FLAT, annual_rate_percent=Decimal(12), term=12)
    # On 1 July instalment 6 is due: its 1,000 interest first, 29,000 off 58,333.35.
    shorter = apply_prepayment(
        schedule,
        paid_on=date(2024, 7, 1),
        amount_minor=3_000_000,
        strategy=PrepaymentStrategy.REDUCE_TERM,
    ).schedule
    assert shorter is not None
    # Principal part 8,333.33 kept: 4 instalments; 29,333.35 x 12% x 4/12 = 1,173.33 flat.
    assert table(shorter) == [
        (7, "8333.33", "293.33", "8626.66"),
        (8, "8333.33", "293.33", "8626.66"),
        (9, "8333.33", "293.33", "8626.66"),
        (10, "4333.36", "293.34", "4626.70"),
    ]
    smaller = apply_prepayment(
        schedule,
        paid_on=date(2024, 7, 1),
        amount_minor=3_000_000,
        strategy=PrepaymentStrategy.REDUCE_INSTALMENT,
    ).schedule
    assert smaller is not None
    # 6 instalments left: 29,333.35 x 12% x 6/12 = 1,760.00 flat, 293.33 each.
    assert {row.interest_minor for row in smaller.instalments[:-1]} == {29_333}
    assert smaller.interest_minor == 176_000


def test_paying_the_settlement_quote_settles_the_loan() -> None:
    outcome = apply_prepayment(
        loan(),
        paid_on=date(2024, 2, 15),
        amount_minor=8_381_009,
        strategy=PrepaymentStrategy.REDUCE_TERM,
    )
    assert (outcome.principal_minor, outcome.schedule) == (8_357_474, None)


@pytest.mark.parametrize(
    ("amount_minor", "paid_on"),
    [(23_534, date(2024, 2, 15)), (8_381_010, date(2024, 2, 15)), (0, date(2024, 1, 1))],
    ids=["less than the interest", "more than the settlement", "nothing"],
)
def test_a_prepayment_outside_interest_and_settlement_is_refused(
    amount_minor: int, paid_on: date
) -> None:
    with pytest.raises(InvalidRecalculation, match="must be at least the interest accrued"):
        apply_prepayment(
            loan(),
            paid_on=paid_on,
            amount_minor=amount_minor,
            strategy=PrepaymentStrategy.REDUCE_TERM,
        )


def test_a_short_payment_on_the_last_due_date_is_not_a_prepayment() -> None:
    with pytest.raises(InvalidRecalculation, match=r"at least .* \(1700861 cents\)"):
        apply_prepayment(
            loan(),
            paid_on=date(2024, 7, 1),
            amount_minor=100_000,
            strategy=PrepaymentStrategy.REDUCE_TERM,
        )


def test_recalculation_cannot_raise_the_principal() -> None:
    with pytest.raises(InvalidRecalculation, match="at most 8357474 cents"):
        recalculate(
            loan(),
            on=date(2024, 2, 15),
            outstanding_principal_minor=8_357_475,
            strategy=PrepaymentStrategy.REDUCE_TERM,
        )


def test_paying_instalment_2_nineteen_days_late_adds_interest_to_instalment_3() -> None:
    # 16,521.07 x 7% x 19/360 (1 to 20 March, 30/360) = 61.04
    schedule = loan()
    assert late_payment_interest(schedule, number=2, paid_on=date(2024, 3, 20), rule=LATE) == 6_104
    later = recalculate_after_late_payment(schedule, number=2, paid_on=date(2024, 3, 20), rule=LATE)
    assert table(later)[2] == (3, "16617.44", "452.19", "17069.63")
    assert later.instalment(3).late_interest_minor == 6_104
    assert later.principal_minor == schedule.principal_minor
    assert later.interest_minor == schedule.interest_minor + 6_104
    # The settlement quote counts it in full, even before instalment 3's due date; plus
    # 20 of March's 31 days on 67,053.67.
    quote = settlement_quote(later, date(2024, 3, 21))
    assert quote.interest_minor == 6_104 + round(Fraction(6_705_367 * 7 * 20, 100 * 12 * 31))


def test_part_of_an_instalment_paid_late_bears_interest_on_that_part() -> None:
    charged = late_payment_interest(
        loan(),
        number=2,
        paid_on=date(2024, 3, 20),
        rule=LATE,
        overdue_principal_minor=1_000_000,
    )
    assert charged == round(Fraction(1_000_000 * 7 * 19, 100 * 360))


def test_without_a_late_payment_rule_the_schedule_stands() -> None:
    schedule = loan()
    unchanged = recalculate_after_late_payment(
        schedule, number=2, paid_on=date(2024, 3, 20), rule=LatePaymentRule.NONE
    )
    assert unchanged == schedule
    on_time = recalculate_after_late_payment(
        schedule, number=2, paid_on=date(2024, 3, 1), rule=LATE
    )
    assert on_time == schedule


def test_a_late_payment_after_the_last_due_date_goes_on_the_last_instalment() -> None:
    later = recalculate_after_late_payment(loan(), number=6, paid_on=date(2024, 7, 11), rule=LATE)
    assert later.instalment(6).late_interest_minor == round(Fraction(1_690_997 * 7 * 10, 100 * 360))


def test_late_interest_is_rounded_like_the_instalments() -> None:
    schedule = loan(rounding=Rounding.SHILLINGS)
    charged = late_payment_interest(schedule, number=2, paid_on=date(2024, 3, 20), rule=LATE)
    assert charged % 100 == 0


@pytest.mark.parametrize(
    ("number", "overdue", "message"),
    [(7, None, "no instalment 7"), (2, 1_652_108, "between 0 and"), (2, -1, "between 0 and")],
)
def test_bad_late_payments_are_refused(number: int, overdue: int | None, message: str) -> None:
    with pytest.raises(InvalidRecalculation, match=message):
        late_payment_interest(
            loan(),
            number=number,
            paid_on=date(2024, 3, 20),
            rule=LATE,
            overdue_principal_minor=overdue,
        )
