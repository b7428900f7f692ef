"""PIN hashes as older versions of Mkopo stored them, for tests of verifying and rehashing."""

from __future__ import annotations

import base64
import hashlib


def unpeppered_pin_hash(pin: str, salt: bytes = b"s" * 16) -> str:
    """``scrypt$16384$8$1$<salt>$<hash>``: scrypt of the bare PIN, as stored before peppers."""
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    encoded = (base64.b64encode(part).decode() for part in (salt, digest))
    return "$".join(("scrypt", "16384", "8", "1", *encoded))
