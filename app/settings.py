"""All configuration, from ``MKOPO_*`` environment variables or a ``.env`` file.

Defaults give the embedded setup: SQLite and keys under ``var/``, a local broker, the
M-Pesa and Airtel simulators. Production overrides them (see README, "Settings").
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MKOPO_", env_file=".env", extra="ignore")

    environment: str = Field("development", description="development, test or production")
    database_url: str = Field(
        f"sqlite:///{VAR_DIR}/mkopo.sqlite3",
        description="SQLAlchemy URL: sqlite:///... or postgresql+psycopg://...",
    )
    database_pool_size: int = Field(10, ge=1, le=200)
    database_max_overflow: int = Field(
        5, ge=0, le=200, description="Connections opened beyond the pool under a burst"
    )
    database_pool_timeout_s: float = Field(
        5.0,
        gt=0,
        le=60,
        description="Longest wait for a pooled connection before answering 503 (PostgreSQL)",
    )
    sqlite_busy_timeout_ms: int = Field(10_000, ge=0, le=600_000)
    broker_url: str = Field(
        f"sqla+sqlite:///{VAR_DIR}/celery-broker.sqlite3",
        description="Celery broker: redis://, amqp:// or the local sqla+sqlite",
    )
    task_queue: str = Field(
        "celery",
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="The Celery queue of this deployment; deployments sharing a broker "
        "each need their own",
    )
    ledger_signing_key_path: Path = Field(
        VAR_DIR / "keys" / "ledger-ed25519.pem",
        description="Ed25519 private key (PEM) that signs seals",
    )
    ledger_verify_key_paths: list[Path] = Field(
        default_factory=list,
        description="Extra Ed25519 public keys (PEM) trusted by verify, e.g. retired keys",
    )
    field_keys_path: Path = Field(
        VAR_DIR / "keys" / "field-keys.json",
        description="Fernet keys for IDs and phones at rest, and the "
        "blind-index key (mkopo keys generate)",
    )
    ledger_seal_interval_s: float = Field(5.0, gt=0, le=3600)
    callbacks_interval_s: float = Field(
        5.0, gt=0, le=3600, description="How often the worker processes stored callbacks"
    )
    payout_sweep_interval_s: float = Field(60.0, gt=0, le=3600)
    payout_result_grace_s: float = Field(
        120.0, gt=0, le=86_400, description="Wait this long for a result before asking"
    )
    stk_sweep_interval_s: float = Field(30.0, gt=0, le=3600)
    stk_query_after_s: float = Field(
        30.0, gt=0, le=3600, description="Ask about an STK prompt this long after it went"
    )
    crb_outbox: Path = Field(
        VAR_DIR / "crb" / "outbox",
        description="Where the scheduled bureau export writes its files (one folder per bureau)",
    )
    crb_bureau_dir: Path = Field(
        VAR_DIR / "crb" / "bureaus",
        description="The bureaus' drop folders: <dir>/<bureau>/inbox and /acknowledgements",
    )
    crb_simulated_bureaus: bool = Field(
        True, description="Let the simulated bureaus answer each delivery at once (no network)"
    )
    schedule_grace_s: float = Field(
        60.0,
        gt=0,
        le=86_400,
        description="A periodic task is overdue after 3 intervals plus this (docs/operations.md)",
    )
    log_level: str = Field("INFO")
    log_json: bool = Field(True, description="JSON logs (false: human-readable console)")
    host: str = Field("127.0.0.1")
    port: int = Field(8000, ge=1, le=65535)
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Request bodies above are refused")

    payment_provider: Literal["memory", "daraja"] = Field(
        "daraja",
        description="daraja: M-Pesa's API at mpesa_base_url (by default the local simulator, "
        "mkopo simulator); memory: an in-process provider for tests",
    )
    group_register: Literal["simulator"] = Field(
        "simulator",
        description="Where group registration numbers (MSEA / Social Services) are checked: "
        "only the embedded simulator so far (integrations/registers)",
    )
    mpesa_base_url: str = Field("http://127.0.0.1:8100")
    mpesa_consumer_key: SecretStr = Field(SecretStr("mkopo-sim-key"))
    mpesa_consumer_secret: SecretStr = Field(SecretStr("mkopo-sim-secret"))
    mpesa_shortcode: str = Field("600000")
    mpesa_passkey: SecretStr = Field(SecretStr("mkopo-sim-passkey"))
    mpesa_initiator_name: str = Field("mkopo-api")
    mpesa_initiator_password: SecretStr = Field(SecretStr("Mkopo#Sim2026"))
    mpesa_cert_path: Path = Field(VAR_DIR / "keys" / "mpesa-sim-cert.pem")
    mpesa_token_path: Path = Field(
        VAR_DIR / "daraja-token.json", description="Where processes share the Daraja OAuth token"
    )
    mpesa_callback_base_url: str = Field("http://127.0.0.1:8000")
    mpesa_callback_token: SecretStr = Field(SecretStr("dev-callback-token-change-me"))
    mpesa_callback_path_prefix: str = Field(
        "/callbacks/mpesa",
        pattern=r"^(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$",
        description="Path of our M-Pesa callbacks before /{token}/{kind}; Safaricom refuses "
        "C2B URLs containing 'mpesa', so production sets another, e.g. /hooks/mm",
    )
    mpesa_callback_allowed_ips: list[str] = Field(
        default_factory=list, description="Source IPs allowed to call back; empty = any"
    )
    mpesa_callback_ip_enforce: bool = Field(
        False, description="Refuse unlisted IPs (false: only log them)"
    )
    airtel_base_url: str = Field(
        "http://127.0.0.1:8200",
        description="Airtel Money's Open API (https://openapi.airtel.africa live, "
        "https://openapiuat.airtel.africa test); by default the local simulator, "
        "mkopo simulator --provider airtel",
    )
    airtel_client_id: SecretStr = Field(SecretStr("airtel-sim-client"))
    airtel_client_secret: SecretStr = Field(SecretStr("airtel-sim-secret"))
    airtel_pin: SecretStr = Field(
        SecretStr("1234"), description="The disbursement PIN (sent only RSA-encrypted)"
    )
    airtel_public_key_path: Path = Field(
        VAR_DIR / "airtel-sim-public-key.txt",
        description="Airtel's RSA public key (PEM or bare base64 DER); the simulator writes "
        "its own there on first start",
    )
    airtel_callback_token: SecretStr = Field(
        SecretStr("airtel-sim-callback"),
        description="The secret path segment of /callbacks/airtel/{token}/{kind}",
    )
    airtel_callback_secret: SecretStr | None = Field(
        None, description="Callback authentication: each callback's hash is checked when set"
    )
    airtel_country: str = Field("KE", pattern=r"^[A-Z]{2}$")
    airtel_currency: str = Field("KES", pattern=r"^[A-Z]{3}$")
    airtel_rsa_padding: Literal["pkcs1v15", "oaep-sha1", "oaep-sha256"] = Field(
        "pkcs1v15", description="RSA padding of the PIN (sources conflict: docs/airtel.md)"
    )
    airtel_sign_collections: bool = Field(
        False, description="Send collections as v2 with x-signature / x-key"
    )
    airtel_verify_callback_hash: bool = Field(
        True, description="Check a callback's hash when a callback secret is set"
    )
    airtel_token_path: Path = Field(
        VAR_DIR / "airtel-token.json", description="Where processes share the Airtel token"
    )
    simulator_allow_local_callbacks: bool = Field(
        True,
        description="mkopo simulator: accept local C2B URLs (http, loopback or private hosts) "
        "that Safaricom would refuse",
    )

    console_enabled: bool = Field(
        True, description="Serve the staff console at /console (false: API only, /console is 404)"
    )
    console_cookie_secure: bool = Field(
        True,
        description="Mark the console's cookies Secure (HTTPS only); false only for local http",
    )
    console_idle_timeout_s: int = Field(
        900, ge=60, le=86_400, description="A console session ends after this long unused"
    )
    console_session_lifetime_s: int = Field(
        28_800, ge=300, le=7 * 86_400, description="A console session ends this long after sign-in"
    )
    console_lockout_s: int = Field(
        900, ge=60, le=86_400, description="How long 5 failed console sign-ins lock a user out"
    )

    @property
    def airtel_callback_secret_value(self) -> str | None:
        """The callback secret, or None when unset or empty (no hash check)."""
        secret = self.airtel_callback_secret
        return (secret.get_secret_value() or None) if secret is not None else None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
