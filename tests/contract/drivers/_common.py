"""What the three client drivers share. A driver runs ONE library's calls against the simulator
as a developer integrating with it would, in a subprocess whose path holds that library, and
prints one JSON object: for each step, what came back.

A step's record: ``sent`` (False when the library refused the call itself, before any HTTP),
``status`` (HTTP), ``code`` (Daraja's ``errorCode``, or ``ResponseCode``/``ResultCode`` of an
answer), ``message`` and ``body`` (the answer as the library returned it, as JSON). This module
imports nothing from Mkopo: the drivers see the simulator only over HTTP.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding

Step = dict[str, Any]


def config() -> dict[str, Any]:
    """The test's configuration, the driver's only argument (JSON)."""
    found: dict[str, Any] = json.loads(sys.argv[1])
    return found


def correct_credential(password: str, cert_path: str) -> str:
    """Daraja's algorithm (reference §5.1): RSA PKCS#1 v1.5 of the bare password, base64."""
    with open(cert_path, "rb") as cert_file:
        key = x509.load_pem_x509_certificate(cert_file.read()).public_key()
    encrypted = key.encrypt(password.encode(), padding.PKCS1v15())  # type: ignore[union-attr]
    return base64.b64encode(encrypted).decode()


def as_json(value: Any) -> Any:
    """A library's response object as plain JSON."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, tuple):  # mpesa-sdk answers (body, status)
        return value[0]
    return value


def answered(body: Any) -> Step:
    found = as_json(body)
    code = found.get("ResponseCode", found.get("ResultCode")) if isinstance(found, dict) else None
    return {"sent": True, "status": 200, "code": None if code is None else str(code), "body": found}


def refused(status: int | None, raw: Any, message: str | None = None) -> Step:
    """An error answer; ``raw`` is Daraja's envelope as text or a mapping, when known."""
    envelope: Any = raw
    if isinstance(raw, str | bytes):
        try:
            envelope = json.loads(raw)
        except ValueError:
            envelope = None
    if not isinstance(envelope, dict):
        envelope = {}
    return {
        "sent": True,
        "status": status,
        "code": envelope.get("errorCode"),
        "message": envelope.get("errorMessage", message),
        "body": None,
    }


def not_sent(exc: Exception) -> Step:
    return {"sent": False, "status": None, "code": None, "message": str(exc)[:300], "body": None}


def run_scenario(cfg: dict[str, Any], **calls: Any) -> None:
    """Print the records of ``scenario(cfg, **calls)`` for the test to read."""
    json.dump(scenario(cfg, **calls), sys.stdout)


def scenario(
    cfg: dict[str, Any],
    *,
    oauth_refused: Callable[[], Step],
    stk: Callable[[str, int, str], Step],
    stk_query: Callable[[str], Step],
    c2b_register: Callable[[str], Step],
    b2c: Callable[[str, int, str], Step],
    status: Callable[[str], Step],
    balance: Callable[[str], Step],
    c2b_simulate: Callable[[], Step] | None = None,
    library_credential: str | None = None,
) -> dict[str, Step]:
    """The contract's steps, in order, through one client's calls (each already turned into a
    record); the records. A step never stops the ones after it."""
    phones, hooks = cfg["phones"], cfg["callbacks"]
    right = correct_credential(cfg["password"], cfg["cert_path"])
    records: dict[str, Step] = {"oauth_refused": oauth_refused()}
    records["stk_push"] = stk(phones["paid"], 10, "LN12345")
    records["stk_query"] = stk_query((records["stk_push"]["body"] or {}).get("CheckoutRequestID"))
    records["stk_locked_first"] = stk(phones["pending"], 20, "LN12345")
    records["stk_locked"] = stk(phones["pending"], 21, "LN12345")
    records["stk_over_max"] = stk(phones["over_max"], 300_000, "LN12345")
    # Two references: daraja-sdk-py answers an identical POST from its own cache.
    records["stk_repeat_first"] = stk(phones["repeat"], 30, "LN1")
    records["stk_repeat"] = stk(phones["repeat"], 30, "LN2")
    records["c2b_register_refused"] = c2b_register(cfg["keyword_callbacks"])
    records["c2b_register"] = c2b_register(hooks)
    if c2b_simulate is not None:
        records["c2b_simulate"] = c2b_simulate()
    if library_credential is not None:
        records["b2c_library_credential"] = b2c(
            "contract-library-credential", 100, library_credential
        )
    records["b2c"] = b2c("contract-b2c", 100, right)
    records["b2c_below_min"] = b2c("contract-below", 5, right)
    records["b2c_over_max"] = b2c("contract-over", 300_000, right)
    records["status"] = status(right)
    records["balance"] = balance(right)
    return records
