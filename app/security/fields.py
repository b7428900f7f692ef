"""Field encryption at rest with key rotation, and a blind index to look encrypted fields up.

National IDs and phone numbers are stored as Fernet tokens (AES-128-CBC + HMAC-SHA256) and
found through a keyed hash of their normalised value, so the database never holds them in
clear and a stolen copy cannot be searched. Invariants:

- the newest key encrypts, every configured key decrypts; a key is dropped only after
  ``rotate`` has re-encrypted every token made under it;
- a blind index is HMAC-SHA256 over ``kind:value`` with a key of at least 32 bytes, so equal
  values of different kinds (an ID and a phone number) never share a digest;
- the same file holds the PIN pepper keys (``app.security.pepper_keys``, ``app.security.pins``),
  so they too live outside the database, newest first;
- no error message or log line contains a token, a plaintext or a key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.security.pepper_keys import (
    PEPPER_KEYS_FIELD,
    InvalidPepperKeys,
    pepper_keys_from,
    pepper_keys_json,
    with_new_pepper_key,
)
from app.security.pins import PepperKey, PinHasher

MIN_BLIND_INDEX_KEY_BYTES = 32
BLIND_INDEX_KEY_BYTES = 32
# Old keys are kept only until their tokens are rotated; many keys means a rotation was
# never finished, and every failed decryption tries each key.
MAX_ENCRYPTION_KEYS = 8
KEYS_FILE_MODE = 0o600
_INDEX_KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")
_UNDECRYPTABLE = "the field does not decrypt under any configured key"


class UndecryptableField(ValueError):
    """A token no configured key decrypts (tampered, truncated, or made under a dropped key)."""


class InvalidFieldKey(ValueError):
    """A field-encryption key that is not a Fernet key, or no key at all."""


class BlindIndexKeyTooShort(ValueError):
    """A blind-index key shorter than 32 bytes."""


class InvalidIndexKind(ValueError):
    """A blind-index kind that could run into its value (it must be a lower-case name)."""


class InvalidFieldKeysFile(ValueError):
    """A keys file that is not the expected JSON shape."""


class TooManyEncryptionKeys(ValueError):
    """Adding a key would keep more than ``MAX_ENCRYPTION_KEYS``: finish a rotation first."""


class FieldCipher:
    """Encrypts with ``keys[0]``; decrypts with any of ``keys`` (newest first)."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise InvalidFieldKey("at least one field-encryption key is needed")
        fernets = [_fernet(key) for key in keys]
        self._newest = fernets[0]
        self._all = MultiFernet(fernets)

    def encrypt(self, plaintext: str) -> str:
        return self._all.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode()).decode()
        except (InvalidToken, UnicodeError):
            raise UndecryptableField(_UNDECRYPTABLE) from None

    def rotate(self, token: str) -> str:
        """The same plaintext, re-encrypted under the newest key (keeps the original timestamp)."""
        try:
            return self._all.rotate(token.encode()).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise UndecryptableField(_UNDECRYPTABLE) from None

    def needs_rotation(self, token: str) -> bool:
        """True when the token was not made under the newest key."""
        try:
            self._newest.decrypt(token.encode())
        except (InvalidToken, UnicodeError):
            return True
        return False


class BlindIndex:
    """A keyed, deterministic digest of a normalised value, for equality lookups."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_BLIND_INDEX_KEY_BYTES:
            raise BlindIndexKeyTooShort(
                f"a blind-index key is at least {MIN_BLIND_INDEX_KEY_BYTES} bytes"
            )
        self._key = key

    def digest(self, kind: str, normalised_value: str) -> str:
        # The kind cannot contain ":", so "kind:value" splits one way only.
        if not _INDEX_KIND.fullmatch(kind):
            raise InvalidIndexKind("a blind-index kind is a lower-case name like 'national_id'")
        message = f"{kind}:{normalised_value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class FieldKeys:
    encryption_keys: list[bytes]
    """Fernet keys, newest (the one that encrypts) first."""
    blind_index_key: bytes
    """Raw key bytes (url-safe base64 in the file)."""
    pin_pepper_keys: list[PepperKey] = field(default_factory=list)
    """HMAC keys for PIN hashes, newest (the one that peppers) first; empty in a file made
    before peppers (``app.security.pepper_keys``)."""


def load_field_keys(path: Path) -> FieldKeys:
    """Read ``{"encryption_keys": [...], "blind_index_key": "...", "pin_pepper_keys": [...]}``
    and check every key."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeError, json.JSONDecodeError):
        raise InvalidFieldKeysFile(f"{path}: not a JSON keys file") from None
    return _field_keys_from(document, path)


@dataclass(frozen=True)
class FieldCrypto:
    """The field keys ready to use: decrypting and encrypting, the blind index, PIN hashing."""

    cipher: FieldCipher
    blind_index: BlindIndex
    pins: PinHasher
    """Refuses every PIN (PinPepperMissing) while the file holds no pepper key."""


def load_field_crypto(path: Path) -> FieldCrypto:
    keys = load_field_keys(path)
    return FieldCrypto(
        FieldCipher(keys.encryption_keys),
        BlindIndex(keys.blind_index_key),
        PinHasher(keys.pin_pepper_keys),
    )


def generate_field_keys_file(path: Path) -> None:
    """Write a new keys file (mode 0600); an existing file is never overwritten."""
    keys = FieldKeys(
        encryption_keys=[Fernet.generate_key()],
        blind_index_key=os.urandom(BLIND_INDEX_KEY_BYTES),
        pin_pepper_keys=with_new_pepper_key([]),
    )
    # O_EXCL refuses an existing file; the mode is set at creation, so the keys are never
    # readable by others, not even for a moment.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEYS_FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(_keys_json(keys))


def add_encryption_key(path: Path) -> FieldKeys:
    """Put a new Fernet key first (it encrypts from now on), keeping the old ones to decrypt.

    The file is replaced atomically, so a crash leaves either the old or the new keys.
    """
    keys = load_field_keys(path)
    if len(keys.encryption_keys) >= MAX_ENCRYPTION_KEYS:
        raise TooManyEncryptionKeys(
            f"{path} already holds {len(keys.encryption_keys)} keys: rotate the stored fields"
            " and remove the oldest keys first"
        )
    rotated = FieldKeys(
        [Fernet.generate_key(), *keys.encryption_keys], keys.blind_index_key, keys.pin_pepper_keys
    )
    _replace_atomically(path, _keys_json(rotated))
    return rotated


def add_pin_pepper_key(path: Path) -> FieldKeys:
    """Put a new PIN pepper key first (it peppers new hashes from now on; the old ones still
    verify), leaving every other key as it was: gives a file made before peppers its first
    one. Replaced atomically, like ``add_encryption_key``."""
    keys = load_field_keys(path)
    peppered = FieldKeys(
        keys.encryption_keys, keys.blind_index_key, with_new_pepper_key(keys.pin_pepper_keys)
    )
    _replace_atomically(path, _keys_json(peppered))
    return peppered


def _fernet(key: bytes) -> Fernet:
    try:
        return Fernet(key)
    except (ValueError, binascii.Error):
        raise InvalidFieldKey("a field key is 32 url-safe base64-encoded bytes") from None


def _field_keys_from(document: object, path: Path) -> FieldKeys:
    if not isinstance(document, dict):
        raise InvalidFieldKeysFile(f"{path}: expected a JSON object")
    encryption_keys = document.get("encryption_keys")
    blind_index_key = document.get("blind_index_key")
    if not (
        isinstance(encryption_keys, list)
        and encryption_keys
        and all(isinstance(key, str) for key in encryption_keys)
    ):
        raise InvalidFieldKeysFile(f"{path}: encryption_keys must be a non-empty list of strings")
    if not isinstance(blind_index_key, str):
        raise InvalidFieldKeysFile(f"{path}: blind_index_key must be a string")
    try:
        pin_pepper_keys = pepper_keys_from(document)
    except InvalidPepperKeys as exc:
        raise InvalidFieldKeysFile(f"{path}: {exc}") from None
    keys = FieldKeys(
        encryption_keys=[key.encode("ascii", "replace") for key in encryption_keys],
        blind_index_key=_decode_blind_index_key(blind_index_key, path),
        pin_pepper_keys=pin_pepper_keys,
    )
    for key in keys.encryption_keys:
        _fernet(key)
    BlindIndex(keys.blind_index_key)
    return keys


def _decode_blind_index_key(encoded: str, path: Path) -> bytes:
    try:
        return base64.urlsafe_b64decode(encoded.encode("ascii"))
    except (UnicodeError, binascii.Error):
        raise InvalidFieldKeysFile(f"{path}: blind_index_key must be url-safe base64") from None


def _keys_json(keys: FieldKeys) -> str:
    document = {
        "encryption_keys": [key.decode("ascii") for key in keys.encryption_keys],
        "blind_index_key": base64.urlsafe_b64encode(keys.blind_index_key).decode("ascii"),
        PEPPER_KEYS_FIELD: pepper_keys_json(keys.pin_pepper_keys),
    }
    return json.dumps(document, indent=2) + "\n"


def _replace_atomically(path: Path, text: str) -> None:
    # mkstemp creates the file with mode 0600 in the same directory, so os.replace is atomic.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
