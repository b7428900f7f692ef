"""The outside world as the product sees it: every port in one bundle, built by the wiring.

The embedded setup wires simulators; production wires real adapters. Business code receives
``Ports`` and never builds a client itself.

Payments are per network (``payments_for``): a payout or a push goes through the provider of
the borrower's network, stored on the payout or the push. ``payments`` is M-Pesa's (the
Safaricom network), kept under its old name for the code that is M-Pesa's alone so far
(reversals of suspense receipts, reconciliation of the M-Pesa statement, C2B registration).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.security.fields import BlindIndex, FieldCipher
from app.security.pins import PinHasher
from integrations.identity.register import IdentityRegister
from integrations.kyc.provider import ProviderKyc
from integrations.mobile_money import MobileMoneyHistory, SimulatedTillHistory, TillHistory
from integrations.payments.networks import Network
from integrations.payments.port import PaymentProvider
from integrations.registers import (
    BusinessRegister,
    GroupRegister,
    SimulatedBusinessRegister,
    SimulatedGroupRegister,
)
from integrations.sms.sender import SmsSender


class NoPaymentProvider(LookupError):
    """No provider is wired for this network in this process."""


@dataclass(frozen=True)
class Ports:
    identity: IdentityRegister
    kyc: ProviderKyc
    sms: SmsSender
    payments: PaymentProvider
    """M-Pesa (the Safaricom network's provider)."""
    cipher: FieldCipher
    blind_index: BlindIndex
    pins: PinHasher
    """Hashes and checks PINs under the pepper keys (refuses while there is none)."""
    wallets: MobileMoneyHistory
    other_networks: Mapping[Network, PaymentProvider] = field(default_factory=dict)
    """The providers of the networks other than Safaricom (Airtel Money...)."""
    registers: GroupRegister = field(default_factory=SimulatedGroupRegister)
    """Where group registration numbers are checked (the simulator unless wired otherwise)."""
    business_register: BusinessRegister = field(default_factory=SimulatedBusinessRegister)
    """Where business registration numbers are checked (the simulator unless wired otherwise)."""
    tills: TillHistory = field(default_factory=SimulatedTillHistory)
    """Business tills' and paybills' statements: the SME limit's cash flow."""

    def payments_for(self, network: str) -> PaymentProvider:
        """The provider of ``network`` (a stored network value)."""
        wanted = Network(network)
        if wanted is Network.SAFARICOM:
            return self.payments
        provider = self.other_networks.get(wanted)
        if provider is None:
            raise NoPaymentProvider(f"no payment provider is wired for the {wanted} network")
        return provider
