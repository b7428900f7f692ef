"""Borrower PINs (4 digits on USSD): rules for a new PIN, and hashing with a pepper and a KDF.

A PIN is stored only as ``scrypt-hmac$<pepper id>$<n>$<r>$<p>$<salt b64>$<hash b64>``: the
KDF's input is HMAC-SHA256(pepper, PIN), where the pepper is a key kept in the field keys
file (``app.security.fields``), outside the database. Ten thousand PINs are too few for any
KDF to hide, so the pepper is the defence of a leaked table: without it, no PIN can be tried
offline at all (docs/security.md has the threat model). The KDF is scrypt with n=2**11, r=8,
p=1 (2 MiB per hash), a 16-byte random salt and a 32-byte hash: it only slows guessing by
someone who holds both the table and the keys.

Measured on the development machine (2-core AMD EPYC VM, Python 3.11, OpenSSL scrypt): one
hash, HMAC included, takes 3.4 ms (median of 40 runs, 3.2 ms at best; about 7.5 ms while
other test suites loaded the machine), measured with ``.venv/bin/python -m bench.pin_kdf``.
All 10,000 PINs against one borrower's hash thus cost about 34 CPU-seconds to someone holding
the keys; to anyone else they cost nothing, because they cannot be tried at all.

Pepper keys rotate: the newest (first) key peppers new hashes, every configured key verifies.
Hashes made before peppers (``scrypt$<n>$<r>$<p>$<salt>$<hash>``, n=2**14) still verify, and
``wrap`` peppers them at rest without knowing the PIN (``mkopo keys wrap-old-pins``):
``scrypt-wrapped$<pepper id>$<n>$<r>$<p>$<dklen>$<salt>$<mac>``, where mac is
HMAC-SHA256(pepper, the old scrypt output), so a leaked table holds no hash that can be tried
without the pepper. ``needs_rehash`` says when the next successful check should store a new
hash: an unpeppered or wrapped hash, an older pepper key, or other parameters than today's.

Invariants: a PIN is never stored, logged or put in an error message; ``verify_pin`` compares
in constant time and answers False, never raises, for a malformed stored value or an unknown
pepper id; parameters read from a stored value are bounded, so a corrupted row cannot make a
check allocate gigabytes; without a pepper key nothing is hashed or checked (PinPepperMissing).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.errors import DomainError

SCHEME = "scrypt-hmac"
UNPEPPERED_SCHEME = "scrypt"
"""Hashes made before the pepper: verified, then replaced at the next successful check."""
WRAPPED_SCHEME = "scrypt-wrapped"
"""An unpeppered hash peppered at rest (``wrap``); replaced at the next successful check."""
SCRYPT_N = 2**11
SCRYPT_R = 8
SCRYPT_P = 1
HASH_BYTES = 32
SALT_BYTES = 16
PIN_DIGITS = 4
MIN_PEPPER_KEY_BYTES = 32
PEPPER_KEY_ID = re.compile(r"[a-z0-9]{1,16}")
# Parameters read back from storage may cost at most 2**18 (n * r * p): the unpeppered hashes
# (n=2**14, r=8) with room to spare, and a cap on what a corrupted row can make one check
# spend (about 0.5 s, 32 MiB).
MAX_SCRYPT_WORK = 2**18
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


class PinPepperMissing(DomainError, code="pin_pepper_missing", http_status=503):
    """The field keys file holds no PIN pepper key: no PIN is hashed or checked without one
    (``mkopo keys add-pepper``)."""


class InvalidPepperKey(ValueError):
    """A pepper key shorter than 32 bytes, or an id that is not a short lower-case name."""


@dataclass(frozen=True)
class PepperKey:
    key_id: str
    """Named in every hash it peppers; lower-case letters and digits, so never a ``$``."""
    key: bytes

    def __post_init__(self) -> None:
        if not PEPPER_KEY_ID.fullmatch(self.key_id):
            raise InvalidPepperKey("a pepper key id is 1-16 lower-case letters or digits")
        if len(self.key) < MIN_PEPPER_KEY_BYTES:
            raise InvalidPepperKey(f"a pepper key is at least {MIN_PEPPER_KEY_BYTES} bytes")


@dataclass(frozen=True)
class _ScryptHash:
    pepper_id: str | None
    """None for an unpeppered hash."""
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes
    wrapped_dklen: int | None = None
    """For a wrapped hash: the length of the scrypt output the stored MAC covers."""

    @property
    def dklen(self) -> int:
        return self.wrapped_dklen or len(self.digest)


def validate_new_pin(pin: str) -> None:
    if not _PIN.fullmatch(pin):
        raise MalformedPin(f"a PIN is exactly {PIN_DIGITS} digits")
    digits = [int(char) for char in pin]
    steps = {later - earlier for earlier, later in itertools.pairwise(digits)}
    if steps in ({0}, {1}, {-1}):
        raise GuessablePin("a PIN cannot be one digit repeated or a run like 1234 or 9876")


class PinHasher:
    """Hashes under the newest pepper key (``peppers[0]``), verifies under any of them."""

    def __init__(self, peppers: Sequence[PepperKey]) -> None:
        self._newest = peppers[0] if peppers else None
        self._by_id = {pepper.key_id: pepper.key for pepper in peppers}

    @property
    def configured(self) -> bool:
        return self._newest is not None

    def require(self) -> PepperKey:
        """The newest pepper key, or PinPepperMissing."""
        if self._newest is None:
            raise PinPepperMissing(
                "No PIN pepper key is configured (mkopo keys add-pepper); PINs cannot be checked"
            )
        return self._newest

    def hash_pin(self, pin: str) -> str:
        pepper = self.require()
        salt = os.urandom(SALT_BYTES)
        digest = _scrypt(_peppered(pepper.key, pin), salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
        fields = (SCHEME, pepper.key_id, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P))
        return _FIELD_SEPARATOR.join((*fields, _b64(salt), _b64(digest)))

    def verify_pin(self, pin: str, encoded: str) -> bool:
        self.require()
        stored = _parse(encoded)
        if stored is None:
            return False
        key = None if stored.pepper_id is None else self._by_id.get(stored.pepper_id)
        if stored.pepper_id is not None and key is None:
            return False  # made under a key that was dropped: nothing can verify it
        if key is None or stored.wrapped_dklen is not None:
            secret = pin.encode("utf-8", "surrogatepass")
        else:
            secret = _peppered(key, pin)
        try:
            candidate = _scrypt(secret, stored.salt, stored.n, stored.r, stored.p, stored.dklen)
        except (ValueError, MemoryError):
            return False
        if stored.wrapped_dklen is not None:
            assert key is not None
            candidate = hmac.new(key, candidate, hashlib.sha256).digest()
        return hmac.compare_digest(candidate, stored.digest)

    def wrap(self, encoded: str) -> str | None:
        """An unpeppered hash peppered at rest under the newest key, or None for any other
        value (already peppered, wrapped, or unreadable: left as it is)."""
        pepper = self.require()
        stored = _parse(encoded)
        if stored is None or stored.pepper_id is not None:
            return None
        mac = hmac.new(pepper.key, stored.digest, hashlib.sha256).digest()
        fields = (WRAPPED_SCHEME, pepper.key_id, str(stored.n), str(stored.r), str(stored.p))
        return _FIELD_SEPARATOR.join(
            (*fields, str(len(stored.digest)), _b64(stored.salt), _b64(mac))
        )

    def needs_rehash(self, encoded: str) -> bool:
        """True for an unpeppered or unreadable hash, one under an older pepper key, or one
        made with other parameters than today's."""
        newest = self.require()
        stored = _parse(encoded)
        if stored is None:
            return True
        current = (newest.key_id, SCRYPT_N, SCRYPT_R, SCRYPT_P, SALT_BYTES, HASH_BYTES)
        made = (stored.pepper_id, stored.n, stored.r, stored.p, len(stored.salt), stored.dklen)
        return stored.wrapped_dklen is not None or made != current


def _peppered(key: bytes, pin: str) -> bytes:
    return hmac.new(key, pin.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def _scrypt(secret: bytes, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=SCRYPT_MAXMEM_BYTES)


def _parse(encoded: str) -> _ScryptHash | None:
    parts = encoded.split(_FIELD_SEPARATOR)
    pepper_id: str | None = None
    wrapped_dklen: int | None = None
    if len(parts) == 8 and parts[0] == WRAPPED_SCHEME and PEPPER_KEY_ID.fullmatch(parts[1]):
        pepper_id = parts.pop(1)
        wrapped_dklen = _small_int(parts.pop(4))
        if wrapped_dklen is None or not 1 <= wrapped_dklen <= MAX_HASH_BYTES:
            return None
    elif len(parts) == 7 and parts[0] == SCHEME and PEPPER_KEY_ID.fullmatch(parts[1]):
        pepper_id = parts.pop(1)
    elif len(parts) != 6 or parts[0] != UNPEPPERED_SCHEME:
        return None
    _, n_text, r_text, p_text, salt_text, digest_text = parts
    n, r, p = (_small_int(text) for text in (n_text, r_text, p_text))
    salt, digest = _unb64(salt_text), _unb64(digest_text)
    if n is None or r is None or p is None or salt is None or digest is None:
        return None
    if not _parameters_bounded(n, r, p, len(salt), len(digest)):
        return None
    return _ScryptHash(pepper_id, n, r, p, salt, digest, wrapped_dklen)


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
