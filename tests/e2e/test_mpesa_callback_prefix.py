"""Our callback path prefix is a setting (``MKOPO_MPESA_CALLBACK_PATH_PREFIX``): Safaricom
refuses C2B URLs containing "mpesa", so a production deployment moves the callbacks off SPEC's
default ``/callbacks/mpesa``. The API serves them where the client tells Daraja they are."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.bootstrap import build_payments
from app.settings import Settings
from integrations.mpesa.client import CALLBACK_KINDS, CALLBACK_PATH_PREFIX, DarajaClient
from integrations.mpesa.simulator.callback_urls import acceptable
from integrations.mpesa.simulator.keys import generate_keys
from tests.support.api import fund_app
from tests.support.lending import Fund
from tests.unit.test_mpesa_callbacks import STK_CANCELLED

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
TOKEN = "t0k3n-for-prefix-tests"


def test_the_default_is_spec_s_prefix() -> None:
    assert Settings().mpesa_callback_path_prefix == CALLBACK_PATH_PREFIX == "/callbacks/mpesa"


def test_callbacks_are_served_under_the_configured_prefix_only(fund: Fund, tmp_path: Path) -> None:
    app = fund_app(
        fund, tmp_path, mpesa_callback_token=TOKEN, mpesa_callback_path_prefix="/hooks/mm"
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        moved = client.post(f"/hooks/mm/{TOKEN}/stk", json=STK_CANCELLED)
        default = client.post(f"/callbacks/mpesa/{TOKEN}/stk", json=STK_CANCELLED)
    assert moved.status_code == 200
    assert moved.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert default.status_code == 404
    callbacks = {
        path
        for path in app.openapi()["paths"]
        if "{token}" in path and not path.startswith("/callbacks/airtel/")
    }
    assert callbacks == {f"/hooks/mm/{{token}}/{kind}" for kind in CALLBACK_KINDS}


def test_the_client_builds_its_urls_with_the_prefix_and_safaricom_would_take_them(
    tmp_path: Path,
) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_bytes(generate_keys().cert_pem)
    settings = Settings(
        mpesa_cert_path=cert,
        mpesa_token_path=tmp_path / "token.json",
        mpesa_callback_base_url="https://fund.example",
        mpesa_callback_path_prefix="/hooks/mm",
    )
    client = build_payments(settings, lambda: NOW)
    assert isinstance(client, DarajaClient)
    urls = [client.callback_url(kind) for kind in CALLBACK_KINDS]
    client.close()
    assert all(url.startswith("https://fund.example/hooks/mm/") for url in urls)
    assert all(acceptable(url, allow_local=False) for url in urls)
    spec_default = urls[0].replace("/hooks/mm/", f"{CALLBACK_PATH_PREFIX}/")
    assert not acceptable(spec_default, allow_local=False)


@pytest.mark.parametrize("prefix", ["hooks/mm", "/hooks/mm/", "/", "/hooks//mm", "/a/../b", "/a b"])
def test_a_prefix_that_is_not_a_clean_path_is_refused(prefix: str) -> None:
    with pytest.raises(ValidationError, match="mpesa_callback_path_prefix"):
        Settings(mpesa_callback_path_prefix=prefix)
