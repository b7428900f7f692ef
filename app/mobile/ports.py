"""The ports the app API needs: the API runtime's bundle (``app.bootstrap``), whose payment
port refuses every call (payouts and STK prompts are sent by the worker)."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, FastAPI, Request

from app.api.deps import app_runtime
from app.api.problems import ProblemError
from app.ports import Ports
from app.security.fields import InvalidFieldKeysFile

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
