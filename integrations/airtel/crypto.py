"""Airtel's two uses of its RSA public key: the encrypted disbursement PIN, and v2 message
signing (``x-signature`` = the body under AES-256-CBC with a fresh key and IV, ``x-key`` =
``base64(key):base64(iv)`` RSA-encrypted).

Invariant: the signed bytes are exactly the bytes sent as the body (so the body is serialised
once, here), and the PIN never leaves this module in clear.
Sources: 121-platform ``airtel.encryption.service.ts`` and ``message_signing.ts`` (the test
vector in the unit tests), airtelmoney-py ``encryption.py``.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as symmetric_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.padding import AsymmetricPadding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from integrations.airtel.config import RsaPadding

AES_KEY_BYTES = 32
AES_IV_BYTES = 16
AES_BLOCK_BITS = 128
_PEM = b"-----BEGIN"
_CERTIFICATE = b"-----BEGIN CERTIFICATE"


class NotAnRsaPublicKey(ValueError):
    """The configured key is not an RSA public key in any accepted form."""


def load_public_key(data: bytes) -> rsa.RSAPublicKey:
    """A PEM public key, a PEM certificate, or the bare base64 DER the Airtel portal shows."""
    stripped = data.strip()
    key: object
    try:
        if stripped.startswith(_CERTIFICATE):
            key = x509.load_pem_x509_certificate(stripped).public_key()
        elif stripped.startswith(_PEM):
            key = serialization.load_pem_public_key(stripped)
        else:
            der = base64.b64decode(b"".join(stripped.split()), validate=True)
            key = serialization.load_der_public_key(der)
    except (ValueError, binascii.Error) as exc:
        raise NotAnRsaPublicKey("the Airtel public key is not PEM or base64 DER") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise NotAnRsaPublicKey("the Airtel public key is not an RSA key")
    return key


def rsa_padding(kind: RsaPadding) -> AsymmetricPadding:
    if kind is RsaPadding.PKCS1V15:
        return padding.PKCS1v15()
    algorithm: hashes.HashAlgorithm = (
        hashes.SHA1() if kind is RsaPadding.OAEP_SHA1 else hashes.SHA256()  # noqa: S303 (OAEP's hash, Airtel's choice)
    )
    return padding.OAEP(mgf=padding.MGF1(algorithm), algorithm=algorithm, label=None)


def rsa_encrypt(public_key: rsa.RSAPublicKey, plain: bytes, kind: RsaPadding) -> str:
    """base64 of the RSA encryption (randomised padding: two calls differ, both valid)."""
    return base64.b64encode(public_key.encrypt(plain, rsa_padding(kind))).decode("ascii")


def encrypt_pin(pin: str, public_key: rsa.RSAPublicKey, kind: RsaPadding) -> str:
    return rsa_encrypt(public_key, pin.encode("utf-8"), kind)


def compact_json(payload: object) -> bytes:
    """The body as sent: compact JSON, keys in the order given (as ``JSON.stringify``)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def aes_encrypt(plain: bytes, key: bytes, iv: bytes) -> bytes:
    """AES-256-CBC with PKCS#7 padding (Java's "PKCS5Padding")."""
    padder = symmetric_padding.PKCS7(AES_BLOCK_BITS).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def aes_decrypt(ciphertext: bytes, key: bytes, iv: bytes) -> bytes:
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = symmetric_padding.PKCS7(AES_BLOCK_BITS).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


@dataclass(frozen=True, slots=True)
class SignedBody:
    body: bytes
    x_signature: str
    x_key: str = ""

    def headers(self) -> dict[str, str]:
        return {"x-signature": self.x_signature, "x-key": self.x_key}


def signature(body: bytes, key: bytes, iv: bytes) -> str:
    return base64.b64encode(aes_encrypt(body, key, iv)).decode("ascii")


def sign_body(
    body: bytes,
    public_key: rsa.RSAPublicKey,
    kind: RsaPadding,
    key: bytes | None = None,
    iv: bytes | None = None,
) -> SignedBody:
    """``body`` with its ``x-signature`` and ``x-key`` (a fresh AES key and IV per request)."""
    key = key if key is not None else secrets.token_bytes(AES_KEY_BYTES)
    iv = iv if iv is not None else secrets.token_bytes(AES_IV_BYTES)
    key_and_iv = f"{base64.b64encode(key).decode()}:{base64.b64encode(iv).decode()}"
    return SignedBody(
        body, signature(body, key, iv), rsa_encrypt(public_key, key_and_iv.encode(), kind)
    )
