"""Field encryption at rest: round trips, key rotation, blind indexes and the keys file."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from app.security.fields import (
    BlindIndex,
    BlindIndexKeyTooShort,
    FieldCipher,
    InvalidFieldKey,
    InvalidFieldKeysFile,
    InvalidIndexKind,
    TooManyEncryptionKeys,
    UndecryptableField,
    add_encryption_key,
    generate_field_keys_file,
    load_field_keys,
)

NATIONAL_ID = "23456780"
MSISDN = "254712345678"
INDEX_KEY = bytes(range(32))


def test_a_national_id_encrypts_to_a_token_and_back() -> None:
    cipher = FieldCipher([Fernet.generate_key()])
    token = cipher.encrypt(NATIONAL_ID)
    assert NATIONAL_ID not in token
    assert cipher.decrypt(token) == NATIONAL_ID


def test_the_same_value_encrypts_differently_each_time() -> None:
    cipher = FieldCipher([Fernet.generate_key()])
    assert cipher.encrypt(MSISDN) != cipher.encrypt(MSISDN)


def test_a_token_made_under_the_old_key_decrypts_after_a_new_key_is_added() -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    old_token = FieldCipher([old_key]).encrypt(NATIONAL_ID)
    assert FieldCipher([new_key, old_key]).decrypt(old_token) == NATIONAL_ID


def test_rotation_re_encrypts_under_the_new_key_so_the_old_key_can_be_dropped() -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    old_token = FieldCipher([old_key]).encrypt(NATIONAL_ID)
    both = FieldCipher([new_key, old_key])
    assert both.needs_rotation(old_token)

    rotated = both.rotate(old_token)

    assert not both.needs_rotation(rotated)
    new_only = FieldCipher([new_key])
    assert new_only.decrypt(rotated) == NATIONAL_ID
    with pytest.raises(UndecryptableField):
        new_only.decrypt(old_token)


def test_a_tampered_token_is_undecryptable_and_the_error_names_neither_token_nor_value() -> None:
    cipher = FieldCipher([Fernet.generate_key()])
    token = cipher.encrypt(NATIONAL_ID)
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    with pytest.raises(UndecryptableField) as refused:
        cipher.decrypt(tampered)
    assert tampered not in str(refused.value)
    assert NATIONAL_ID not in str(refused.value)


@pytest.mark.parametrize("token", ["", "not a token", "é"])
def test_garbage_is_undecryptable_too(token: str) -> None:
    cipher = FieldCipher([Fernet.generate_key()])
    with pytest.raises(UndecryptableField):
        cipher.decrypt(token)
    with pytest.raises(UndecryptableField):
        cipher.rotate(token)


@pytest.mark.parametrize("keys", [[], [b"short"], [base64.urlsafe_b64encode(b"x" * 16)]])
def test_a_cipher_needs_real_fernet_keys(keys: list[bytes]) -> None:
    with pytest.raises(InvalidFieldKey):
        FieldCipher(keys)


def test_a_blind_index_is_stable_for_the_same_value() -> None:
    first, second = BlindIndex(INDEX_KEY), BlindIndex(INDEX_KEY)
    assert first.digest("national_id", NATIONAL_ID) == second.digest("national_id", NATIONAL_ID)
    assert len(first.digest("national_id", NATIONAL_ID)) == 64


def test_equal_values_of_different_kinds_never_share_a_digest() -> None:
    index = BlindIndex(INDEX_KEY)
    assert index.digest("national_id", "254712") != index.digest("msisdn", "254712")


def test_a_blind_index_depends_on_its_key() -> None:
    other_key = bytes(range(1, 33))
    assert BlindIndex(INDEX_KEY).digest("msisdn", MSISDN) != BlindIndex(other_key).digest(
        "msisdn", MSISDN
    )


def test_a_blind_index_key_shorter_than_32_bytes_is_refused() -> None:
    with pytest.raises(BlindIndexKeyTooShort):
        BlindIndex(b"x" * 31)


@pytest.mark.parametrize("kind", ["", "national_id:x", "National_ID", "msisdn "])
def test_a_kind_that_could_run_into_its_value_is_refused(kind: str) -> None:
    with pytest.raises(InvalidIndexKind):
        BlindIndex(INDEX_KEY).digest(kind, MSISDN)


def test_a_new_keys_file_is_private_and_loads_into_working_keys(tmp_path: Path) -> None:
    path = tmp_path / "field-keys.json"
    generate_field_keys_file(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = load_field_keys(path)
    assert len(keys.encryption_keys) == 1
    assert len(keys.blind_index_key) >= 32
    cipher = FieldCipher(keys.encryption_keys)
    assert cipher.decrypt(cipher.encrypt(MSISDN)) == MSISDN


def test_an_existing_keys_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "field-keys.json"
    generate_field_keys_file(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        generate_field_keys_file(path)
    assert path.read_bytes() == before


def test_adding_a_key_puts_it_first_and_keeps_the_old_ones(tmp_path: Path) -> None:
    path = tmp_path / "field-keys.json"
    generate_field_keys_file(path)
    original = load_field_keys(path)
    old_token = FieldCipher(original.encryption_keys).encrypt(NATIONAL_ID)

    rotated = add_encryption_key(path)

    assert load_field_keys(path) == rotated
    assert rotated.encryption_keys[1:] == original.encryption_keys
    assert rotated.blind_index_key == original.blind_index_key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cipher = FieldCipher(rotated.encryption_keys)
    assert cipher.decrypt(old_token) == NATIONAL_ID
    assert cipher.needs_rotation(old_token)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_keys_are_not_added_forever(tmp_path: Path) -> None:
    path = tmp_path / "field-keys.json"
    generate_field_keys_file(path)
    for _ in range(7):
        add_encryption_key(path)
    with pytest.raises(TooManyEncryptionKeys):
        add_encryption_key(path)
    assert len(load_field_keys(path).encryption_keys) == 8


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        json.dumps({"encryption_keys": [], "blind_index_key": "x"}),
        json.dumps({"encryption_keys": [Fernet.generate_key().decode()]}),
        json.dumps(
            {
                "encryption_keys": [Fernet.generate_key().decode()],
                "blind_index_key": base64.urlsafe_b64encode(b"k" * 16).decode(),
            }
        ),
        json.dumps({"encryption_keys": ["nope"], "blind_index_key": "x" * 44}),
    ],
    ids=["not json", "a list", "no keys", "no index key", "short index key", "bad fernet key"],
)
def test_a_malformed_keys_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "field-keys.json"
    path.write_text(content)
    with pytest.raises((InvalidFieldKeysFile, InvalidFieldKey, BlindIndexKeyTooShort)):
        load_field_keys(path)
