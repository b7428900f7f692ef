"""Daraja's derived secrets: the initiator's SecurityCredential, the STK Password and Timestamp.

Invariant: the SecurityCredential encrypts the bare initiator password (no timestamp appended,
unlike mpesakit) with RSA PKCS#1 v1.5 (not OAEP), and the certificate's validity dates are never
checked: Safaricom's published certificates are long expired and still in use.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa

NAIROBI = timezone(timedelta(hours=3), "EAT")
"""Daraja's clock: Kenya keeps UTC+3 all year, so a fixed offset is exact (no tzdata needed)."""
DARAJA_TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"
PEM_PREFIX = b"-----BEGIN"


class NotAnRsaCertificate(ValueError):
    """The certificate's public key is not RSA, so it cannot make a SecurityCredential."""


class NaiveDatetime(ValueError):
    """A datetime without a time zone: its Nairobi wall-clock time is unknowable."""


def load_certificate(cert_bytes: bytes) -> x509.Certificate:
    """Load a PEM or DER X.509 certificate (portal downloads come in both encodings)."""
    if cert_bytes.lstrip().startswith(PEM_PREFIX):
        return x509.load_pem_x509_certificate(cert_bytes)
    return x509.load_der_x509_certificate(cert_bytes)


def security_credential(initiator_password: str, cert_bytes: bytes) -> str:
    """base64(RSA-PKCS#1-v1.5-encrypt(password)) with the M-Pesa certificate's public key.

    Randomised padding: two calls give different strings, both valid.
    """
    public_key = load_certificate(cert_bytes).public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise NotAnRsaCertificate("the M-Pesa certificate must hold an RSA public key")
    ciphertext = public_key.encrypt(initiator_password.encode("utf-8"), padding.PKCS1v15())
    return base64.b64encode(ciphertext).decode("ascii")


def stk_password(shortcode: str, passkey: str, timestamp: str) -> str:
    """The STK push/query ``Password``: base64(shortcode + passkey + timestamp)."""
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode("ascii")


def daraja_timestamp(now: datetime) -> str:
    """``now`` as Nairobi wall-clock time ``YYYYMMDDHHmmss`` (the STK ``Timestamp``)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise NaiveDatetime("a Daraja timestamp needs an aware datetime (which zone is it in?)")
    return now.astimezone(NAIROBI).strftime(DARAJA_TIMESTAMP_FORMAT)
