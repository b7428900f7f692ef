"""The simulator's RSA key pair, and the private-key side of Airtel's crypto: the PIN and the
v2 signature are checked exactly as Airtel would, by decrypting them.

The public key is written as Airtel's portal shows it (bare base64 DER) at
``MKOPO_AIRTEL_PUBLIC_KEY_PATH``; the private key beside it (``.key``, mode 0600, unencrypted:
a simulator's key only).
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations.airtel.config import RsaPadding
from integrations.airtel.crypto import aes_decrypt, rsa_padding

KEY_BITS = 2048
KEY_FILE_MODE = 0o600


@dataclass(frozen=True)
class AirtelKeys:
    private_key: rsa.RSAPrivateKey = field(repr=False)

    def public_key_text(self) -> bytes:
        """The public key as bare base64 DER (SubjectPublicKeyInfo), as the portal gives it."""
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der)

    def decrypt(self, encrypted: str, kind: RsaPadding) -> bytes | None:
        """The plaintext of base64 RSA ``encrypted``, or None when it is not ours."""
        try:
            ciphertext = base64.b64decode(encrypted, validate=True)
            return self.private_key.decrypt(ciphertext, rsa_padding(kind))
        except (ValueError, binascii.Error):
            return None

    def signed_body(self, x_signature: str, x_key: str, kind: RsaPadding) -> bytes | None:
        """The body an ``x-signature`` / ``x-key`` pair signs, or None when they do not open."""
        key_and_iv = self.decrypt(x_key, kind)
        if key_and_iv is None:
            return None
        try:
            key_b64, _, iv_b64 = key_and_iv.decode("ascii").partition(":")
            key = base64.b64decode(key_b64, validate=True)
            iv = base64.b64decode(iv_b64, validate=True)
            return aes_decrypt(base64.b64decode(x_signature, validate=True), key, iv)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None


def generate_keys() -> AirtelKeys:
    return AirtelKeys(rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS))


def load_or_create_keys(public_key_path: Path) -> AirtelKeys:
    """Load the pair (private key at ``<path>.key``), or make one and write both files."""
    key_path = public_key_path.with_name(public_key_path.name + ".key")
    if key_path.exists() and public_key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{key_path} does not hold an RSA private key")
        return AirtelKeys(key)
    keys = generate_keys()
    key_path.parent.mkdir(parents=True, exist_ok=True)
    pem = keys.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, KEY_FILE_MODE)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(pem)
    public_key_path.write_bytes(keys.public_key_text() + b"\n")
    return keys
