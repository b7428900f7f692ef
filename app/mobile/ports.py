"""The ports the app API needs: the API runtime's bundle (``app.bootstrap``), whose payment
port refuses every call (payouts and STK prompts are sent by the worker); and the PIN hasher
for the routes that take a PIN, refused with 503 before any work while there is no pepper."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, FastAPI, Request

from app.api.deps import app_runtime
from app.api.problems import ProblemError
from app.ports import Ports
from app.security.fields import InvalidFieldKeysFile
from app.security.pins import PinHasher, PinPepperMissing

log = structlog.get_logger("mkopo.mobile")


def app_ports(app: FastAPI) -> Ports:
    """The app's ports, built on first use (serving health checks needs no keys file)."""
    return app_runtime(app).ports


def get_app_ports(request: Request) -> Ports:
    try:
        return app_ports(request.app)
    except (OSError, InvalidFieldKeysFile):
        log.error("app_field_keys_unavailable")
        raise ProblemError(
            503, "field_keys_missing", "Field keys are not configured (mkopo keys generate)"
        ) from None


AppPorts = Annotated[Ports, Depends(get_app_ports)]


def get_app_pins(ports: AppPorts) -> PinHasher:
    """The PIN hasher; PinPepperMissing (503 problem+json) while the keys file holds no
    pepper key, raised before a route counts a guess or checks anything."""
    try:
        ports.pins.require()
    except PinPepperMissing:
        log.error("app_pin_pepper_missing")
        raise
    return ports.pins


AppPins = Annotated[PinHasher, Depends(get_app_pins)]
