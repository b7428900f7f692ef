"""The embedded Airtel settings agree with the Airtel simulator's defaults, so `make run`
pays Airtel borrowers through the local simulator with no configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.bootstrap import airtel_config
from app.settings import Settings
from integrations.airtel.config import RsaPadding
from integrations.airtel.simulator import setup
from integrations.airtel.simulator.keys import load_or_create_keys


def test_the_defaults_are_the_local_simulators() -> None:
    settings = Settings(_env_file=None)
    assert settings.airtel_base_url == f"http://127.0.0.1:{setup.DEFAULT_PORT}"
    simulator = setup.DEFAULTS
    assert settings.airtel_client_id.get_secret_value() == simulator["CLIENT_ID"]
    assert settings.airtel_client_secret.get_secret_value() == simulator["CLIENT_SECRET"]
    assert settings.airtel_pin.get_secret_value() == simulator["PIN"]
    assert settings.airtel_public_key_path == Path(simulator["PUBLIC_KEY_PATH"])
    assert settings.airtel_callback_token.get_secret_value() == simulator["CALLBACK_TOKEN"]
    assert settings.airtel_callback_secret_value is None  # the simulator signs nothing
    assert (settings.airtel_country, settings.airtel_currency) == ("KE", "KES")
    assert settings.airtel_rsa_padding == simulator["RSA_PADDING"]


def test_the_client_config_and_the_simulator_agree_on_every_credential(tmp_path: Path) -> None:
    key_path = tmp_path / "airtel-key.txt"
    env = {"MKOPO_AIRTEL_PUBLIC_KEY_PATH": str(key_path), "MKOPO_AIRTEL_PIN": "9876"}
    state = setup.simulator_state(env, "http://127.0.0.1:8000")
    config = airtel_config(
        Settings(_env_file=None, airtel_public_key_path=key_path, airtel_pin="9876")
    )
    assert (config.client_id, config.client_secret) == (state.client_id, state.client_secret)
    assert config.pin == state.pin == "9876"
    assert config.public_key.strip() == load_or_create_keys(key_path).public_key_text()
    assert config.rsa_padding is RsaPadding.PKCS1V15 is state.rsa_padding
    for kind, url in state.callback_urls.items():
        assert url == "http://127.0.0.1:8000" + config.callback_path(kind)


def test_an_empty_callback_secret_means_no_hash_check() -> None:
    assert Settings(_env_file=None, airtel_callback_secret="").airtel_callback_secret_value is None
    with_secret = Settings(_env_file=None, airtel_callback_secret="s3cret")
    assert with_secret.airtel_callback_secret_value == "s3cret"


@pytest.mark.parametrize(
    ("field", "value"), [("airtel_country", "Kenya"), ("airtel_currency", "kes")]
)
def test_country_and_currency_are_codes(field: str, value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, **{field: value})
