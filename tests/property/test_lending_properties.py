"""Lending as a state machine: Hypothesis drives one fund through random days of business —
borrowing and topping up (and asking for too much, too little, cents, while frozen or while
a disbursement is on its way), disbursements that succeed, bounce or lose their answer,
days passing, repayments of every size, replayed receipts, requests and callbacks, savings
deposits and withdrawals, held savings applied to a default — and checks the books after
every step.

The oracle is the fund's own rule book (the product sheet: KES 100-50,000, 14 days at 8%,
9.5% from day 15, default on day 30, 5% savings split 70/30, penalty -> interest ->
principal), restated here in a few lines each: which refusal a request must meet (its
quote must say the same), how a repayment is allocated, what a day of accrual adds, when a
loan closes or defaults. After
every step the ledger's trial balance must be zero, the lending subledger must equal the
ledger's control accounts, and every loan, repayment, payout and savings balance of the
example's borrowers must reconcile with the rows that moved it and with the money the
payment provider actually sent.

One database (per backend) serves every Hypothesis example of a test, so each example
registers its own borrowers (national IDs and phone numbers made from a per-example
counter: valid adults and good SIMs in the simulators) and checks its own
borrowers only; the global checks (trial balance, subledger) hold across examples anyway.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect

from app.borrowers.models import Borrower, ConsentChannel
from app.borrowers.service import prepare_pin
from app.clock import business_date
from app.errors import DomainError
from app.lending import errors
from app.lending.accrual import accrue_through
from app.lending.models import OPEN_STATUSES, Loan, LoanStatus, Repayment, RepaymentChannel
from app.lending.origination import LoanRequest, quote, request_loan
from app.lending.quotes import Quote
from app.lending.repayments import IncomingRepayment, apply_repayment
from app.notifications.models import SmsMessage
from app.onboarding.service import OptInRequest, check_applicant, opt_in
from app.payments.models import OPEN_PAYOUT_STATUSES, Payout, PayoutPurpose, PayoutStatus
from app.payments.payouts import RESULT_GRACE, record_payout_result, submit_payout
from app.payments.payouts import sweep_payouts as run_sweep
from app.savings import errors as savings_errors
from app.savings.deposits import IncomingDeposit, deposit
from app.savings.deposits import apply_held_savings as apply_held_savings_policy
from app.savings.withdrawals import request_savings_withdrawal
from app.security.pins import PinHasher
from integrations.payments.memory import INSUFFICIENT_FUNDS, SUCCESS
from integrations.payments.port import PayoutResult
from ledger import Ledger
from ledger.schema import JournalEntry
from tests.support.lending import KES, Fund

# -- the rule book (Personal Loan, docs and migrations/versions/0002_lending.py) ------------

MIN_LOAN = 100 * KES
MAX_LOAN = 50_000 * KES
FLOOR_LIMIT = 100 * KES
CEILING_LIMIT = 50_000 * KES
MIN_PAYOUT = 10 * KES
SAVINGS_BP = 500
LONG_TERM_BP = 7_000
UNITS_PER_CENT = 10_000 * 365  # basis points x ACT/365
ALLOCATION_ORDER = ("penalty", "interest", "principal")
STEP_UPS = ((10, 10_000), (5, 6_000), (2, 4_000))  # loans repaid on time -> +bp of the limit

LOAN_REFUSALS: tuple[type[DomainError], ...] = (
    errors.BorrowerFrozen,
    errors.NotWholeShillings,
    errors.BelowMinimum,
    errors.AboveMaximum,
    errors.LoanInFlight,
    errors.OverLimit,
)
WITHDRAWAL_REFUSALS: tuple[type[DomainError], ...] = (
    errors.NotWholeShillings,
    savings_errors.BelowPayoutMinimum,
    savings_errors.LoanOpen,
    savings_errors.SavingsHeld,
    savings_errors.InsufficientSavings,
)

MACHINE_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)

_EXAMPLES = itertools.count(1)


def national_id_of(example: int, k: int) -> str:
    """A valid adult (ends in 0-6, no leading 9) born in 1996 (``n % 40 == 36``), who stays
    under the register's 120-year limit however far the examples move the clock."""
    return str(10_000_000 + 40 * (3 * example + k) + 36)


PHONE_ENDINGS = ("1016", "1010", "1012")
"""Good SIMs, all over 2 years old: mobile-money inflow KES 7,704 / 20,190 / 36,028 a month,
so first limits of KES 500 / 1,000 / 2,000 (docs/simulators.md). The example's number
goes in the middle digits, which decide nothing."""

OUTCOMES = {
    # what happens to a payout once sent: (succeeds, what is lost)
    "paid": (True, None),
    "bounced": (False, None),
    "paid, answer lost": (True, "answer"),
    "bounced, answer lost": (False, "answer"),
    "paid, callback lost": (True, "callback"),
}
THEN = st.sampled_from(
    ["wait", "paid", "paid", "bounced", "paid, answer lost", "paid, callback lost"]
)
"""What happens to a new payout in the same step: sent with that outcome, or left waiting."""


@lru_cache(maxsize=4)
def _pin_hash(pins: PinHasher) -> str:
    return prepare_pin(pins, "4826")  # the KDF takes time: hash once for every borrower


def _values(obj: Any) -> dict[str, Any]:
    return {attr.key: getattr(obj, attr.key) for attr in sa_inspect(obj).mapper.column_attrs}


def cash_of(amount_minor: int) -> int:
    """The cash a loan of ``amount_minor`` sends: 95%, rounded down to the shilling."""
    return amount_minor * (10_000 - SAVINGS_BP) // 10_000 // KES * KES


def allocation_of(amount_minor: int, loan: Loan) -> tuple[int, int, int, int]:
    """(penalty, interest, principal, overpayment) of a repayment, the product's order."""
    is_open = loan.status in OPEN_STATUSES
    owed = {
        "penalty": loan.penalty_outstanding_minor if is_open else 0,
        "interest": loan.interest_outstanding_minor if is_open else 0,
        "principal": loan.principal_outstanding_minor if is_open else 0,
    }
    left, taken = amount_minor, {}
    for part in ALLOCATION_ORDER:
        taken[part] = min(left, owed[part])
        left -= taken[part]
    return taken["penalty"], taken["interest"], taken["principal"], left


def stepped_up(limit_minor: int, repaid_on_time: int) -> int:
    for threshold, increase_bp in STEP_UPS:
        if repaid_on_time >= threshold:
            raised = limit_minor * (10_000 + increase_bp) // 10_000 // KES * KES
            return max(FLOOR_LIMIT, min(raised, CEILING_LIMIT))
    return limit_minor


@dataclass(frozen=True)
class Accrued:
    days_accrued: int
    carry_units: int
    interest_accrued_minor: int
    penalty_accrued_minor: int


def accrued_through(loan: Loan, target_day: int) -> Accrued:
    """Simple daily interest on the outstanding principal, whole cents with the fraction
    carried, penalty rate from the penalty day, nothing after the stop day, and in-duplum:
    interest over the loan's life never above the principal disbursed."""
    terms = loan.product_terms
    carry = loan.carry_units
    interest, penalty = loan.interest_accrued_minor, loan.penalty_accrued_minor
    principal = loan.principal_outstanding_minor
    for day in range(loan.days_accrued + 1, target_day + 1):
        if day > terms["accrual_stop_day"] or principal <= 0:
            continue
        is_penalty = day >= terms["penalty_from_day"]
        rate = terms["penalty_rate_bp"] if is_penalty else terms["regular_rate_bp"]
        amount, carry = divmod(carry + principal * rate, UNITS_PER_CENT)
        headroom = max(loan.principal_disbursed_minor - interest - penalty, 0)
        if amount > headroom:
            amount, carry = headroom, 0
        if is_penalty:
            penalty += amount
        else:
            interest += amount
    return Accrued(max(target_day, loan.days_accrued), carry, interest, penalty)


# -- what the machine reads back -----------------------------------------------------------


@dataclass
class Member:
    """One of this example's borrowers, with the deposits only this test knows about."""

    id: int
    phone: str
    msisdn: str
    deposited_long_minor: int = 0
    deposited_short_minor: int = 0


@dataclass
class View:
    borrower: Borrower
    loans: list[Loan]
    payouts: list[Payout]
    repayments: list[Repayment]

    @property
    def open_loan(self) -> Loan | None:
        found = [loan for loan in self.loans if loan.status in OPEN_STATUSES]
        return found[0] if found else None

    def loan(self, loan_id: int) -> Loan:
        return next(loan for loan in self.loans if loan.id == loan_id)

    def payout(self, payout_id: int) -> Payout:
        return next(p for p in self.payouts if p.id == payout_id)


@dataclass(frozen=True)
class RequestMade:
    borrower_id: int
    amount_minor: int
    key: str
    payout_id: int


@dataclass(frozen=True)
class RepaymentMade:
    loan_id: int
    amount_minor: int
    receipt: str
    repayment_id: int


@dataclass
class Caches:
    """What the last invariant pass saw: preconditions read this, never the database."""

    views: dict[int, View] = field(default_factory=dict)
    clean: bool = False
    """Nothing was written since ``views`` was read."""

    def members_with(self, predicate: Callable[[View], bool]) -> list[int]:
        return [bid for bid, view in self.views.items() if predicate(view)]


class LendingMachine(RuleBasedStateMachine):
    def __init__(self, fund: Fund) -> None:
        super().__init__()
        self.fund = fund
        self.example = next(_EXAMPLES)
        self.tag = f"x{self.example}"
        self.members: list[Member] = []
        self.counter = itertools.count(1)
        self.requests: list[RequestMade] = []
        self.repayments: list[RepaymentMade] = []
        self.delivered: list[PayoutResult] = []
        self.lost: set[str] = set()
        """Originator ids whose answer or callback never reached the fund: the sweep's job."""
        self.cache = Caches()

    # -- plumbing ------------------------------------------------------------------------

    def key(self, kind: str) -> str:
        return f"{self.tag}-{kind}-{next(self.counter)}"

    def member(self, borrower_id: int) -> Member:
        return next(m for m in self.members if m.id == borrower_id)

    def pick(self, candidates: list[int], index: int) -> Member:
        return self.member(candidates[index % len(candidates)])

    def view(self, borrower_id: int) -> View:
        return self.views()[borrower_id]

    def views(
        self, borrower_ids: Iterable[int] | None = None, fresh: bool = False
    ) -> dict[int, View]:
        """The example's borrowers as the database has them now: read again unless nothing
        was written since the last read (every write below first marks the cache stale)."""
        ids = list(borrower_ids) if borrower_ids is not None else [m.id for m in self.members]
        if self.cache.clean and not fresh and set(ids) <= set(self.cache.views):
            return {bid: self.cache.views[bid] for bid in ids}
        with self.fund.sessions.reader() as session:
            found = {
                b.id: View(b, [], [], [])
                for b in session.scalars(select(Borrower).where(Borrower.id.in_(ids)))
            }
            out = {bid: found[bid] for bid in ids}  # in the members' order, always
            for loan in session.scalars(
                select(Loan).where(Loan.borrower_id.in_(ids)).order_by(Loan.id)
            ):
                out[loan.borrower_id].loans.append(loan)
            for payout in session.scalars(
                select(Payout).where(Payout.borrower_id.in_(ids)).order_by(Payout.id)
            ):
                out[payout.borrower_id].payouts.append(payout)
            for repayment in session.scalars(
                select(Repayment).where(Repayment.borrower_id.in_(ids)).order_by(Repayment.id)
            ):
                out[repayment.borrower_id].repayments.append(repayment)
        if borrower_ids is None:
            self.cache.views, self.cache.clean = out, True
        return out

    def snapshot(self) -> tuple[Any, ...]:
        """Everything a refused or replayed request must leave exactly as it was."""
        state = []
        for bid, view in sorted(self.views().items()):
            state.append(
                (
                    bid,
                    _values(view.borrower),
                    [_values(loan) for loan in view.loans],
                    [_values(p) for p in view.payouts],
                    [_values(r) for r in view.repayments],
                )
            )
        with self.fund.sessions.reader() as session:
            entries = session.scalar(select(func.count()).select_from(JournalEntry))
            messages = session.scalar(select(func.count()).select_from(SmsMessage))
        provider = self.fund.provider
        return (
            tuple(state),
            entries,
            messages,
            provider.submissions,
            len(provider.payouts),
        )

    def refused(
        self,
        exc: DomainError,
        refusals: set[type[DomainError]],
        before: tuple[Any, ...],
        disclosed: Quote | DomainError | None = None,
    ) -> None:
        """A refusal must name a rule the request breaks, and leave everything as it was;
        the quote, when one was asked for, must have refused the same way."""
        event(f"refused: {type(exc).__name__}")
        assert type(exc) in refusals, f"refused with {exc!r}, but only {refusals} apply"
        assert self.snapshot() == before, f"the refused request ({exc!r}) changed something"
        if disclosed is not None:
            assert type(disclosed) is type(exc), f"the quote said {disclosed!r}, not {exc!r}"

    def unit_of_work(self) -> Any:
        self.stale()
        return self.fund.sessions.unit_of_work()

    def stale(self) -> None:
        """Something is about to write: the next read goes to the database."""
        self.cache.clean = False

    def now(self) -> Any:
        return self.fund.clock()

    # -- the example's borrowers -------------------------------------------------------------

    @initialize(
        count=st.integers(min_value=1, max_value=3),
        raised=st.lists(
            st.sampled_from([1_000 * KES, 3_000 * KES, 10_000 * KES]), min_size=2, max_size=2
        ),
    )
    def open_accounts(self, count: int, raised: list[int]) -> None:
        """Register this example's borrowers, on a clean slate: earlier examples' payouts
        resolved, and the clock at 10:00 Nairobi time, so an example replays the same way
        whatever ran before it."""
        self.fund.provider.deliver(drop=True)
        for _ in range(2):  # re-send what was never sent, then ask about what was
            self.fund.clock.advance(seconds=RESULT_GRACE.total_seconds() + 60)
            run_sweep(self.fund.sessions, self.fund.ports, self.fund.clock)
        now = self.now()
        start = now.replace(hour=7, minute=0, second=0, microsecond=0) + timedelta(days=1)
        self.fund.clock.advance(seconds=(start - now).total_seconds())
        today = business_date(self.now())
        assert self.example < 10_000
        for k in range(count):
            national_id = national_id_of(self.example, k)
            phone = f"07{self.example:04d}{PHONE_ENDINGS[k]}"
            applicant = check_applicant(self.fund.ports, national_id, phone, today)
            with self.unit_of_work() as session:
                borrower = opt_in(
                    session,
                    self.fund.ports,
                    self.fund.policy,
                    OptInRequest(
                        applicant,
                        _pin_hash(self.fund.ports.pins),
                        terms_accepted=True,
                        channel=ConsentChannel.APP,
                    ),
                    self.now(),
                )
                if k > 0:  # the first keeps the limit the policy gave; the others get room
                    borrower.credit_limit_minor = max(borrower.credit_limit_minor, raised[k - 1])
                self.members.append(Member(borrower.id, phone, applicant.msisdn))
        note(f"example {self.example}: borrowers {[m.id for m in self.members]}")

    # -- borrowing ---------------------------------------------------------------------------

    @staticmethod
    def loan_refusals(view: View, amount_minor: int) -> set[type[DomainError]]:
        """Every rule a loan request for ``amount_minor`` breaks (empty: it must pass)."""
        borrower, loan = view.borrower, view.open_loan
        found: set[type[DomainError]] = set()
        if borrower.frozen_at is not None:
            found.add(errors.BorrowerFrozen)
        if amount_minor % KES:
            found.add(errors.NotWholeShillings)
        if amount_minor < MIN_LOAN:
            found.add(errors.BelowMinimum)
        if amount_minor > MAX_LOAN:
            found.add(errors.AboveMaximum)
        owed = 0
        if loan is not None:
            if loan.status != LoanStatus.ACTIVE or loan.principal_pending_minor > 0:
                found.add(errors.LoanInFlight)
            owed = loan.principal_outstanding_minor
        if amount_minor > borrower.credit_limit_minor - owed:
            found.add(errors.OverLimit)
        return found

    @staticmethod
    def loan_amount(view: View, how: str, shillings: int) -> int:
        loan = view.open_loan
        owed = loan.principal_outstanding_minor if loan is not None else 0
        available = view.borrower.credit_limit_minor - owed
        return {
            "within": MIN_LOAN + shillings % max((available - MIN_LOAN) // KES + 1, 1) * KES,
            "some": shillings * KES,
            "all_available": max(available, MIN_LOAN),
            "over_limit": max(available, 0) + KES,
            "below_minimum": (shillings % 100) * KES,
            "cents": shillings * KES + 50,
            "above_maximum": MAX_LOAN + KES,
        }[how]

    def disclosure(self, borrower_id: int, amount_minor: int) -> Quote | DomainError:
        """The quote shown before confirming: it checks the same rules as the request."""
        try:
            with self.fund.sessions.reader() as session:
                return quote(session, borrower_id, "personal", amount_minor, self.now())
        except LOAN_REFUSALS as exc:
            return exc

    def request(self, member: Member, amount_minor: int) -> int | None:
        """Ask for a loan or top-up; the pending payout's id, or None when refused."""
        before_view = self.view(member.id)
        refusals = self.loan_refusals(before_view, amount_minor)
        before = self.snapshot()
        key = self.key("loan")
        note(f"request {amount_minor} for {member.id}, expecting {refusals or 'a payout'}")
        disclosed = self.disclosure(member.id, amount_minor)
        try:
            with self.unit_of_work() as session:
                payout = request_loan(
                    session,
                    Ledger(session, self.fund.clock),
                    LoanRequest(member.id, "personal", amount_minor, key),
                    self.now(),
                )
        except LOAN_REFUSALS as exc:
            self.refused(exc, refusals, before, disclosed)
            return None
        assert not refusals, f"a request for {amount_minor} passed despite {refusals}"
        assert isinstance(disclosed, Quote), f"the quote refused with {disclosed!r}"
        assert (
            disclosed.cash_minor,
            disclosed.savings_long_minor,
            disclosed.savings_short_minor,
        ) == (
            payout.amount_minor,
            payout.savings_long_minor,
            payout.savings_short_minor,
        ), "the loan sent other amounts than its quote disclosed"
        self.requests.append(RequestMade(member.id, amount_minor, key, payout.id))
        after = self.view(member.id)
        payout = after.payout(payout.id)
        loan = after.loan(payout.loan_id or 0)
        old = before_view.open_loan
        assert payout.status == PayoutStatus.PENDING
        assert payout.principal_minor == amount_minor
        assert payout.amount_minor == cash_of(amount_minor)
        assert payout.savings_long_minor + payout.savings_short_minor == (
            amount_minor - payout.amount_minor
        )
        assert (
            payout.savings_long_minor
            == (amount_minor - payout.amount_minor) * LONG_TERM_BP // 10_000
        )
        assert loan.credit_limit_minor == after.borrower.credit_limit_minor
        event("loan requested" if old is None else "top-up requested")
        if old is None:
            assert payout.purpose == PayoutPurpose.LOAN
            assert loan.status == LoanStatus.DISBURSING
            assert loan.principal_pending_minor == amount_minor
        else:
            assert payout.purpose == PayoutPurpose.TOPUP
            assert loan.id == old.id, "a top-up must grow the open loan"
            assert loan.principal_pending_minor == old.principal_pending_minor + amount_minor
            assert loan.principal_outstanding_minor == old.principal_outstanding_minor
        return payout.id

    @rule(
        who=st.integers(min_value=0, max_value=2),
        how=st.sampled_from(
            [
                "within",
                "within",
                "within",
                "some",
                "all_available",
                "over_limit",
                "below_minimum",
                "cents",
                "above_maximum",
            ]
        ),
        shillings=st.integers(min_value=100, max_value=5_000),
        then=THEN,
        again=st.sampled_from([None, None, None, None, "same", "other amount"]),
    )
    def borrow(self, who: int, how: str, shillings: int, then: str, again: str | None) -> None:
        """Ask for a loan (a top-up if one is open); ``then``: the disbursement's fate in
        this step, or ``wait`` for ``settle_payouts``; ``again``: an earlier request's key
        is sent again (a double tap), with the same or another amount."""
        member = self.pick([m.id for m in self.members], who)
        payout_id = self.request(member, self.loan_amount(self.view(member.id), how, shillings))
        if payout_id is not None and then != "wait":
            self.send([(payout_id, *OUTCOMES[then])])
        if again and self.requests:
            self.replay_request(self.requests[-1 - shillings % len(self.requests)], again != "same")

    @precondition(
        lambda self: bool(
            self.cache.members_with(
                lambda v: v.open_loan is not None and v.open_loan.status == LoanStatus.ACTIVE
            )
        )
    )
    @rule(
        who=st.integers(min_value=0, max_value=2),
        how=st.sampled_from(["within", "within", "all_available", "over_limit", "below_minimum"]),
        shillings=st.integers(min_value=100, max_value=3_000),
        then=st.sampled_from(["wait", "wait", "paid", "bounced", "paid, answer lost"]),
    )
    def top_up(self, who: int, how: str, shillings: int, then: str) -> None:
        candidates = self.cache.members_with(
            lambda v: v.open_loan is not None and v.open_loan.status == LoanStatus.ACTIVE
        )
        member = self.pick(candidates, who)
        payout_id = self.request(member, self.loan_amount(self.view(member.id), how, shillings))
        if payout_id is not None and then != "wait":
            self.send([(payout_id, *OUTCOMES[then])])

    def replay_request(self, made: RequestMade, tamper: bool) -> None:
        """The same request key again (a double tap): the first payout, nothing new; with
        another amount: refused."""
        before = self.snapshot()
        amount = made.amount_minor + (KES if tamper else 0)
        try:
            with self.unit_of_work() as session:
                payout = request_loan(
                    session,
                    Ledger(session, self.fund.clock),
                    LoanRequest(made.borrower_id, "personal", amount, made.key),
                    self.now(),
                )
        except errors.RequestKeyReused:
            assert tamper, "an exact replay of a loan request was refused"
        else:
            assert not tamper, "a request key was reused for another amount"
            assert payout.id == made.payout_id
        assert self.snapshot() == before, "replaying a loan request changed something"
        event("loan request replayed")

    # -- disbursements and withdrawals reach the provider ----------------------------------------

    @precondition(
        lambda self: bool(
            self.cache.members_with(
                lambda v: any(p.status == PayoutStatus.PENDING for p in v.payouts)
            )
        )
    )
    @rule(data=st.data(), echo=st.sampled_from([None, None, "duplicate", "contradicting"]))
    def settle_payouts(self, data: st.DataObject, echo: str | None) -> None:
        """Send every pending payout; each succeeds or bounces (insufficient funds), and its
        answer or callback may be lost (then only the sweep can resolve it). ``echo``: an
        earlier callback comes again, as it was or contradicting itself."""
        plan = []
        for view in self.cache.views.values():
            for payout in view.payouts:
                if payout.status == PayoutStatus.PENDING:
                    fate = data.draw(st.sampled_from(list(OUTCOMES)), label=f"payout {payout.id}")
                    plan.append((payout.id, *OUTCOMES[fate]))
        self.send(plan)
        if echo and self.delivered:
            result = self.delivered[len(plan) * 7 % len(self.delivered)]
            self.replay_callback(result, echo == "contradicting")

    def send(self, plan: list[tuple[int, bool, str | None]]) -> None:
        """Submit payouts with scripted outcomes, then deliver the callbacks not lost."""
        provider = self.fund.provider
        before = self.views()
        sent: list[tuple[Payout, bool, str | None]] = []
        for payout_id, succeeds, lost in plan:
            payout = next(p for view in before.values() for p in view.payouts if p.id == payout_id)
            assert payout.status == PayoutStatus.PENDING
            msisdn = self.member(payout.borrower_id).msisdn
            provider.outcomes_by_msisdn[msisdn] = SUCCESS if succeeds else INSUFFICIENT_FUNDS
            provider.lose_answer = lost == "answer"
            self.stale()
            try:
                status = submit_payout(
                    self.fund.sessions, self.fund.ports, self.fund.clock, payout.id
                )
            finally:
                provider.lose_answer = False
                del provider.outcomes_by_msisdn[msisdn]
            assert status == ("unknown" if lost == "answer" else "submitted")
            if lost:
                self.lost.add(payout.originator_id)
            sent.append((payout, succeeds, lost))
        for result in provider.deliver():
            if result.originator_id in self.lost:
                continue  # the callback never came
            with self.unit_of_work() as session:
                record_payout_result(session, Ledger(session, self.fund.clock), result, self.now())
            self.delivered.append(result)
        after = self.views()
        for payout, succeeds, lost in sent:
            view = after[payout.borrower_id]
            now_payout = view.payout(payout.id)
            event(f"payout {payout.purpose}: {'paid' if succeeds else 'bounced'}, lost {lost}")
            if lost:
                assert now_payout.status in (PayoutStatus.SUBMITTED, PayoutStatus.UNKNOWN)
                continue
            assert now_payout.status == (
                PayoutStatus.SUCCEEDED if succeeds else PayoutStatus.FAILED
            )
            self.check_disbursement_effects(before[payout.borrower_id], view, payout, succeeds)

    def check_disbursement_effects(
        self, before: View, after: View, payout: Payout, succeeded: bool
    ) -> None:
        if payout.loan_id is None:
            return
        old, new = before.loan(payout.loan_id), after.loan(payout.loan_id)
        if not succeeded:
            if old.status == LoanStatus.DISBURSING:
                assert new.status == LoanStatus.CANCELLED, "a bounced first disbursement"
            elif old.outstanding_minor == 0:  # repaid in full while this top-up was on its way
                event("a bounced top-up left a loan repaid in full: closed")
                last_paid = max(r.received_at for r in after.repayments if r.loan_id == old.id)
                self.check_closed(before, after, old, last_paid)
            else:
                assert new.status == old.status
            return
        if old.status == LoanStatus.DISBURSING:
            assert new.status in (LoanStatus.ACTIVE, LoanStatus.REPAID)
            assert new.disbursed_on is not None
            assert new.due_on == new.disbursed_on + timedelta(days=new.product_terms["term_days"])
        else:
            assert new.due_on == old.due_on, "a top-up keeps the due date"
            if old.status == LoanStatus.DEFAULTED:
                event("a top-up was paid to a borrower frozen since it was asked for")
        if after.borrower.credit_balance_minor > 0 and new.status in OPEN_STATUSES:
            assert new.outstanding_minor == 0, "a credit balance was left beside a debt"

    @precondition(
        lambda self: bool(
            self.cache.members_with(
                lambda v: any(p.status in OPEN_PAYOUT_STATUSES for p in v.payouts)
            )
        )
    )
    @rule()
    def sweep_payouts(self) -> None:
        """Past the result grace period the sweep asks the provider about every payout whose
        answer is late, and re-sends (same originator id) any never sent."""
        self.fund.clock.advance(seconds=RESULT_GRACE.total_seconds() + 60)
        self.sweep()

    def sweep(self) -> None:
        before = self.views()
        self.stale()
        run_sweep(self.fund.sessions, self.fund.ports, self.fund.clock)
        after = self.views()
        for bid, view in before.items():
            for payout in view.payouts:
                now_payout = after[bid].payout(payout.id)
                if payout.status == PayoutStatus.PENDING:
                    assert now_payout.status in (PayoutStatus.SUBMITTED, PayoutStatus.PENDING)
                elif payout.status in (PayoutStatus.SUBMITTED, PayoutStatus.UNKNOWN):
                    answer = self.fund.provider.paid[payout.originator_id]
                    assert now_payout.status == (
                        PayoutStatus.SUCCEEDED if answer.succeeded else PayoutStatus.FAILED
                    ), f"the sweep left payout {payout.id} {now_payout.status}"
                    event("sweep resolved a payout")
                    self.check_disbursement_effects(view, after[bid], payout, answer.succeeded)
                else:
                    assert _values(now_payout) == _values(payout)

    def replay_callback(self, result: PayoutResult, contradict: bool) -> None:
        """A callback delivered again, or a late contradicting one: a resolved payout stays."""
        if contradict:
            result = PayoutResult(
                result.originator_id,
                not result.succeeded,
                None if result.succeeded else f"LATE{next(self.counter):06d}",
                "1" if result.succeeded else "0",
                "late",
                self.now(),
            )
        before = self.snapshot()
        with self.unit_of_work() as session:
            record_payout_result(session, Ledger(session, self.fund.clock), result, self.now())
        assert self.snapshot() == before, "a second callback changed a resolved payout"
        event("callback replayed")

    # -- time ------------------------------------------------------------------------------

    @rule(days=st.integers(min_value=1, max_value=20), rerun=st.booleans())
    def days_pass(self, days: int, rerun: bool) -> None:
        """The days go by: the scheduled sweep chases late payouts, then the accrual job
        charges each day's interest and defaults loans unpaid on day 30."""
        self.fund.clock.advance(days=days)
        self.sweep()
        before = self.views()
        today = business_date(self.now())
        self.stale()
        accrue_through(self.fund.sessions, self.fund.clock, today)
        if rerun:
            once = self.snapshot()
            self.stale()
            accrue_through(self.fund.sessions, self.fund.clock, today)
            assert self.snapshot() == once, "re-running the accrual changed the books"
        after = self.views()
        for bid, view in before.items():
            for loan in view.loans:
                new = after[bid].loan(loan.id)
                runs = (
                    loan.status in (LoanStatus.ACTIVE, LoanStatus.DEFAULTED)
                    and loan.disbursed_on is not None
                    and loan.disbursed_on < today
                )
                if not runs:
                    assert _values(new) == _values(loan), f"accrual moved loan {loan.id}"
                    continue
                assert loan.disbursed_on is not None
                target = (today - loan.disbursed_on).days
                want = accrued_through(loan, target)
                got = Accrued(
                    new.days_accrued,
                    new.carry_units,
                    new.interest_accrued_minor,
                    new.penalty_accrued_minor,
                )
                assert got == want, f"loan {loan.id} accrued {got}, expected {want}"
                assert new.interest_outstanding_minor - loan.interest_outstanding_minor == (
                    want.interest_accrued_minor - loan.interest_accrued_minor
                )
                assert new.penalty_outstanding_minor - loan.penalty_outstanding_minor == (
                    want.penalty_accrued_minor - loan.penalty_accrued_minor
                )
                assert new.principal_outstanding_minor == loan.principal_outstanding_minor
                defaults = (
                    loan.status == LoanStatus.ACTIVE
                    and target >= loan.product_terms["default_day"]
                    and loan.outstanding_minor > 0  # nothing owed is never a default
                )
                if defaults:
                    event("loan defaulted")
                    borrower = after[bid].borrower
                    assert new.status == LoanStatus.DEFAULTED
                    assert new.defaulted_at == self.now()
                    assert borrower.frozen_at is not None
                    assert borrower.credit_limit_minor == FLOOR_LIMIT
                    assert borrower.score_band is None
                    assert borrower.savings_short_held_minor == borrower.savings_short_minor
                else:
                    assert new.status == loan.status

    # -- repayments --------------------------------------------------------------------------

    @precondition(lambda self: bool(self.cache.members_with(lambda v: bool(v.loans))))
    @rule(
        who=st.integers(min_value=0, max_value=2),
        which=st.sampled_from(["current", "current", "current", "earlier"]),
        how=st.sampled_from(["exact", "exact", "exact", "part", "more", "any"]),
        cents=st.integers(min_value=1, max_value=300_000),
    )
    def repay(self, who: int, which: str, how: str, cents: int) -> None:
        member = self.pick(self.cache.members_with(lambda v: bool(v.loans)), who)
        view = self.view(member.id)
        loan = view.open_loan if which == "current" else None
        if loan is None:
            loan = view.loans[cents % len(view.loans)]
        owed = loan.outstanding_minor if loan.status in OPEN_STATUSES else 0
        if owed == 0 or how == "any":
            amount = cents
        elif how == "exact":
            amount = owed
        elif how == "part":
            amount = 1 + cents % owed if owed > 1 else owed
        else:
            amount = owed + cents
        receipt = f"R{self.tag.upper()}{next(self.counter):05d}"
        note(f"repay {amount} on loan {loan.id} ({loan.status}, owing {owed}) as {receipt}")
        with self.unit_of_work() as session:
            repayment = apply_repayment(
                session,
                Ledger(session, self.fund.clock),
                IncomingRepayment(
                    loan.id,
                    amount,
                    f"mpesa:{receipt}",
                    RepaymentChannel.C2B,
                    self.now(),
                    receipt=receipt,
                ),
                self.now(),
            )
        self.repayments.append(RepaymentMade(loan.id, amount, receipt, repayment.id))
        self.check_repayment(view, self.view(member.id), loan, repayment.id, amount)

    def check_repayment(
        self, before: View, after: View, loan: Loan, repayment_id: int, amount_minor: int
    ) -> None:
        penalty, interest, principal, over = allocation_of(amount_minor, loan)
        row = next(r for r in after.repayments if r.id == repayment_id)
        assert (
            row.penalty_minor,
            row.interest_minor,
            row.principal_minor,
            row.overpayment_minor,
        ) == (penalty, interest, principal, over)
        new = after.loan(loan.id)
        assert new.penalty_outstanding_minor == loan.penalty_outstanding_minor - penalty
        assert new.interest_outstanding_minor == loan.interest_outstanding_minor - interest
        assert new.principal_outstanding_minor == loan.principal_outstanding_minor - principal
        old_b, new_b = before.borrower, after.borrower
        credit_used = amount_minor if row.channel == RepaymentChannel.CREDIT_BALANCE else 0
        assert new_b.credit_balance_minor == old_b.credit_balance_minor + over - credit_used
        closes = (
            loan.status in OPEN_STATUSES
            and new.outstanding_minor == 0
            and loan.principal_pending_minor == 0
        )
        event(f"repayment: overpaid {bool(over)}, closes {closes}, {loan.status}")
        if (
            loan.principal_pending_minor
            and new.outstanding_minor == 0
            and loan.principal_disbursed_minor
        ):
            event("repaid in full with a top-up in flight")
        if not closes:
            assert new.status == loan.status
            return
        self.check_closed(before, after, loan, row.received_at)

    @staticmethod
    def check_closed(before: View, after: View, loan: Loan, settled_at: datetime) -> None:
        """A loan repaid in full is closed; the borrower is unfrozen, the lien lifted, and
        paid by the due date without a default it counts as on time and steps the limit."""
        old_b, new_b = before.borrower, after.borrower
        assert after.loan(loan.id).status == LoanStatus.REPAID
        assert new_b.frozen_at is None, "a loan repaid in full leaves the borrower frozen"
        assert new_b.savings_short_held_minor == 0
        on_time = (
            loan.due_on is not None
            and business_date(settled_at) <= loan.due_on
            and loan.defaulted_at is None
        )
        assert new_b.loans_repaid_on_time == old_b.loans_repaid_on_time + int(on_time)
        want_limit = (
            stepped_up(old_b.credit_limit_minor, new_b.loans_repaid_on_time)
            if on_time
            else old_b.credit_limit_minor
        )
        assert new_b.credit_limit_minor == want_limit

    @precondition(lambda self: bool(self.repayments))
    @rule(pick=st.integers(min_value=0, max_value=50), tamper=st.booleans())
    def replay_receipt(self, pick: int, tamper: bool) -> None:
        """An M-Pesa receipt seen again (a duplicate C2B confirmation): nothing changes; with
        other details it is refused."""
        made = self.repayments[pick % len(self.repayments)]
        amount = made.amount_minor + (1 if tamper else 0)
        before = self.snapshot()
        try:
            with self.unit_of_work() as session:
                repayment = apply_repayment(
                    session,
                    Ledger(session, self.fund.clock),
                    IncomingRepayment(
                        made.loan_id,
                        amount,
                        f"mpesa:{made.receipt}",
                        RepaymentChannel.C2B,
                        self.now(),
                        receipt=made.receipt,
                    ),
                    self.now(),
                )
        except errors.RequestKeyReused:
            assert tamper, "an exact replay of a receipt was refused"
        else:
            assert not tamper, "a receipt was applied again with another amount"
            assert repayment.id == made.repayment_id
        assert self.snapshot() == before, "replaying a receipt changed something"

    @precondition(
        lambda self: bool(
            self.cache.members_with(
                lambda v: v.open_loan is not None and v.open_loan.status == LoanStatus.DEFAULTED
            )
        )
    )
    @rule(who=st.integers(min_value=0, max_value=2))
    def apply_held_savings(self, who: int) -> None:
        """Policy: held short-term savings go against the defaulted debt."""
        member = self.pick(
            self.cache.members_with(
                lambda v: v.open_loan is not None and v.open_loan.status == LoanStatus.DEFAULTED
            ),
            who,
        )
        view = self.view(member.id)
        loan = view.open_loan
        assert loan is not None
        assert loan.status == LoanStatus.DEFAULTED
        borrower = view.borrower
        amount = min(
            borrower.savings_short_held_minor, borrower.savings_short_minor, loan.outstanding_minor
        )
        before = self.snapshot()
        with self.unit_of_work() as session:
            repayment = apply_held_savings_policy(
                session, Ledger(session, self.fund.clock), loan.id, "collections", self.now()
            )
            repayment_id = repayment.id if repayment is not None else None
        event(f"held savings applied: {amount > 0}")
        if amount <= 0:
            assert repayment_id is None
            assert self.snapshot() == before
            return
        assert repayment_id is not None
        after = self.view(member.id)
        self.check_repayment(view, after, loan, repayment_id, amount)
        assert after.borrower.savings_short_minor == borrower.savings_short_minor - amount
        if after.loan(loan.id).status == LoanStatus.DEFAULTED:
            assert after.borrower.savings_short_held_minor == (
                borrower.savings_short_held_minor - amount
            )

    # -- savings ---------------------------------------------------------------------------

    @rule(
        who=st.integers(min_value=0, max_value=2),
        cents=st.integers(min_value=1, max_value=500_000),
        again=st.booleans(),
    )
    def deposit_savings(self, who: int, cents: int, again: bool) -> None:
        member = self.pick([m.id for m in self.members], who)
        before = self.view(member.id).borrower
        key = self.key("deposit")
        receipt = f"D{self.tag.upper()}{next(self.counter):05d}"
        for _ in range(2 if again else 1):
            with self.unit_of_work() as session:
                deposit(
                    session,
                    Ledger(session, self.fund.clock),
                    IncomingDeposit(member.id, cents, key, self.now(), receipt=receipt),
                )
        long_term = cents * LONG_TERM_BP // 10_000
        member.deposited_long_minor += long_term
        member.deposited_short_minor += cents - long_term
        after = self.view(member.id).borrower
        assert after.savings_long_minor == before.savings_long_minor + long_term
        assert after.savings_short_minor == before.savings_short_minor + cents - long_term

    @rule(
        who=st.integers(min_value=0, max_value=2),
        how=st.sampled_from(["all", "part", "part", "more", "below_minimum", "cents"]),
        shillings=st.integers(min_value=1, max_value=2_000),
        then=THEN,
    )
    def withdraw_savings(self, who: int, how: str, shillings: int, then: str) -> None:
        member = self.pick([m.id for m in self.members], who)
        view = self.view(member.id)
        borrower = view.borrower
        saved = borrower.savings_short_minor
        amount = {
            "all": saved // KES * KES,
            "part": min(shillings * KES, saved // KES * KES),
            "more": saved // KES * KES + shillings * KES,
            "below_minimum": (shillings % 10) * KES,
            "cents": shillings * KES + 1,
        }[how]
        if amount <= 0:
            amount = shillings * KES
        refusals: set[type[DomainError]] = set()
        if amount % KES:
            refusals.add(errors.NotWholeShillings)
        if amount < MIN_PAYOUT:
            refusals.add(savings_errors.BelowPayoutMinimum)
        if view.open_loan is not None:
            refusals.add(savings_errors.LoanOpen)
        if borrower.savings_short_held_minor > 0:
            refusals.add(savings_errors.SavingsHeld)
        if amount > saved:
            refusals.add(savings_errors.InsufficientSavings)
        before = self.snapshot()
        note(f"withdraw {amount} of {saved} for {member.id}, expecting {refusals or 'a payout'}")
        try:
            with self.unit_of_work() as session:
                payout = request_savings_withdrawal(
                    session,
                    Ledger(session, self.fund.clock),
                    member.id,
                    amount,
                    self.key("withdrawal"),
                    self.now(),
                )
        except WITHDRAWAL_REFUSALS as exc:
            self.refused(exc, refusals, before)
            return
        assert not refusals, f"a withdrawal of {amount} passed despite {refusals}"
        event("withdrawal requested")
        after = self.view(member.id)
        assert after.payout(payout.id).status == PayoutStatus.PENDING
        assert after.payout(payout.id).purpose == PayoutPurpose.SAVINGS_WITHDRAWAL
        assert after.borrower.savings_short_minor == saved - amount
        if then != "wait":
            self.send([(payout.id, *OUTCOMES[then])])

    # -- the books, after every step ---------------------------------------------------------

    @invariant()
    def books_agree(self) -> None:
        """Trial balance zero; lending subledger equal to the ledger's control accounts."""
        self.fund.assert_books_agree()

    @invariant()
    def every_borrower_reconciles(self) -> None:
        views = self.views(fresh=True)
        provider = self.fund.provider
        with self.fund.sessions.reader() as session:
            resolutions = {
                row.pending_entry_id: row.kind
                for row in session.execute(
                    select(JournalEntry.pending_entry_id, JournalEntry.kind).where(
                        JournalEntry.pending_entry_id.in_(
                            [p.hold_entry_id for v in views.values() for p in v.payouts]
                        )
                    )
                )
            }
        for bid, view in views.items():
            member = self.member(bid)
            self.check_loans(view)
            self.check_payouts(view, resolutions)
            self.check_savings(view, member)
            # Money out: what the provider sent this phone is what the fund's payouts say.
            paid = {
                oid: result
                for oid, result in provider.paid.items()
                if provider.payouts[oid].msisdn == member.msisdn
            }
            ours = {p.originator_id: p for p in view.payouts}
            assert set(paid) <= set(ours), "the provider paid an order the fund never made"
            for oid, result in paid.items():
                payout = ours[oid]
                assert provider.payouts[oid].amount_minor == payout.amount_minor
                if payout.status == PayoutStatus.SUCCEEDED:
                    assert result.succeeded
                elif payout.status == PayoutStatus.FAILED:
                    assert not result.succeeded, f"payout {payout.id} was paid but recorded failed"
            sent = sum(p.amount_minor for p in view.payouts if p.status == PayoutStatus.SUCCEEDED)
            in_doubt = sum(
                ours[oid].amount_minor
                for oid, result in paid.items()
                if result.succeeded and ours[oid].status in OPEN_PAYOUT_STATUSES
            )
            assert provider.money_sent_to(member.msisdn) == sent + in_doubt

    def check_loans(self, view: View) -> None:
        borrower = view.borrower
        open_loans = [loan for loan in view.loans if loan.status in OPEN_STATUSES]
        assert len(open_loans) <= 1, f"borrower {borrower.id} has {len(open_loans)} open loans"
        defaulted = [loan for loan in open_loans if loan.status == LoanStatus.DEFAULTED]
        assert (borrower.frozen_at is not None) == bool(defaulted), (
            f"borrower {borrower.id}: frozen={borrower.frozen_at}, defaulted loans {defaulted}"
        )
        assert borrower.credit_limit_minor >= FLOOR_LIMIT
        for loan in view.loans:
            parts = (
                loan.principal_pending_minor,
                loan.principal_disbursed_minor,
                loan.principal_outstanding_minor,
                loan.interest_outstanding_minor,
                loan.penalty_outstanding_minor,
            )
            assert min(parts) >= 0, f"loan {loan.id} has a negative part: {parts}"
            assert (
                loan.principal_outstanding_minor + loan.principal_pending_minor
                <= loan.credit_limit_minor
            )
            rows = [r for r in view.repayments if r.loan_id == loan.id]
            for r in rows:
                assert r.amount_minor > 0
                assert (
                    r.penalty_minor + r.interest_minor + r.principal_minor + r.overpayment_minor
                    == r.amount_minor
                )
            assert sum(r.principal_minor for r in rows) == (
                loan.principal_disbursed_minor - loan.principal_outstanding_minor
            )
            assert sum(r.interest_minor for r in rows) == (
                loan.interest_accrued_minor - loan.interest_outstanding_minor
            )
            assert sum(r.penalty_minor for r in rows) == (
                loan.penalty_accrued_minor - loan.penalty_outstanding_minor
            )
            assert (
                loan.interest_accrued_minor + loan.penalty_accrued_minor
                <= loan.principal_disbursed_minor
            ), f"loan {loan.id} breaks in-duplum"
            loan_payouts = [p for p in view.payouts if p.loan_id == loan.id]
            assert loan.principal_pending_minor == sum(
                p.principal_minor for p in loan_payouts if p.status in OPEN_PAYOUT_STATUSES
            )
            assert loan.principal_disbursed_minor == sum(
                p.principal_minor for p in loan_payouts if p.status == PayoutStatus.SUCCEEDED
            )
            if loan.status == LoanStatus.DISBURSING:
                assert loan.principal_disbursed_minor == 0
                assert loan.principal_pending_minor > 0
            elif loan.status == LoanStatus.CANCELLED:
                assert loan.principal_disbursed_minor == loan.principal_pending_minor == 0
                assert loan.closed_at is not None
            elif loan.status == LoanStatus.REPAID:
                assert loan.outstanding_minor == loan.principal_pending_minor == 0
                assert loan.closed_at is not None
            else:  # active or defaulted
                assert loan.disbursed_on is not None
                assert loan.due_on is not None
                assert loan.principal_disbursed_minor > 0
                assert (loan.status == LoanStatus.DEFAULTED) == (loan.defaulted_at is not None)
                assert loan.outstanding_minor + loan.principal_pending_minor > 0, (
                    f"loan {loan.id} is {loan.status} with nothing owed and nothing in flight"
                )

    @staticmethod
    def check_payouts(view: View, resolutions: dict[int, str]) -> None:
        """Every payout is open, or resolved exactly once: one ledger resolution of its hold,
        a post for a success and a void for a failure."""
        for p in view.payouts:
            resolution = resolutions.get(p.hold_entry_id)
            if p.status in OPEN_PAYOUT_STATUSES:
                assert resolution is None, f"open payout {p.id} has its hold resolved"
                assert p.resolved_at is None
            else:
                want = "post_pending" if p.status == PayoutStatus.SUCCEEDED else "void_pending"
                assert resolution == want, f"payout {p.id} {p.status}: hold {resolution}"
                assert p.resolved_at is not None

    @staticmethod
    def check_savings(view: View, member: Member) -> None:
        """Savings and credit balances are exactly what their movements add up to."""
        b = view.borrower
        lent = [
            p
            for p in view.payouts
            if p.purpose in (PayoutPurpose.LOAN, PayoutPurpose.TOPUP)
            and p.status == PayoutStatus.SUCCEEDED
        ]
        withdrawn = sum(
            p.amount_minor
            for p in view.payouts
            if p.purpose == PayoutPurpose.SAVINGS_WITHDRAWAL and p.status != PayoutStatus.FAILED
        )
        from_savings = sum(
            r.amount_minor for r in view.repayments if r.channel == RepaymentChannel.SAVINGS
        )
        from_credit = sum(
            r.amount_minor for r in view.repayments if r.channel == RepaymentChannel.CREDIT_BALANCE
        )
        assert b.savings_long_minor == (
            sum(p.savings_long_minor for p in lent) + member.deposited_long_minor
        )
        assert b.savings_short_minor == (
            sum(p.savings_short_minor for p in lent)
            + member.deposited_short_minor
            - withdrawn
            - from_savings
        )
        assert b.credit_balance_minor == (
            sum(r.overpayment_minor for r in view.repayments) - from_credit
        )
        assert 0 <= b.savings_short_held_minor <= b.savings_short_minor
        if b.savings_short_held_minor:
            assert b.frozen_at is not None, "savings held for a borrower not in default"


def test_random_days_of_lending_keep_the_books(fund: Fund) -> None:
    run_state_machine_as_test(lambda: LendingMachine(fund), settings=MACHINE_SETTINGS)


# -- regressions found by the machine -------------------------------------------------


def test_a_top_up_that_bounces_after_full_repayment_closes_the_loan_as_repaid(
    fund: Fund,
) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 200 * KES)
    top_up = fund.request(borrower_id, 100 * KES, "top-up")
    with fund.sessions.reader() as session:
        loan = session.scalars(select(Loan).where(Loan.borrower_id == borrower_id)).one()
    with fund.sessions.unit_of_work() as session:  # repaid in full while the top-up flies
        apply_repayment(
            session,
            Ledger(session, fund.clock),
            IncomingRepayment(
                loan.id,
                loan.outstanding_minor,
                "mpesa:RKL0000001",
                RepaymentChannel.C2B,
                fund.clock(),
                receipt="RKL0000001",
            ),
            fund.clock(),
        )
    fund.provider.outcomes_by_msisdn["254712345678"] = INSUFFICIENT_FUNDS
    fund.settle(top_up.id)  # the top-up bounces: nothing more was lent
    fund.clock.advance(days=30)
    accrue_through(fund.sessions, fund.clock, business_date(fund.clock()))
    with fund.sessions.reader() as session:
        loan = session.get(Loan, loan.id)
        borrower = session.get(Borrower, borrower_id)
    assert loan is not None
    assert borrower is not None
    fund.assert_books_agree()
    # Before the fix: 'defaulted' with 0 owed, borrower frozen, limit cut to KES 100.
    assert (loan.status, loan.outstanding_minor) == (LoanStatus.REPAID, 0)
    assert borrower.frozen_at is None
