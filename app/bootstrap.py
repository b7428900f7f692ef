"""The one place a process is assembled: settings -> database -> sessions -> task queue ->
ports -> runtime, and the domains' registrations (payout purposes, event subscribers).

Each process type builds its runtime here once: the API in ``create_app``
(``build_runtime(..., role=API)``), the worker and the CLI through ``process_runtime()``.
Adapters are chosen by settings: the payment providers by ``MKOPO_PAYMENT_PROVIDER``
(``daraja``: Daraja for Safaricom numbers and the Airtel client, configured from
``MKOPO_AIRTEL_*``, for Airtel numbers; ``memory``: one in-memory provider per network, which
production refuses); the identity register, KYC, wallet history and SMS have simulators only
so far (docs/architecture.md says where a real adapter goes). The API process never moves
money: its payment ports (every network's) refuse every call, so it needs no M-Pesa
certificate and no Airtel key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache
from typing import NoReturn

from app import events
from app.admin.approval_kinds import KINDS
from app.approvals import kinds as approval_kinds
from app.clock import Clock, business_date, system_clock
from app.db.engine import make_database
from app.db.session import Sessions
from app.groups.disbursement import GroupPayouts
from app.lending.disbursements import LoanPayouts
from app.lending.events import LoanDefaulted, LoanRepaid
from app.payments import purposes
from app.ports import Ports
from app.runtime import Runtime
from app.savings.withdrawals import SavingsPayouts
from app.scoring import marks
from app.security.fields import FieldCrypto
from app.settings import Settings, get_settings
from app.tasks.queue import TASK_QUEUE_KEY, CeleryTaskQueue, TaskQueue
from integrations.airtel.client import AirtelClient
from integrations.airtel.config import AirtelConfig, RsaPadding
from integrations.identity.simulator import SimulatedIdentityRegister
from integrations.kyc.simulator import SimulatedProviderKyc
from integrations.mobile_money import SimulatedMobileMoneyHistory
from integrations.mpesa.client import DarajaClient, DarajaConfig
from integrations.mpesa.token_cache import FileTokenStore
from integrations.payments.memory import InMemoryPaymentProvider
from integrations.payments.networks import Network
from integrations.payments.port import (
    CollectionOrder,
    CollectionResult,
    CollectionSubmit,
    PaymentProvider,
    PayoutOrder,
    PayoutResult,
    ReversalOrder,
    ReversalOutcome,
    SubmitResult,
)
from integrations.registers import GroupRegister, SimulatedGroupRegister
from integrations.sms.simulator import RecordingSmsSender


class Role(StrEnum):
    API = "api"
    """Serves requests; never calls the payment provider."""
    WORKER = "worker"
    """Runs tasks, and the CLI's commands: may move money."""


class MisconfiguredProcess(RuntimeError):
    """Settings that would make a process lie about money (e.g. production on a fake)."""


class NoPaymentsInTheApi:
    """The payment port of the API process: money moves only in the worker."""

    def _refuse(self) -> NoReturn:
        raise RuntimeError("the API does not call the payment provider; the worker does")

    def submit_payout(self, order: PayoutOrder) -> SubmitResult:
        self._refuse()

    def query_payout(self, originator_id: str) -> PayoutResult | None:
        self._refuse()

    def request_collection(self, order: CollectionOrder) -> CollectionSubmit:
        self._refuse()

    def query_collection(self, checkout_id: str) -> CollectionResult | None:
        self._refuse()

    def request_reversal(self, order: ReversalOrder) -> SubmitResult:
        self._refuse()

    def query_reversal(self, order: ReversalOrder) -> ReversalOutcome | None:
        self._refuse()


def build_payments(settings: Settings, clock: Clock) -> PaymentProvider:
    """The in-memory provider, or the Daraja client configured from settings."""
    if settings.payment_provider == "memory":
        if settings.environment == "production":
            raise MisconfiguredProcess("production cannot pay out through the in-memory provider")
        return InMemoryPaymentProvider(clock=clock)
    config = DarajaConfig(
        base_url=settings.mpesa_base_url,
        consumer_key=settings.mpesa_consumer_key.get_secret_value(),
        consumer_secret=settings.mpesa_consumer_secret.get_secret_value(),
        shortcode=settings.mpesa_shortcode,
        passkey=settings.mpesa_passkey.get_secret_value(),
        initiator_name=settings.mpesa_initiator_name,
        initiator_password=settings.mpesa_initiator_password.get_secret_value(),
        cert_bytes=settings.mpesa_cert_path.read_bytes(),
        callback_base_url=settings.mpesa_callback_base_url,
        callback_token=settings.mpesa_callback_token.get_secret_value(),
        callback_path_prefix=settings.mpesa_callback_path_prefix,
    )
    return DarajaClient(config, clock=clock, token_store=FileTokenStore(settings.mpesa_token_path))


def airtel_config(settings: Settings) -> AirtelConfig:
    """The Airtel client's configuration from ``MKOPO_AIRTEL_*`` (the public key's file is
    read here: call it when the client is built)."""
    return AirtelConfig(
        base_url=settings.airtel_base_url,
        client_id=settings.airtel_client_id.get_secret_value(),
        client_secret=settings.airtel_client_secret.get_secret_value(),
        pin=settings.airtel_pin.get_secret_value(),
        public_key=settings.airtel_public_key_path.read_bytes(),
        callback_token=settings.airtel_callback_token.get_secret_value(),
        callback_secret=settings.airtel_callback_secret_value,
        country=settings.airtel_country,
        currency=settings.airtel_currency,
        rsa_padding=RsaPadding(settings.airtel_rsa_padding),
        sign_collections=settings.airtel_sign_collections,
        verify_callback_hash=settings.airtel_verify_callback_hash,
    )


class BuiltOnFirstUse:
    """A payment provider built at its first call, then kept: the Airtel client reads
    Airtel's public key when built, and a worker that pays only M-Pesa borrowers (or runs
    before the local Airtel simulator has written its key) must not fail at start-up. A
    build that fails raises at that call, before anything is sent, and is tried again at
    the next one."""

    def __init__(self, build: Callable[[], PaymentProvider]) -> None:
        self._build = build
        self._built: PaymentProvider | None = None
        self._lock = threading.Lock()

    @property
    def provider(self) -> PaymentProvider:
        with self._lock:
            if self._built is None:
                self._built = self._build()
            return self._built

    def submit_payout(self, order: PayoutOrder) -> SubmitResult:
        return self.provider.submit_payout(order)

    def query_payout(self, originator_id: str) -> PayoutResult | None:
        return self.provider.query_payout(originator_id)

    def request_collection(self, order: CollectionOrder) -> CollectionSubmit:
        return self.provider.request_collection(order)

    def query_collection(self, checkout_id: str) -> CollectionResult | None:
        return self.provider.query_collection(checkout_id)

    def request_reversal(self, order: ReversalOrder) -> SubmitResult:
        return self.provider.request_reversal(order)

    def query_reversal(self, order: ReversalOrder) -> ReversalOutcome | None:
        return self.provider.query_reversal(order)


def build_airtel_payments(settings: Settings, clock: Clock) -> PaymentProvider:
    """Airtel Money's provider: in memory when ``MKOPO_PAYMENT_PROVIDER`` is ``memory``
    (tests), else the Airtel client configured from ``MKOPO_AIRTEL_*``, built on first use."""
    if settings.payment_provider == "memory":
        if settings.environment == "production":
            raise MisconfiguredProcess("production cannot pay out through the in-memory provider")
        return InMemoryPaymentProvider(clock=clock, receipt_prefix="AIR")

    def airtel_client() -> PaymentProvider:
        return AirtelClient(
            airtel_config(settings),
            clock=clock,
            token_store=FileTokenStore(settings.airtel_token_path),
        )

    return BuiltOnFirstUse(airtel_client)


def build_group_register(settings: Settings) -> GroupRegister:
    """The group register chosen by ``MKOPO_GROUP_REGISTER`` (only the simulator so far)."""
    if settings.group_register == "simulator":
        return SimulatedGroupRegister()
    raise MisconfiguredProcess(f"no group register adapter {settings.group_register!r}")


def build_ports(
    settings: Settings, clock: Clock, crypto: FieldCrypto, role: Role = Role.WORKER
) -> Ports:
    today = business_date(clock())
    payments: PaymentProvider
    airtel: PaymentProvider
    if role is Role.API:
        payments = airtel = NoPaymentsInTheApi()
    else:
        payments = build_payments(settings, clock)
        airtel = build_airtel_payments(settings, clock)
    return Ports(
        identity=SimulatedIdentityRegister(today=today),
        kyc=SimulatedProviderKyc(today=today),
        sms=RecordingSmsSender(clock=clock),
        payments=payments,
        cipher=crypto.cipher,
        blind_index=crypto.blind_index,
        pins=crypto.pins,
        wallets=SimulatedMobileMoneyHistory(today=today),
        other_networks={Network.AIRTEL: airtel},
        registers=build_group_register(settings),
    )


def build_runtime(
    settings: Settings,
    role: Role,
    clock: Clock = system_clock,
    tasks: TaskQueue | None = None,
) -> Runtime:
    """A process's runtime; ``tasks`` defaults to the broker of ``settings``."""
    wire_domains()
    queue = tasks if tasks is not None else CeleryTaskQueue(settings)
    sessions = Sessions(make_database(settings), info={TASK_QUEUE_KEY: queue})
    return Runtime(
        settings=settings,
        sessions=sessions,
        clock=clock,
        tasks=queue,
        build_ports=lambda crypto: build_ports(settings, clock, crypto, role),
    )


@lru_cache(maxsize=1)
def process_runtime() -> Runtime:
    """The worker's or the CLI's runtime, built on first use in the process that uses it
    (a Celery child builds its own after fork)."""
    return build_runtime(get_settings(), Role.WORKER)


def wire_domains() -> None:
    """The domains' registrations into the layers below them (idempotent): what a payout's
    result does for each purpose, who hears lending's events, and the kinds of four-eyes
    request the approvals engine decides."""
    loans, savings, group_legs = LoanPayouts(), SavingsPayouts(), GroupPayouts()
    purposes.register(group_legs.purposes, group_legs)
    purposes.register(loans.purposes, loans)
    purposes.register(savings.purposes, savings)
    events.subscribe(LoanRepaid, marks.on_loan_repaid)
    events.subscribe(LoanDefaulted, marks.on_loan_defaulted)
    approval_kinds.register(*KINDS)
