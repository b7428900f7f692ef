"""The PIN pepper keys as the field keys file holds them: ``"pin_pepper_keys"``, a list of
``{"id": "...", "key": "<url-safe base64>"}``, newest (the one that peppers new hashes) first.

A file made before peppers has no such list: it still loads (the field keys work), and PIN
hashing refuses until ``add_pin_pepper_key`` (``mkopo keys add-pepper``) gives it one.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets

from app.security.pins import InvalidPepperKey, PepperKey

PEPPER_KEY_BYTES = 32
# A pepper key is dropped only when no stored hash names it (every borrower with an old hash
# signed in since, or was asked to reset their PIN); many keys means that never happened.
MAX_PEPPER_KEYS = 8
PEPPER_KEYS_FIELD = "pin_pepper_keys"


class InvalidPepperKeys(ValueError):
    """``pin_pepper_keys`` is not a list of ``{"id", "key"}`` objects with valid keys."""


class TooManyPepperKeys(ValueError):
    """Adding a pepper key would keep more than ``MAX_PEPPER_KEYS``."""


def new_pepper_key(existing: list[PepperKey]) -> PepperKey:
    """A random key under a random id no existing key has."""
    taken = {pepper.key_id for pepper in existing}
    key_id = secrets.token_hex(4)
    while key_id in taken:
        key_id = secrets.token_hex(4)
    return PepperKey(key_id, os.urandom(PEPPER_KEY_BYTES))


def with_new_pepper_key(existing: list[PepperKey]) -> list[PepperKey]:
    """A new key first (it peppers from now on), the others kept to verify."""
    if len(existing) >= MAX_PEPPER_KEYS:
        raise TooManyPepperKeys(
            f"already {len(existing)} pepper keys: drop the oldest once no hash names it"
        )
    return [new_pepper_key(existing), *existing]


def pepper_keys_from(document: dict[str, object]) -> list[PepperKey]:
    """The pepper keys of a keys file's JSON object (none when the field is absent)."""
    entries = document.get(PEPPER_KEYS_FIELD, [])
    if not isinstance(entries, list):
        raise InvalidPepperKeys(f"{PEPPER_KEYS_FIELD} must be a list")
    keys = [_pepper_key(entry) for entry in entries]
    if len({key.key_id for key in keys}) != len(keys):
        raise InvalidPepperKeys(f"{PEPPER_KEYS_FIELD}: two keys share an id")
    return keys


def pepper_keys_json(keys: list[PepperKey]) -> list[dict[str, str]]:
    return [
        {"id": key.key_id, "key": base64.urlsafe_b64encode(key.key).decode("ascii")} for key in keys
    ]


def _pepper_key(entry: object) -> PepperKey:
    if not isinstance(entry, dict):
        raise InvalidPepperKeys(f"each of {PEPPER_KEYS_FIELD} is an object with id and key")
    key_id, encoded = entry.get("id"), entry.get("key")
    if not isinstance(key_id, str) or not isinstance(encoded, str):
        raise InvalidPepperKeys(f"each of {PEPPER_KEYS_FIELD} has a string id and key")
    try:
        key = base64.urlsafe_b64decode(encoded.encode("ascii"))
    except (UnicodeError, binascii.Error):
        raise InvalidPepperKeys(f"{PEPPER_KEYS_FIELD}: a key is url-safe base64") from None
    try:
        return PepperKey(key_id, key)
    except InvalidPepperKey as exc:  # its message names lengths and formats, never the key
        raise InvalidPepperKeys(f"{PEPPER_KEYS_FIELD}: {exc}") from None
