"""The ports the app API needs, built once per app from its settings and kept on ``app.state``.

The API checks identities (register, KYC), encrypts and looks up phones and IDs (cipher,
blind index) and sends one-time codes (SMS). It never moves money: payouts and STK prompts
are sent by the worker, so the bundle's payment port refuses every call instead of building
a Daraja client (which would need the M-Pesa certificate in the API process).
"""

from __future__ import annotations

import threading
from typing import Annotated, NoReturn

import structlog
from fastapi import Depends, FastAPI, Request

from app.api.deps import app_field_crypto
from app.api.problems import ProblemError
from app.clock import Clock, business_date
from app.ports import Ports
from app.security.fields import FieldCrypto, InvalidFieldKeysFile
from app.settings import Settings
from integrations.identity.simulator import SimulatedIdentityRegister
from integrations.kyc.simulator import SimulatedProviderKyc
from integrations.mobile_money import SimulatedMobileMoneyHistory
from integrations.payments.port import (
    CollectionOrder,
    CollectionResult,
    CollectionSubmit,
    PayoutOrder,
    PayoutResult,
    ReversalOrder,
    ReversalOutcome,
    SubmitResult,
)
from integrations.sms.simulator import RecordingSmsSender

_build_lock = threading.Lock()
log = structlog.get_logger("mkopo.mobile")


class NoPaymentsInTheApi:
    """The payment port of the API process: money moves only in the worker."""

    def _refuse(self) -> NoReturn:
        raise RuntimeError("the app API does not call the payment provider; the worker does")

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


def build_app_ports(settings: Settings, clock: Clock, crypto: FieldCrypto) -> Ports:
    """Like ``app.wiring.build_ports``, without the payment provider."""
    today = business_date(clock())
    return Ports(
        identity=SimulatedIdentityRegister(today=today),
        kyc=SimulatedProviderKyc(today=today),
        sms=RecordingSmsSender(clock=clock),
        payments=NoPaymentsInTheApi(),
        cipher=crypto.cipher,
        blind_index=crypto.blind_index,
        wallets=SimulatedMobileMoneyHistory(today=today),
    )


def app_ports(app: FastAPI) -> Ports:
    """The app's ports, built on first use (serving health checks needs no keys file)."""
    ports: Ports | None = getattr(app.state, "mobile_ports", None)
    if ports is None:
        with _build_lock:  # one bundle per app: a second SMS simulator would lose messages
            ports = getattr(app.state, "mobile_ports", None)
            if ports is None:
                crypto = app_field_crypto(app)
                ports = build_app_ports(app.state.settings, app.state.clock, crypto)
                app.state.mobile_ports = ports
    return ports


def get_app_ports(request: Request) -> Ports:
    try:
        return app_ports(request.app)
    except (OSError, InvalidFieldKeysFile):
        log.error("app_field_keys_unavailable")
        raise ProblemError(
            503, "field_keys_missing", "Field keys are not configured (mkopo keys generate)"
        ) from None


AppPorts = Annotated[Ports, Depends(get_app_ports)]
