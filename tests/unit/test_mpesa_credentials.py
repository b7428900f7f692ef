"""Daraja's derived secrets: SecurityCredential, STK Password and Timestamp."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from integrations.mpesa.credentials import (
    NaiveDatetime,
    NotAnRsaCertificate,
    daraja_timestamp,
    security_credential,
    stk_password,
)

SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
# The Password of the official MpesaExpressSimulate sample (reference §2.1).
SAMPLE_PASSWORD = (
    "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGEx"
    "ZWQyYzkxOTIwMjEwNjI4MDkyNDA4"
)
INITIATOR_PASSWORD = "Safaricom999!#&%$"


@dataclass(frozen=True)
class KeyPair:
    key: rsa.RSAPrivateKey
    pem: bytes
    der: bytes


def make_cert(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, not_after: datetime
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sim.apicrypt.local")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_after - timedelta(days=730))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def simulator_keys() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = make_cert(key, datetime(2036, 1, 1, tzinfo=UTC))
    return KeyPair(
        key,
        cert.public_bytes(serialization.Encoding.PEM),
        cert.public_bytes(serialization.Encoding.DER),
    )


def decrypt(key: rsa.RSAPrivateKey, credential: str) -> str:
    return key.decrypt(base64.b64decode(credential), padding.PKCS1v15()).decode("utf-8")


@pytest.mark.parametrize("encoding", ["pem", "der"])
def test_the_simulator_decrypts_the_initiator_password_from_a_pem_or_der_certificate(
    simulator_keys: KeyPair, encoding: str
) -> None:
    cert = simulator_keys.pem if encoding == "pem" else simulator_keys.der
    credential = security_credential(INITIATOR_PASSWORD, cert)
    assert len(credential) == 344  # 256 bytes of RSA-2048 ciphertext in base64
    assert decrypt(simulator_keys.key, credential) == INITIATOR_PASSWORD


def test_pem_with_leading_whitespace_is_still_pem(simulator_keys: KeyPair) -> None:
    credential = security_credential(INITIATOR_PASSWORD, b"\n  " + simulator_keys.pem)
    assert decrypt(simulator_keys.key, credential) == INITIATOR_PASSWORD


def test_two_credentials_of_one_password_differ_but_both_decrypt(
    simulator_keys: KeyPair,
) -> None:
    first = security_credential(INITIATOR_PASSWORD, simulator_keys.pem)
    second = security_credential(INITIATOR_PASSWORD, simulator_keys.pem)
    assert first != second  # PKCS#1 v1.5 padding is random
    assert decrypt(simulator_keys.key, first) == decrypt(simulator_keys.key, second)


def test_the_bare_password_is_encrypted_with_nothing_appended(simulator_keys: KeyPair) -> None:
    credential = security_credential("abc", simulator_keys.der)
    assert decrypt(simulator_keys.key, credential) == "abc"


def test_an_expired_certificate_is_used_like_safaricoms_own_expired_ones() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    expired = make_cert(key, datetime(2016, 11, 11, tzinfo=UTC))
    pem = expired.public_bytes(serialization.Encoding.PEM)
    assert decrypt(key, security_credential(INITIATOR_PASSWORD, pem)) == INITIATOR_PASSWORD


def test_a_certificate_without_an_rsa_key_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = make_cert(key, datetime(2036, 1, 1, tzinfo=UTC)).public_bytes(serialization.Encoding.PEM)
    with pytest.raises(NotAnRsaCertificate):
        security_credential(INITIATOR_PASSWORD, pem)


def test_stk_password_matches_the_official_sample() -> None:
    assert stk_password("174379", SANDBOX_PASSKEY, "20210628092408") == SAMPLE_PASSWORD


def test_timestamp_is_nairobi_wall_clock_time() -> None:
    # 06:24:08 UTC is 09:24:08 in Nairobi: the sample's Timestamp.
    assert daraja_timestamp(datetime(2021, 6, 28, 6, 24, 8, tzinfo=UTC)) == "20210628092408"


def test_timestamp_crosses_midnight_into_the_nairobi_date() -> None:
    assert daraja_timestamp(datetime(2025, 12, 31, 22, 30, tzinfo=UTC)) == "20260101013000"


def test_timestamp_of_another_zone_is_converted_to_nairobi() -> None:
    lagos = timezone(timedelta(hours=1))
    assert daraja_timestamp(datetime(2021, 6, 28, 7, 24, 8, tzinfo=lagos)) == "20210628092408"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(NaiveDatetime):
        daraja_timestamp(datetime(2021, 6, 28, 9, 24, 8))  # noqa: DTZ001 (the point of the test)
