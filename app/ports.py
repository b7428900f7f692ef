"""The outside world as the product sees it: every port in one bundle, built by the wiring.

The embedded setup wires simulators; production wires real adapters. Business code receives
``Ports`` and never builds a client itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.security.fields import BlindIndex, FieldCipher
from integrations.identity.register import IdentityRegister
from integrations.kyc.provider import ProviderKyc
from integrations.mobile_money import MobileMoneyHistory
from integrations.payments.port import PaymentProvider
from integrations.sms.sender import SmsSender


@dataclass(frozen=True)
class Ports:
    identity: IdentityRegister
    kyc: ProviderKyc
    sms: SmsSender
    payments: PaymentProvider
    cipher: FieldCipher
    blind_index: BlindIndex
    wallets: MobileMoneyHistory
