"""The fund's sealing key, read from the path in settings."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.settings import Settings
from ledger.errors import SigningKeyMissing
from ledger.signing import generate_private_pem, load_private_key, load_public_key


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    path = settings.ledger_signing_key_path
    if not path.is_file():
        raise SigningKeyMissing(f"no sealing key at {path}; run `mkopo keys generate`")
    return load_private_key(path.read_bytes())


def trusted_public_keys(settings: Settings) -> list[Ed25519PublicKey]:
    """The current key's public half plus any retired keys listed in settings."""
    keys = [load_public_key(p.read_bytes()) for p in settings.ledger_verify_key_paths]
    if settings.ledger_signing_key_path.is_file():
        keys.append(signing_key(settings).public_key())
    return keys


def write_new_key(path: Path) -> None:
    """Create a new private key file readable only by its owner; never overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:  # "x": fail rather than replace an existing key
        path.chmod(0o600)
        handle.write(generate_private_pem())
