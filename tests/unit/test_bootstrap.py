"""The payment provider is chosen by settings: the in-memory one, or Daraja."""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from app.bootstrap import build_payments
from app.settings import Settings
from integrations.mpesa.client import DarajaClient
from integrations.payments.memory import InMemoryPaymentProvider

NOW = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=datetime.UTC)


def certificate(path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sim.apicrypt.local")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_the_embedded_setup_pays_through_the_simulator_unless_memory_is_chosen() -> None:
    assert Settings().payment_provider == "daraja"
    assert Settings().mpesa_base_url == "http://127.0.0.1:8100"  # where mkopo simulator listens
    memory = Settings(payment_provider="memory")
    assert isinstance(build_payments(memory, lambda: NOW), InMemoryPaymentProvider)


def test_daraja_settings_build_the_daraja_client(tmp_path: Path) -> None:
    settings = Settings(
        payment_provider="daraja",
        mpesa_cert_path=certificate(tmp_path / "c.pem"),
        mpesa_token_path=tmp_path / "token.json",
    )
    client = build_payments(settings, lambda: NOW)
    assert isinstance(client, DarajaClient)
    assert client.callback_url("b2c/result").endswith(
        "/callbacks/mpesa/dev-callback-token-change-me/b2c/result"
    )
    client.close()


def test_the_simulator_shares_its_certificate_with_the_daraja_client(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from app.simulators import build_simulator

    settings = Settings(mpesa_cert_path=tmp_path / "sim-cert.pem")
    with TestClient(build_simulator(settings)) as sim:
        token = sim.get(
            "/oauth/v1/generate",
            params={"grant_type": "client_credentials"},
            auth=("mkopo-sim-key", "mkopo-sim-secret"),
        )
    assert token.status_code == 200
    assert token.json()["expires_in"] == "3599"
    assert settings.mpesa_cert_path.read_bytes().startswith(b"-----BEGIN CERTIFICATE")
    client = build_payments(
        settings.model_copy(
            update={"payment_provider": "daraja", "mpesa_token_path": tmp_path / "t.json"}
        ),
        lambda: NOW,
    )
    assert isinstance(client, DarajaClient)  # it can read the simulator's certificate
    client.close()


def test_mkopo_simulator_checks_c2b_urls_as_safaricom_when_local_ones_are_not_allowed(
    tmp_path: Path,
) -> None:
    from app.simulators import simulator_state

    cert = tmp_path / "sim-cert.pem"
    assert simulator_state(Settings(mpesa_cert_path=cert)).allow_local_callbacks
    strict = Settings(mpesa_cert_path=cert, simulator_allow_local_callbacks=False)
    assert not simulator_state(strict).allow_local_callbacks
