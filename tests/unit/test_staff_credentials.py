"""Staff passwords (scrypt) and TOTP codes: what is stored, what verifies, what never does."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import pytest

from app.console.charts import bar_chart
from app.staff.credentials import (
    SCRYPT_N,
    WeakPassword,
    _accepted_step,
    hash_password,
    verify_password,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 3, 2, 7, 0, 10, tzinfo=UTC)


def test_a_password_is_stored_as_a_salted_scrypt_hash() -> None:
    stored = hash_password("correct horse battery")
    scheme, n, r, p, _salt, _digest = stored.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", SCRYPT_N, 8, 1)
    assert "correct horse" not in stored
    assert stored != hash_password("correct horse battery")  # a new salt each time
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "scrypt$16384$8$1$AAAA",
        "bcrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
        "scrypt$1048576$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "=",  # too costly
        "scrypt$x$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "=",
        "scrypt$16384$8$1$!!$" + "A" * 43 + "=",
    ],
)
def test_a_malformed_stored_hash_never_verifies_and_never_raises(stored: str) -> None:
    assert verify_password("correct horse battery", stored) is False


@pytest.mark.parametrize("password", ["short", "x" * 201])
def test_a_new_password_is_12_to_200_characters(password: str) -> None:
    with pytest.raises(WeakPassword):
        hash_password(password)


def test_a_code_of_this_step_or_a_neighbour_is_accepted_once() -> None:
    totp = pyotp.TOTP(SECRET)
    step = int(NOW.timestamp()) // 30
    assert _accepted_step(SECRET, None, totp.at(NOW), NOW) == step
    assert _accepted_step(SECRET, None, totp.at(step * 30 - 30), NOW) == step - 1
    assert _accepted_step(SECRET, None, totp.at(step * 30 + 30), NOW) == step + 1
    assert _accepted_step(SECRET, None, totp.at(step * 30 - 60), NOW) is None
    assert _accepted_step(SECRET, step, totp.at(NOW), NOW) is None  # already used
    assert _accepted_step(SECRET, None, "12345", NOW) is None
    assert _accepted_step(None, None, totp.at(NOW), NOW) is None


def test_chart_text_is_escaped() -> None:
    drawn = str(bar_chart("<b>title</b>", [("<script>", 5)], str))
    assert "<script>" not in drawn
    assert "&lt;script&gt;" in drawn
    assert drawn.count("<rect") == 1
