"""A scripted day reconciled against the provider's statement: exactly the expected exceptions.

The day (Nairobi, 2 March 2026): four disbursements (one whose B2C result is lost), an STK
repayment, a paybill repayment delivered twice, a paybill payment whose confirmation never
came, a receipt the ledger booked twice (once to the loan, once to suspense), a confirmation
that said KES 300 where the statement says KES 3,000, a payment to an unknown account, a
disbursement the provider reversed, two B2C charges, a settlement to the bank, a failed
transaction, and a repayment in the ledger that no statement shows. The statement is written
by the simulator's own ``statement_csv``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounting.chart import Acct
from app.db.session import Sessions
from app.lending.models import Loan
from app.mpesa.stk import record_stk_result, request_stk_repayment, send_stk
from app.payments.models import Payout
from app.payments.payouts import submit_payout
from app.reconciliation.exceptions.models import FloatCheck, ReconException
from app.reconciliation.runs import RunPace, Started, execute_run, start_statement_run
from integrations.mpesa.simulator import statement as sim
from ledger import Ledger
from tests.integration.test_mpesa_processing import c2b, deliver
from tests.support.clock import FrozenClock
from tests.support.lending import KES, Fund, open_fund

pytestmark = pytest.mark.slow  # a scripted day on a whole fund: 1-4 s per test

DAY_START = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)  # 2 March 2026, 00:00 in Nairobi
DAY_END = datetime(2026, 3, 2, 20, 59, 59, tzinfo=UTC)
CHARGE_MINOR = 15 * KES
SETTLEMENT_MINOR = 100_000 * KES

PEOPLE = {  # national id, phone (docs/simulators.md: valid adults, good SIMs)
    "atieno": ("12345670", "0712345678"),
    "wanjiru": ("23456780", "0712345611"),
    "zawadi": ("30001234", "0712345622"),
    "baraka": ("30001244", "0712345633"),
}


@dataclass
class Day:
    fund: Fund
    loans: dict[str, Loan] = field(default_factory=dict)
    payouts: dict[str, Payout] = field(default_factory=dict)
    movements: list[sim.Movement] = field(default_factory=list)
    opening_minor: int = 0

    def at(self, hour: int, minute: int = 0) -> datetime:
        """A moment of the day, given in Nairobi time."""
        return DAY_START + timedelta(hours=hour, minutes=minute)

    def paid_in(
        self, receipt: str, who: str, amount_minor: int, hour: int, reference: str, stk: bool
    ) -> None:
        self.movements.append(
            sim.paid_in(
                sim.Transfer(
                    receipt=receipt,
                    msisdn="254" + PEOPLE[who][1][1:],
                    party_name=who.upper(),
                    amount_minor=amount_minor,
                    initiated_at=self.at(hour),
                    completed_at=self.at(hour, 1),
                ),
                account_reference=reference,
                reason_type=sim.REASON_STK if stk else sim.REASON_PAYBILL,
            )
        )

    def row(self, receipt: str, hour: int, amount_minor: int, reason: str, **extra: str) -> None:
        self.movements.append(
            sim.Movement(
                receipt=receipt,
                completed_at=self.at(hour, 1),
                initiated_at=self.at(hour),
                details=extra.pop("details", reason),
                reason_type=reason,
                amount_minor=amount_minor,
                **extra,  # type: ignore[arg-type]
            )
        )

    def statement_csv(self) -> bytes:
        heading = sim.StatementHeading(
            account_holder="Mkopo Fund",
            shortcode="600000",
            account=sim.ALL_ACCOUNTS,
            period_from=DAY_START,
            period_to=DAY_END,
            operator="auditor",
            reported_at=DAY_END + timedelta(hours=4),
            opening_balance_minor=self.opening_minor,
        )
        return sim.statement_csv(heading, self.movements).encode()


def scripted_fund(sessions: Sessions, key_dir: Path) -> Fund:
    """A fund whose capital arrived the day before (so the day opens with it)."""
    return open_fund(sessions, FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)), key_dir)


def _disburse(day: Day, who: str, amount_minor: int, hour: int, lose_result: bool) -> None:
    fund = day.fund
    fund.clock.current = day.at(hour)
    borrower_id = fund.register(*PEOPLE[who])
    payout = fund.request(borrower_id, amount_minor, f"loan-{who}")
    if lose_result:  # sent and paid, but the B2C result never arrives
        submit_payout(fund.sessions, fund.ports, fund.clock, payout.id)
        fund.provider.deliver(drop=True)
    else:
        fund.settle(payout.id)
    receipt = fund.provider.paid[payout.originator_id].receipt
    assert receipt is not None
    day.payouts[who] = payout
    day.loans[who] = fund.loan_of(borrower_id)
    day.movements.append(
        sim.business_payment(
            sim.Transfer(
                receipt=receipt,
                msisdn="254" + PEOPLE[who][1][1:],
                party_name=who.upper(),
                amount_minor=payout.amount_minor,
                initiated_at=day.at(hour),
                completed_at=day.at(hour, 1),
            ),
        )
    )


def _stk_repayment(day: Day, who: str, amount_minor: int, hour: int) -> None:
    fund = day.fund
    fund.clock.current = day.at(hour, 1)
    loan = day.loans[who]
    with fund.sessions.unit_of_work() as session:
        prompt = request_stk_repayment(
            session, loan.borrower_id, amount_minor, "stk-1", fund.clock()
        )
    send_stk(fund.sessions, fund.ports, fund.clock, prompt.id)
    result = fund.provider.collected[f"ws_CO_stk{prompt.id}"]
    with fund.sessions.unit_of_work() as session:
        record_stk_result(session, Ledger(session, fund.clock), result, fund.clock())
    assert result.receipt is not None
    day.paid_in(result.receipt, who, amount_minor, hour, loan.account_number, stk=True)


def script_day(fund: Fund) -> Day:
    day = Day(fund)
    with fund.sessions.reader() as session:
        day.opening_minor = (
            Ledger(session, fund.clock).balance(fund.accounts[Acct.FLOAT]).posted_minor
        )
    _disburse(day, "atieno", 500 * KES, 8, lose_result=False)
    _disburse(day, "wanjiru", 500 * KES, 8, lose_result=False)
    _disburse(day, "zawadi", 500 * KES, 8, lose_result=False)
    _disburse(day, "baraka", 500 * KES, 9, lose_result=True)
    _stk_repayment(day, "atieno", 200 * KES, 10)
    account = {who: loan.account_number for who, loan in day.loans.items()}
    fund.clock.current = day.at(12, 5)
    # c2b() stamps every confirmation 02-03-2026 12:00:00 (Nairobi).
    deliver(fund, "c2b/confirmation", c2b(account["wanjiru"], "500.00", "RC2B000001"), times=2)
    day.paid_in("RC2B000001", "wanjiru", 500 * KES, 12, account["wanjiru"], stk=False)
    # Lost confirmation: on the statement only.
    day.paid_in("RC2B000002", "zawadi", 700 * KES, 12, account["zawadi"], stk=False)
    # Booked twice: applied to the loan (as by an STK callback) and held in suspense.
    fund.repay(day.loans["atieno"].id, 100 * KES, "RC2B000003")
    deliver(fund, "c2b/confirmation", c2b("MK-TYPO", "100.00", "RC2B000003"))
    day.paid_in("RC2B000003", "atieno", 100 * KES, 12, "MK-TYPO", stk=False)
    # The confirmation said KES 300; the provider moved KES 3,000.
    deliver(fund, "c2b/confirmation", c2b(account["wanjiru"], "300.00", "RC2B000004"))
    day.paid_in("RC2B000004", "wanjiru", 3_000 * KES, 12, account["wanjiru"], stk=False)
    # Paid to an account nobody has.
    deliver(fund, "c2b/confirmation", c2b("NOBODY1", "250.00", "RC2B000005"))
    day.paid_in("RC2B000005", "wanjiru", 250 * KES, 12, "NOBODY1", stk=False)
    # In the ledger, on no statement.
    deliver(fund, "c2b/confirmation", c2b(account["zawadi"], "50.00", "RC2B000006"))
    atieno_payout = fund.provider.paid[day.payouts["atieno"].originator_id].receipt or ""
    wanjiru_payout = fund.provider.paid[day.payouts["wanjiru"].originator_id].receipt or ""
    day.row(
        "RREV000001",
        14,
        day.payouts["atieno"].amount_minor,
        sim.REASON_REVERSAL,
        details=f"Reversal of {atieno_payout}",
        linked_receipt=atieno_payout,
    )
    for receipt in (atieno_payout, wanjiru_payout):
        day.row(receipt, 8, -CHARGE_MINOR, "B2C Payment Charge", details="Business Payment Charge")
    day.row(
        "RSET000001",
        18,
        -SETTLEMENT_MINOR,
        "Withdraw Funds to Bank",
        details="Organization Settle to Bank",
        other_party="KCB Bank",
    )
    day.row("RFAIL00001", 19, 400 * KES, "Pay Utility", status="Failed")
    fund.clock.current = DAY_END + timedelta(hours=5)
    return day


@dataclass(frozen=True)
class Expected:
    kind: str
    receipt: str
    role: str
    action: str
    loan: str | None = None


def expected_exceptions(day: Day) -> set[Expected]:
    receipt = {
        who: day.fund.provider.paid[p.originator_id].receipt or "" for who, p in day.payouts.items()
    }
    return {
        Expected("missing_in_ledger", receipt["baraka"], "main", "record_payout"),
        Expected("missing_in_ledger", "RC2B000002", "main", "post_callback", "zawadi"),
        Expected("duplicate", "RC2B000003", "main", "assign_to_loan", "atieno"),
        Expected("amount_mismatch", "RC2B000004", "main", "write_off"),
        Expected("suspense", "RC2B000005", "main", "assign_to_loan"),
        Expected("missing_at_provider", "RC2B000006", "main", "write_off"),
        Expected("missing_in_ledger", "RREV000001", "main", "assign_to_loan", "atieno"),
        Expected("charge", receipt["atieno"], "charge", "book_charge"),
        Expected("charge", receipt["wanjiru"], "charge", "book_charge"),
        Expected("settlement", "RSET000001", "main", "book_settlement"),
    }


def found_exceptions(day: Day) -> set[Expected]:
    loans = {loan.id: who for who, loan in day.loans.items()}
    with day.fund.sessions.reader() as session:
        rows = session.scalars(select(ReconException)).all()
    return {
        Expected(
            x.kind,
            x.receipt or "",
            x.role or "",
            x.suggested_action or "",
            loans.get(x.suggested_loan_id or 0),
        )
        for x in rows
    }


def reconcile(day: Day, chunk_size: int = 50_000) -> Started:
    fund = day.fund
    with fund.sessions.unit_of_work() as session:
        started = start_statement_run(
            session, io.BytesIO(day.statement_csv()), "ORG_600000_All.csv", "auditor1", fund.clock()
        )
    execute_run(fund.sessions, fund.clock, started.run.id, fund.ports.cipher, RunPace(chunk_size))
    return started


@pytest.fixture
def day(sessions: Sessions, tmp_path: Path) -> Day:
    return script_day(scripted_fund(sessions, tmp_path))


def test_the_scripted_day_reconciles_to_exactly_the_expected_exceptions(day: Day) -> None:
    started = reconcile(day)
    assert found_exceptions(day) == expected_exceptions(day)
    with day.fund.sessions.reader() as session:
        run = session.get(type(started.run), started.run.id)
        assert run is not None
        check = session.scalar(select(FloatCheck).where(FloatCheck.run_id == run.id))
    assert run.status == "done"
    assert run.summary is not None
    outcomes = {k: v["count"] for k, v in run.summary["outcomes"].items()}
    assert outcomes == {
        "matched": 5,  # three B2C payouts, the STK repayment, the repayment delivered twice
        "missing_in_ledger": 3,
        "duplicate": 1,
        "amount_mismatch": 1,
        "suspense": 1,
        "missing_at_provider": 1,
        "charge": 2,
        "settlement": 1,
        "no_movement": 1,
    }
    assert check is not None
    assert check.difference_minor != 0
    assert check.explained_minor == check.difference_minor  # the findings explain the float
    assert run.summary["float_check"]["unexplained_minor"] == 0
