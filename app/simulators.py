"""The local M-Pesa simulator (``mkopo simulator``), configured with the credentials this
deployment's client uses."""

from __future__ import annotations

from fastapi import FastAPI

from app.settings import Settings
from integrations.mpesa.simulator.app import create_simulator
from integrations.mpesa.simulator.checks import httpx_deliverer
from integrations.mpesa.simulator.keys import load_or_create_keys
from integrations.mpesa.simulator.state import App, Organisation, SimulatorState


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
