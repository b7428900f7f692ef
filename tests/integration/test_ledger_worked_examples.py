"""The ledger in the fund's own words: disbursing, repaying, reversing, holding."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db.session import Sessions
from ledger import EntryRequest, HoldState, Ledger, PostingLine
from ledger.errors import HoldExpired, HoldNotPending, InsufficientFunds
from tests.support.books import Chart, open_chart
from tests.support.clock import FrozenClock
from tests.support.ledger_ops import fund, funded_chart

D, C = PostingLine.debit, PostingLine.credit


def disburse_10000(ledger: Ledger, chart: Chart, key: str = "loan-1:disburse") -> EntryRequest:
    """KES 10,000 loan: 9,500 cash out of the float, 500 savings split 350 / 150."""
    return EntryRequest(
        key,
        [
            D(chart.principal.id, 1_000_000),
            C(chart.float.id, 950_000),
            C(chart.savings_long.id, 35_000),
            C(chart.savings_short.id, 15_000),
        ],
        "disburse loan 1",
        reference="loan:1",
    )


def test_disbursing_10000_moves_9500_cash_and_500_savings_split_350_150(
    sessions: Sessions, clock: FrozenClock
) -> None:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = funded_chart(ledger, 5_000_000)
        ledger.post(disburse_10000(ledger, chart))
    with sessions.reader() as session:
        ledger = Ledger(session, clock)
        assert ledger.balance(chart.principal.id).posted_minor == 1_000_000
        assert ledger.balance(chart.float.id).posted_minor == 5_000_000 - 950_000
        assert ledger.balance(chart.savings_long.id).posted_minor == 35_000
        assert ledger.balance(chart.savings_short.id).posted_minor == 15_000
        assert ledger.trial_balance().net_by_currency == {"KES": 0}
        assert [e.reference for e in ledger.find_entries(reference="loan:1")] == ["loan:1"]


def test_repaying_10030_68_clears_interest_then_principal(
    sessions: Sessions, clock: FrozenClock
) -> None:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = funded_chart(ledger, 5_000_000)
        ledger.post(disburse_10000(ledger, chart))
        ledger.post(
            EntryRequest(
                "loan-1:accrue",
                [D(chart.interest_receivable.id, 3_068), C(chart.interest_income.id, 3_068)],
            )
        )
        ledger.post(
            EntryRequest(
                "mpesa:RKL51ZDR4F",
                [
                    D(chart.float.id, 1_003_068),
                    C(chart.interest_receivable.id, 3_068),
                    C(chart.principal.id, 1_000_000),
                ],
                "repayment",
                metadata={"receipt": "RKL51ZDR4F"},
            )
        )
        assert ledger.balance(chart.principal.id).posted_minor == 0
        assert ledger.balance(chart.interest_receivable.id).posted_minor == 0
        assert ledger.balance(chart.interest_income.id).posted_minor == 3_068
        assert ledger.balance(chart.float.id).posted_minor == 5_000_000 - 950_000 + 1_003_068
        found = ledger.find_entries(metadata={"receipt": "RKL51ZDR4F"})
        assert [e.idempotency_key for e in found] == ["mpesa:RKL51ZDR4F"]


def test_a_reversal_mirrors_the_entry_and_links_to_it_once(
    sessions: Sessions, clock: FrozenClock
) -> None:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = funded_chart(ledger, 5_000_000)
        original = ledger.post(disburse_10000(ledger, chart))
        reversal = ledger.reverse(original.id, "loan-1:disburse:reverse", "disbursed in error")
        assert reversal.reversed_entry_id == original.id
        assert {(p.account_id, p.side.value, p.amount_minor) for p in reversal.postings} == {
            (p.account_id, "C" if p.side.value == "D" else "D", p.amount_minor)
            for p in original.postings
        }
        assert ledger.balance(chart.principal.id).posted_minor == 0
        assert ledger.balance(chart.float.id).posted_minor == 5_000_000
        from ledger.errors import NotReversible

        with pytest.raises(NotReversible):
            ledger.reverse(original.id, "loan-1:disburse:reverse-again")


def test_a_hold_reserves_the_float_then_posts_on_b2c_success(
    sessions: Sessions, clock: FrozenClock
) -> None:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = funded_chart(ledger, 1_000_000)
        hold = ledger.hold(
            disburse_10000(ledger, chart, "loan-1:b2c"), expires_at=clock() + timedelta(hours=1)
        )
        float_balance = ledger.balance(chart.float.id)
        assert float_balance.posted_minor == 1_000_000
        assert float_balance.available_minor == 50_000  # 9,500 reserved
        with pytest.raises(InsufficientFunds):  # a second loan cannot spend the reserved cash
            ledger.hold(disburse_10000(ledger, chart, "loan-2:b2c"))
        posted = ledger.post_hold(hold.id, "loan-1:b2c:result", description="B2C completed")
        assert posted.pending_entry_id == hold.id
        assert ledger.hold_state(hold.id) is HoldState.POSTED
        assert ledger.balance(chart.float.id).available_minor == 50_000
        assert ledger.balance(chart.float.id).credits_pending_minor == 0
        assert ledger.balance(chart.principal.id).posted_minor == 1_000_000


def test_a_hold_voided_on_b2c_failure_gives_the_float_back(
    sessions: Sessions, clock: FrozenClock
) -> None:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = funded_chart(ledger, 1_000_000)
        hold = ledger.hold(disburse_10000(ledger, chart, "loan-1:b2c"))
        ledger.void_hold(hold.id, "loan-1:b2c:failed", "B2C insufficient funds")
        assert ledger.hold_state(hold.id) is HoldState.VOIDED
        assert ledger.balance(chart.float.id).available_minor == 1_000_000
        assert ledger.balance(chart.principal.id).posted_minor == 0
        with pytest.raises(HoldNotPending):
            ledger.post_hold(hold.id, "loan-1:b2c:late-success")


def test_a_hold_posted_in_part_releases_the_rest(sessions: Sessions, clock: FrozenClock) -> None:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = funded_chart(ledger, 100_000)
        hold = ledger.hold(
            EntryRequest("withdraw", [D(chart.capital.id, 60_000), C(chart.float.id, 60_000)])
        )
        ledger.post_hold(hold.id, "withdraw:partial", amounts=[45_000, 45_000])
        balance = ledger.balance(chart.float.id)
        assert (balance.posted_minor, balance.available_minor) == (55_000, 55_000)


def test_an_expired_hold_is_released_by_the_sweep_and_cannot_be_posted(
    sessions: Sessions, clock: FrozenClock
) -> None:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = funded_chart(ledger, 1_000_000)
        hold = ledger.hold(
            disburse_10000(ledger, chart, "loan-1:b2c"), expires_at=clock() + timedelta(minutes=30)
        )
        clock.advance(minutes=31)
        with pytest.raises(HoldExpired):
            ledger.post_hold(hold.id, "loan-1:b2c:too-late")
        expired = ledger.expire_holds()
        assert [e.pending_entry_id for e in expired] == [hold.id]
        assert ledger.expire_holds() == []  # the sweep is idempotent
        assert ledger.hold_state(hold.id) is HoldState.EXPIRED
        assert ledger.balance(chart.float.id).available_minor == 1_000_000


def test_balance_as_of_a_value_date_counts_back_dated_entries_where_they_belong(
    sessions: Sessions, clock: FrozenClock
) -> None:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = open_chart(ledger)
        day1 = clock()
        fund(ledger, chart, 100_000)
        clock.advance(days=2)
        ledger.post(
            EntryRequest(
                "late-deposit",
                [D(chart.float.id, 5_000), C(chart.capital.id, 5_000)],
                effective_at=day1 + timedelta(hours=1),
            )
        )
        assert ledger.balance(chart.float.id, as_of=day1).posted_minor == 100_000
        assert (
            ledger.balance(chart.float.id, as_of=day1 + timedelta(hours=2)).posted_minor == 105_000
        )
        assert ledger.trial_balance(as_of=day1).net_by_currency == {"KES": 0}


def test_a_statement_pages_with_a_running_balance(sessions: Sessions, clock: FrozenClock) -> None:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = open_chart(ledger)
        for i in range(5):
            clock.advance(minutes=1)
            ledger.post(
                EntryRequest(
                    f"dep-{i}",
                    [D(chart.float.id, 1_000 * (i + 1)), C(chart.capital.id, 1_000 * (i + 1))],
                )
            )
        first = ledger.statement(chart.float.id, limit=2)
        assert [line.running_balance_minor for line in first.lines] == [1_000, 3_000]
        assert first.next_cursor is not None
        second = ledger.statement(chart.float.id, after=first.next_cursor, limit=2)
        assert second.opening_balance_minor == 3_000
        assert [line.running_balance_minor for line in second.lines] == [6_000, 10_000]
        last = ledger.statement(chart.float.id, after=second.next_cursor, limit=2)
        assert [line.running_balance_minor for line in last.lines] == [15_000]
        assert last.next_cursor is None
