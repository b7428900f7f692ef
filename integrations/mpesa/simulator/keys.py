"""The simulator's RSA key and self-signed certificate (Daraja reference §5.3).

The client encrypts the initiator password with the certificate (``MKOPO_MPESA_CERT_PATH``);
the simulator decrypts it with the private key, exactly as M-Pesa checks a SecurityCredential.
The key is for a simulator only: it is written unencrypted (mode 0600) next to the certificate.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

KEY_BITS = 2048
COMMON_NAME = "sim.apicrypt.local"
VALIDITY = timedelta(days=3650)
KEY_FILE_MODE = 0o600


@dataclass(frozen=True)
class SimulatorKeys:
    private_key: rsa.RSAPrivateKey = field(repr=False)
    cert_pem: bytes

    def decrypt_credential(self, credential: str) -> str | None:
        """The password inside a SecurityCredential, or None when it is not one of ours."""
        try:
            ciphertext = base64.b64decode(credential, validate=True)
            plain = self.private_key.decrypt(ciphertext, padding.PKCS1v15())
            return plain.decode("utf-8")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None

    def key_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def generate_keys(now: datetime | None = None) -> SimulatorKeys:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)])
    start = now if now is not None else datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(days=1))
        .not_valid_after(start + VALIDITY)
        .sign(key, hashes.SHA256())
    )
    return SimulatorKeys(key, cert.public_bytes(serialization.Encoding.PEM))


def load_or_create_keys(key_path: Path, cert_path: Path) -> SimulatorKeys:
    """Load the key pair from ``key_path``/``cert_path``, or make one and write both files."""
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{key_path} does not hold an RSA private key")
        return SimulatorKeys(key, cert_path.read_bytes())
    keys = generate_keys()
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, KEY_FILE_MODE)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(keys.key_pem())
    cert_path.write_bytes(keys.cert_pem)
    return keys
