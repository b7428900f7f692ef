"""PIN pepper keys in the field keys file: made with the others, added to an old file without
touching its keys, rotated newest first, and refused when malformed."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from app.security.fields import (
    InvalidFieldKeysFile,
    add_encryption_key,
    add_pin_pepper_key,
    generate_field_keys_file,
    load_field_crypto,
    load_field_keys,
)
from app.security.pepper_keys import MAX_PEPPER_KEYS, TooManyPepperKeys

PIN = "4826"


def _file_before_peppers(path: Path) -> dict[str, object]:
    document: dict[str, object] = {
        "encryption_keys": [Fernet.generate_key().decode()],
        "blind_index_key": base64.urlsafe_b64encode(b"i" * 32).decode(),
    }
    path.write_text(json.dumps(document))
    return document


def test_a_new_keys_file_holds_one_pepper_key_and_hashes_pins(tmp_path: Path) -> None:
    path = tmp_path / "field-keys.json"
    generate_field_keys_file(path)
    (pepper,) = load_field_keys(path).pin_pepper_keys
    assert len(pepper.key) == 32
    pins = load_field_crypto(path).pins
    stored = pins.hash_pin(PIN)
    assert stored.startswith(f"scrypt-hmac${pepper.key_id}$")
    assert pins.verify_pin(PIN, stored)


def test_a_file_made_before_peppers_loads_but_refuses_pins_until_one_is_added(
    tmp_path: Path,
) -> None:
    path = tmp_path / "field-keys.json"
    document = _file_before_peppers(path)
    before = load_field_keys(path)
    assert not load_field_crypto(path).pins.configured

    added = add_pin_pepper_key(path)

    after = load_field_keys(path)
    assert after == added
    assert (after.encryption_keys, after.blind_index_key) == (
        before.encryption_keys,
        before.blind_index_key,
    )
    assert len(after.pin_pepper_keys) == 1
    written = json.loads(path.read_text())
    assert written["encryption_keys"] == document["encryption_keys"]
    assert written["blind_index_key"] == document["blind_index_key"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_field_crypto(path).pins.configured


def test_a_rotated_pepper_comes_first_and_the_old_one_still_verifies(tmp_path: Path) -> None:
    path = tmp_path / "field-keys.json"
    generate_field_keys_file(path)
    old_hash = load_field_crypto(path).pins.hash_pin(PIN)
    (old,) = load_field_keys(path).pin_pepper_keys

    rotated = add_pin_pepper_key(path)

    assert rotated.pin_pepper_keys[1:] == [old]
    assert rotated.pin_pepper_keys[0].key_id != old.key_id
    pins = load_field_crypto(path).pins
    assert pins.verify_pin(PIN, old_hash)
    assert pins.needs_rehash(old_hash)


def test_rotating_the_encryption_key_keeps_the_pepper_keys(tmp_path: Path) -> None:
    path = tmp_path / "field-keys.json"
    generate_field_keys_file(path)
    peppers = load_field_keys(path).pin_pepper_keys
    assert add_encryption_key(path).pin_pepper_keys == peppers
    assert load_field_keys(path).pin_pepper_keys == peppers


def test_pepper_keys_are_not_added_forever(tmp_path: Path) -> None:
    path = tmp_path / "field-keys.json"
    generate_field_keys_file(path)
    for _ in range(MAX_PEPPER_KEYS - 1):
        add_pin_pepper_key(path)
    with pytest.raises(TooManyPepperKeys):
        add_pin_pepper_key(path)


@pytest.mark.parametrize(
    "peppers",
    [
        "k",
        ["k"],
        [{"id": "k1"}],
        [{"id": "k1", "key": "not base64!"}],
        [{"id": "k1", "key": base64.urlsafe_b64encode(b"k" * 16).decode()}],
        [{"id": "K$1", "key": base64.urlsafe_b64encode(b"k" * 32).decode()}],
        [{"id": "k1", "key": base64.urlsafe_b64encode(b"k" * 32).decode()}] * 2,
    ],
    ids=["not a list", "not objects", "no key", "bad base64", "short", "bad id", "same id"],
)
def test_malformed_pepper_keys_are_refused_without_naming_a_key(
    tmp_path: Path, peppers: object
) -> None:
    path = tmp_path / "field-keys.json"
    document = _file_before_peppers(path)
    path.write_text(json.dumps({**document, "pin_pepper_keys": peppers}))
    with pytest.raises(InvalidFieldKeysFile) as refused:
        load_field_keys(path)
    assert base64.urlsafe_b64encode(b"k" * 16).decode() not in str(refused.value)
