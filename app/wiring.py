"""Build the ports from settings: simulators in the embedded setup.

The M-Pesa issue replaces the in-memory payment provider with the Daraja adapter.
"""

from __future__ import annotations

from app.clock import Clock, business_date
from app.ports import Ports
from app.security.fields import BlindIndex, FieldCipher, load_field_keys
from app.settings import Settings
from integrations.identity.simulator import SimulatedIdentityRegister
from integrations.kyc.simulator import SimulatedProviderKyc
from integrations.payments.memory import InMemoryPaymentProvider
from integrations.sms.simulator import RecordingSmsSender


def build_ports(settings: Settings, clock: Clock) -> Ports:
    keys = load_field_keys(settings.field_keys_path)
    today = business_date(clock())
    return Ports(
        identity=SimulatedIdentityRegister(today=today),
        kyc=SimulatedProviderKyc(today=today),
        sms=RecordingSmsSender(clock=clock),
        payments=InMemoryPaymentProvider(clock=clock),
        cipher=FieldCipher(keys.encryption_keys),
        blind_index=BlindIndex(keys.blind_index_key),
    )
