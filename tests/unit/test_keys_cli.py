"""``mkopo keys``: ``generate --if-missing`` gives a field keys file made before peppers a PIN
pepper key without touching its other keys; ``add-pepper`` rotates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.security.fields import generate_field_keys_file, load_field_keys
from app.security.pepper_keys import PEPPER_KEYS_FIELD
from app.settings import get_settings


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "field-keys.json"
    monkeypatch.setenv("MKOPO_FIELD_KEYS_PATH", str(path))
    monkeypatch.setenv("MKOPO_LEDGER_SIGNING_KEY_PATH", str(tmp_path / "seal.pem"))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_generate_if_missing_adds_a_pepper_to_an_old_file_and_keeps_its_keys(keys: Path) -> None:
    generate_field_keys_file(keys)
    document = json.loads(keys.read_text())
    del document[PEPPER_KEYS_FIELD]
    keys.write_text(json.dumps(document))

    result = CliRunner().invoke(app, ["keys", "generate", "--if-missing"])

    assert result.exit_code == 0, result.output
    assert f"PIN pepper key added to {keys}" in result.output
    written = json.loads(keys.read_text())
    assert len(written.pop(PEPPER_KEYS_FIELD)) == 1
    assert written == document
    again = CliRunner().invoke(app, ["keys", "generate", "--if-missing"])
    assert "PIN pepper key added" not in again.output
    assert len(load_field_keys(keys).pin_pepper_keys) == 1


def test_add_pepper_puts_a_new_key_first(keys: Path) -> None:
    generate_field_keys_file(keys)
    (old,) = load_field_keys(keys).pin_pepper_keys
    result = CliRunner().invoke(app, ["keys", "add-pepper"])
    assert result.exit_code == 0, result.output
    new, kept = load_field_keys(keys).pin_pepper_keys
    assert kept == old
    assert f"newest first: {new.key_id}, {old.key_id}" in result.output
    assert new.key.hex() not in result.output


def test_add_pepper_without_a_keys_file_exits_1_with_one_line(keys: Path) -> None:
    result = CliRunner().invoke(app, ["keys", "add-pepper"])
    assert result.exit_code == 1
    assert "no pepper key added" in result.output


def test_generate_if_missing_leaves_a_broken_keys_file_alone_and_says_so(keys: Path) -> None:
    keys.write_text("not json")
    result = CliRunner().invoke(app, ["keys", "generate", "--if-missing"])
    assert result.exit_code == 0, result.output
    assert "no pepper key added" in result.output
    assert keys.read_text() == "not json"
