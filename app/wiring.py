"""Build the ports from settings: simulators in the embedded setup; the Daraja client for
payments when ``MKOPO_PAYMENT_PROVIDER=daraja``."""

from __future__ import annotations

from fastapi import FastAPI

from app.clock import Clock, business_date
from app.ports import Ports
from app.security.fields import load_field_crypto
from app.settings import Settings
from integrations.identity.simulator import SimulatedIdentityRegister
from integrations.kyc.simulator import SimulatedProviderKyc
from integrations.mobile_money import SimulatedMobileMoneyHistory
from integrations.mpesa.client import DarajaClient, DarajaConfig
from integrations.mpesa.simulator.app import create_simulator
from integrations.mpesa.simulator.checks import httpx_deliverer
from integrations.mpesa.simulator.keys import load_or_create_keys
from integrations.mpesa.simulator.state import App, Organisation, SimulatorState
from integrations.mpesa.token_cache import FileTokenStore
from integrations.payments.memory import InMemoryPaymentProvider
from integrations.payments.port import PaymentProvider
from integrations.sms.simulator import RecordingSmsSender


def build_payments(settings: Settings, clock: Clock) -> PaymentProvider:
    """The in-memory provider, or the Daraja client configured from settings."""
    if settings.payment_provider == "memory":
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


def build_ports(settings: Settings, clock: Clock) -> Ports:
    crypto = load_field_crypto(settings.field_keys_path)
    today = business_date(clock())
    return Ports(
        identity=SimulatedIdentityRegister(today=today),
        kyc=SimulatedProviderKyc(today=today),
        sms=RecordingSmsSender(clock=clock),
        payments=build_payments(settings, clock),
        cipher=crypto.cipher,
        blind_index=crypto.blind_index,
        wallets=SimulatedMobileMoneyHistory(today=today),
    )


def build_simulator(settings: Settings) -> FastAPI:
    """The Daraja simulator configured with the same credentials the client uses, its
    certificate written to ``MKOPO_MPESA_CERT_PATH`` (the key beside it, mode 0600)."""
    return create_simulator(simulator_state(settings), httpx_deliverer())


def simulator_state(settings: Settings) -> SimulatorState:
    """A fresh simulated M-Pesa world that knows this deployment's credentials."""
    keys = load_or_create_keys(
        settings.mpesa_cert_path.with_suffix(".key"), settings.mpesa_cert_path
    )
    return SimulatorState(
        org=Organisation(
            shortcode=settings.mpesa_shortcode,
            passkey=settings.mpesa_passkey.get_secret_value(),
            initiator_name=settings.mpesa_initiator_name,
            initiator_password=settings.mpesa_initiator_password.get_secret_value(),
        ),
        apps=[
            App(
                settings.mpesa_consumer_key.get_secret_value(),
                settings.mpesa_consumer_secret.get_secret_value(),
            )
        ],
        keys=keys,
        allow_local_callbacks=settings.simulator_allow_local_callbacks,
    )
