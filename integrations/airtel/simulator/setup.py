"""The simulator process's world, from the same ``MKOPO_AIRTEL_*`` variables the client's
config is built from, so both sides agree on credentials, PIN, key, country and callbacks.

``MKOPO_AIRTEL_PUBLIC_KEY_PATH`` names the public key the client reads; the simulator writes
the pair there on first start (the private key beside it, ``.key``, mode 0600). Callbacks go
to ``{api_base_url}/callbacks/airtel/{MKOPO_AIRTEL_CALLBACK_TOKEN}/{kind}``. The defaults are
the embedded (local) ones; production never runs the simulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI

from integrations.airtel.config import CALLBACK_KINDS, CALLBACK_PATH_PREFIX, RsaPadding
from integrations.airtel.simulator.app import create_simulator
from integrations.airtel.simulator.keys import load_or_create_keys
from integrations.airtel.simulator.state import AirtelSimState
from integrations.mpesa.simulator.checks import httpx_deliverer

PREFIX = "MKOPO_AIRTEL_"
DEFAULTS = {
    "CLIENT_ID": "airtel-sim-client",
    "CLIENT_SECRET": "airtel-sim-secret",
    "PIN": "1234",
    "PUBLIC_KEY_PATH": "var/airtel-sim-public-key.txt",
    "CALLBACK_TOKEN": "airtel-sim-callback",
    "COUNTRY": "KE",
    "CURRENCY": "KES",
    "RSA_PADDING": RsaPadding.PKCS1V15.value,
}
"""The embedded defaults, by variable name without ``MKOPO_AIRTEL_`` (docs/airtel.md)."""
DEFAULT_PORT = 8200


def simulator_state(env: Mapping[str, str], api_base_url: str) -> AirtelSimState:
    def setting(name: str) -> str:
        return env.get(PREFIX + name) or DEFAULTS[name]

    base = f"{api_base_url.rstrip('/')}{CALLBACK_PATH_PREFIX}/{setting('CALLBACK_TOKEN')}"
    return AirtelSimState(
        client_id=setting("CLIENT_ID"),
        client_secret=setting("CLIENT_SECRET"),
        pin=setting("PIN"),
        callback_urls={kind: f"{base}/{kind}" for kind in CALLBACK_KINDS},
        callback_secret=env.get(PREFIX + "CALLBACK_SECRET") or None,
        country=setting("COUNTRY"),
        currency=setting("CURRENCY"),
        rsa_padding=RsaPadding(setting("RSA_PADDING")),
        keys=load_or_create_keys(Path(setting("PUBLIC_KEY_PATH"))),
    )


def build_simulator(env: Mapping[str, str], api_base_url: str) -> FastAPI:
    """The simulator app for ``mkopo simulator --provider airtel``: callbacks sent for real."""
    return create_simulator(simulator_state(env, api_base_url), httpx_deliverer())
