"""A fund to test lending against: chart, capital, simulators and an in-memory provider."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.accounting.chart import Acct, FundAccounts, open_chart
from app.borrowers.models import Borrower, ConsentChannel
from app.borrowers.service import prepare_pin
from app.clock import business_date
from app.db.session import Sessions
from app.lending.accrual import accrue_through
from app.lending.limits import LimitPolicy
from app.lending.models import Loan, RepaymentChannel
from app.lending.origination import LoanRequest, request_loan
from app.lending.repayments import IncomingRepayment, apply_repayment
from app.onboarding.service import OptInRequest, check_applicant, opt_in
from app.payments.models import Payout, PayoutStatus
from app.payments.payouts import record_payout_result, submit_payout
from app.ports import Ports
from app.reports.subledger_check import check_subledger
from app.security.fields import BlindIndex, FieldCipher, generate_field_keys_file, load_field_keys
from app.security.pins import PinHasher
from integrations.identity.simulator import SimulatedIdentityRegister
from integrations.kyc.simulator import SimulatedProviderKyc
from integrations.mobile_money import SimulatedMobileMoneyHistory
from integrations.payments.memory import InMemoryPaymentProvider
from integrations.payments.networks import Network
from integrations.sms.simulator import RecordingSmsSender
from ledger import EntryRequest, Ledger, PostingLine
from tests.support.clock import FrozenClock

KES = 100
GOOD_ID = "12345670"  # a valid adult in the identity simulator (docs/simulators.md)
GOOD_PHONE = "0712345678"  # an old SIM with M-Pesa
CAPITAL_MINOR = 10_000_000 * KES


def make_ports(clock: FrozenClock, key_dir: Path) -> Ports:
    path = key_dir / "field-keys.json"
    if not path.exists():
        generate_field_keys_file(path)
    keys = load_field_keys(path)
    today = business_date(clock())
    return Ports(
        identity=SimulatedIdentityRegister(today=today),
        kyc=SimulatedProviderKyc(today=today),
        sms=RecordingSmsSender(clock=clock),
        payments=InMemoryPaymentProvider(clock=clock),
        cipher=FieldCipher(keys.encryption_keys),
        blind_index=BlindIndex(keys.blind_index_key),
        pins=PinHasher(keys.pin_pepper_keys),
        wallets=SimulatedMobileMoneyHistory(today=today),
        other_networks={Network.AIRTEL: InMemoryPaymentProvider(clock=clock, receipt_prefix="AIR")},
    )


@dataclass
class Fund:
    sessions: Sessions
    ports: Ports
    clock: FrozenClock
    accounts: FundAccounts
    policy: LimitPolicy

    @property
    def airtel(self) -> InMemoryPaymentProvider:
        """The Airtel Money provider (in memory)."""
        provider = self.ports.payments_for(Network.AIRTEL)
        assert isinstance(provider, InMemoryPaymentProvider)
        return provider

    @property
    def provider(self) -> InMemoryPaymentProvider:
        assert isinstance(self.ports.payments, InMemoryPaymentProvider)
        return self.ports.payments

    def register(
        self, national_id: str = GOOD_ID, phone: str = GOOD_PHONE, pin: str = "4826"
    ) -> int:
        applicant = check_applicant(self.ports, national_id, phone, business_date(self.clock()))
        pin_hash = prepare_pin(self.ports.pins, pin)
        with self.sessions.unit_of_work() as session:
            request = OptInRequest(
                applicant, pin_hash, terms_accepted=True, channel=ConsentChannel.APP
            )
            return opt_in(session, self.ports, self.policy, request, self.clock()).id

    def request(
        self, borrower_id: int, amount_minor: int, key: str, product: str = "personal"
    ) -> Payout:
        with self.sessions.unit_of_work() as session:
            return request_loan(
                session,
                Ledger(session, self.clock),
                LoanRequest(borrower_id, product, amount_minor, key),
                self.clock(),
            )

    def settle(self, payout_id: int) -> None:
        """Send the payout and deliver the provider's result (the callback)."""
        submit_payout(self.sessions, self.ports, self.clock, payout_id)
        for result in self.provider.deliver():
            with self.sessions.unit_of_work() as session:
                record_payout_result(session, Ledger(session, self.clock), result, self.clock())

    def settle_all(self) -> None:
        """Send every pending payout and deliver the provider's results."""
        with self.sessions.reader() as session:
            pending = session.scalars(
                select(Payout.id).where(Payout.status == PayoutStatus.PENDING).order_by(Payout.id)
            ).all()
        for payout_id in pending:
            submit_payout(self.sessions, self.ports, self.clock, payout_id)
        for result in self.provider.deliver():
            with self.sessions.unit_of_work() as session:
                record_payout_result(session, Ledger(session, self.clock), result, self.clock())

    def borrow(self, borrower_id: int, amount_minor: int, key: str | None = None) -> Payout:
        payout = self.request(borrower_id, amount_minor, key or f"borrow-{self.clock()}")
        self.settle(payout.id)
        return payout

    def loan_of(self, borrower_id: int) -> Loan:
        """The borrower's latest loan, as stored now."""
        with self.sessions.reader() as session:
            loan = session.scalar(
                select(Loan).where(Loan.borrower_id == borrower_id).order_by(Loan.id.desc())
            )
            assert loan is not None
            return loan

    def borrower(self, borrower_id: int) -> Borrower:
        with self.sessions.reader() as session:
            found = session.get(Borrower, borrower_id)
            assert found is not None
            return found

    def days_pass(self, days: int) -> None:
        """Move the clock and run the nightly accrual for the new business date."""
        self.clock.advance(days=days)
        accrue_through(self.sessions, self.clock, business_date(self.clock()))

    def repay(self, loan_id: int, amount_minor: int, receipt: str) -> None:
        """An M-Pesa paybill repayment with this receipt."""
        with self.sessions.unit_of_work() as session:
            apply_repayment(
                session,
                Ledger(session, self.clock),
                IncomingRepayment(
                    loan_id,
                    amount_minor,
                    f"mpesa:{receipt}",
                    RepaymentChannel.C2B,
                    self.clock(),
                    receipt=receipt,
                ),
                self.clock(),
            )

    def assert_books_agree(self) -> None:
        with self.sessions.reader() as session:
            ledger = Ledger(session, self.clock)
            assert ledger.trial_balance().net_by_currency == {"KES": 0}
            disagreements = [c for c in check_subledger(session, ledger) if not c.agrees]
        assert disagreements == []


def open_fund(sessions: Sessions, clock: FrozenClock, key_dir: Path) -> Fund:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        accounts = open_chart(ledger)
        ledger.post(
            EntryRequest(
                "capital",
                [
                    PostingLine.debit(accounts[Acct.FLOAT], CAPITAL_MINOR),
                    PostingLine.credit(accounts[Acct.CAPITAL], CAPITAL_MINOR),
                ],
                "capital",
            )
        )
    return Fund(sessions, make_ports(clock, key_dir), clock, accounts, LimitPolicy())
