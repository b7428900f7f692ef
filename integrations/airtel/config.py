"""What the Airtel adapter needs to know, as one frozen value built by the app from settings.

Settings (environment) -> field:

- ``MKOPO_AIRTEL_BASE_URL`` -> ``base_url`` (``https://openapiuat.airtel.africa`` test,
  ``https://openapi.airtel.africa`` live, the simulator's ``http://127.0.0.1:8200`` locally)
- ``MKOPO_AIRTEL_CLIENT_ID`` / ``MKOPO_AIRTEL_CLIENT_SECRET`` -> ``client_id`` /
  ``client_secret`` (OAuth2 client credentials)
- ``MKOPO_AIRTEL_PIN`` -> ``pin`` (the disbursement PIN, sent only RSA-encrypted)
- ``MKOPO_AIRTEL_PUBLIC_KEY_PATH`` -> ``public_key`` (the file's bytes: Airtel's RSA public
  key, PEM or the bare base64 DER the portal shows)
- ``MKOPO_AIRTEL_CALLBACK_TOKEN`` -> ``callback_token`` (the secret path segment of
  ``/callbacks/airtel/{token}/{kind}``)
- ``MKOPO_AIRTEL_CALLBACK_SECRET`` -> ``callback_secret`` (callback authentication; None: off)
- ``MKOPO_AIRTEL_COUNTRY`` (``KE``) / ``MKOPO_AIRTEL_CURRENCY`` (``KES``) -> ``country`` /
  ``currency`` (the ``X-Country`` / ``X-Currency`` headers and the body's fields)

The remaining fields settle what the sources disagree on (docs/airtel.md): the RSA padding,
whether collections use v2 message signing, and whether callback hashes are checked.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

DEFAULT_COUNTRY = "KE"
DEFAULT_CURRENCY = "KES"
CALLBACK_PATH_PREFIX = "/callbacks/airtel"
CALLBACK_KINDS: tuple[str, ...] = ("collection", "disbursement")
"""The callback URLs registered on Airtel's portal: ``{base}/callbacks/airtel/{token}/{kind}``."""


class RsaPadding(enum.StrEnum):
    """How the PIN and the signing key are RSA-encrypted (sources conflict: a setting)."""

    PKCS1V15 = "pkcs1v15"
    """121-platform, airtelmoney-py (1024-bit keys)."""
    OAEP_SHA1 = "oaep-sha1"
    OAEP_SHA256 = "oaep-sha256"
    """Newer Airtel documents are reported to ask for OAEP with 2048-bit keys."""


@dataclass(frozen=True, slots=True)
class AirtelConfig:
    base_url: str
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    pin: str = field(repr=False)
    public_key: bytes = field(repr=False)
    callback_token: str = field(repr=False)
    callback_secret: str | None = field(default=None, repr=False)
    country: str = DEFAULT_COUNTRY
    currency: str = DEFAULT_CURRENCY
    rsa_padding: RsaPadding = RsaPadding.PKCS1V15
    sign_collections: bool = False
    """Send collections to ``/merchant/v2/payments/`` with ``x-signature`` / ``x-key``."""
    verify_callback_hash: bool = True
    """Check a callback's ``hash`` when ``callback_secret`` is set (its bytes are unconfirmed)."""

    def callback_path(self, kind: str) -> str:
        """The path Airtel is told to call for ``kind`` (one of ``CALLBACK_KINDS``)."""
        if kind not in CALLBACK_KINDS:
            raise ValueError(f"unknown callback kind {kind!r}; one of {CALLBACK_KINDS}")
        return f"{CALLBACK_PATH_PREFIX}/{self.callback_token}/{kind}"
