"""Staff sign-in for the console: a password (scrypt), a TOTP code (RFC 6238) and a lockout.

Passwords are stored as ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`` with n=2**14, r=8, p=1
(16 MiB per hash; about 40 ms on the development machine): unlike a 4-digit PIN, a password
has enough entropy for a slow hash alone to make a leaked table expensive to attack. The TOTP
secret is stored encrypted with the field keys (``FieldCipher``); a code is accepted within
one 30-second step either side, and never twice (``totp_last_step``).

``authenticate`` answers one ``SignInRefused`` for an unknown user, a wrong password, a
wrong or replayed code, a user without a password or factor, a disabled user and a locked
one, so the answer tells an attacker nothing. An unknown user still costs one hash. After
``LOCKOUT_FAILURES`` failures in a row the user is locked for ``lockout`` (even the right
password and code are refused then); a success resets the count.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import DomainError
from app.security.fields import FieldCipher, UndecryptableField
from app.staff.models import StaffUser

SCHEME = "scrypt"
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
MAX_SCRYPT_WORK = 2**17
"""A stored hash asking for more (n * r * p) is refused: a corrupted row cannot make one
check allocate gigabytes."""
SCRYPT_MAXMEM_BYTES = 128 * MAX_SCRYPT_WORK + 2**20
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 200
LOCKOUT_FAILURES = 5
TOTP_STEP_S = 30
TOTP_WINDOW = 1
"""Steps either side of now whose code is still accepted (clock drift, typing time)."""
REFUSED = "Wrong username, password or code"
_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "="


class SignInRefused(DomainError, code="sign_in_refused", http_status=401):
    """One answer for every reason a sign-in fails (see the module's docstring)."""


class WeakPassword(DomainError, code="weak_password", http_status=422):
    """A new password shorter than 12 or longer than 200 characters."""


class UnknownStaffUser(DomainError, code="unknown_staff_user", http_status=404): ...


def hash_password(password: str) -> str:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise WeakPassword(f"A password is {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    b64 = base64.b64encode
    return "$".join(
        (
            SCHEME,
            str(SCRYPT_N),
            str(SCRYPT_R),
            str(SCRYPT_P),
            b64(salt).decode(),
            b64(digest).decode(),
        )
    )


def verify_password(password: str, encoded: str) -> bool:
    """Constant-time; False (never an exception) for a malformed or oversized stored hash."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return False
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return False
    if min(n, r, p) < 1 or n * r * p > MAX_SCRYPT_WORK or not 16 <= len(digest) <= 64:
        return False
    try:
        candidate = _scrypt(password, salt, n, r, p, len(digest))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(candidate, digest)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    secret = password.encode("utf-8", "surrogatepass")
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=SCRYPT_MAXMEM_BYTES)


def staff_user(session: Session, username: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise UnknownStaffUser(f"No staff user {username!r}")
    return user


def set_password(session: Session, username: str, password: str) -> StaffUser:
    user = staff_user(session, username)
    user.password_hash = hash_password(password)
    user.failed_sign_ins = 0
    user.locked_until = None
    session.flush()
    return user


def enroll_totp(session: Session, cipher: FieldCipher, username: str) -> str:
    """A new TOTP secret for the user (replacing any older one); returns it in base32, to be
    shown once to the user (their authenticator app takes it, or the URI)."""
    user = staff_user(session, username)
    secret = pyotp.random_base32()
    user.totp_secret_enc = cipher.encrypt(secret)
    user.totp_last_step = None
    session.flush()
    return secret


def totp_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="Mkopo")


def current_code(session: Session, cipher: FieldCipher, username: str, now: datetime) -> str:
    """The code the user's authenticator shows now (for the demo's ``mkopo staff totp-code``)."""
    secret = _secret(cipher, staff_user(session, username))
    if secret is None:
        raise UnknownStaffUser(f"{username!r} has no second factor enrolled")
    return pyotp.TOTP(secret).at(now)


@dataclass(frozen=True, slots=True)
class SignIn:
    username: str
    password: str
    code: str


@dataclass(frozen=True, slots=True)
class Lockout:
    failures: int = LOCKOUT_FAILURES
    duration: timedelta = timedelta(minutes=15)


def authenticate(
    session: Session, cipher: FieldCipher, attempt: SignIn, now: datetime, lockout: Lockout
) -> StaffUser | None:
    """The user when every check passes; None otherwise, with the failure counted (the
    caller commits either way, then answers ``SignInRefused`` for None)."""
    user = session.scalar(
        select(StaffUser).where(StaffUser.username == attempt.username).with_for_update()
    )
    if user is None:
        verify_password(attempt.password, _DUMMY_HASH)  # the same cost as a known user
        return None
    # Without a password the dummy hash is checked (and fails): the same cost either way.
    password_ok = verify_password(attempt.password, user.password_hash or _DUMMY_HASH)
    locked = user.locked_until is not None and now < user.locked_until
    step = _accepted_step(_secret(cipher, user), user.totp_last_step, attempt.code, now)
    if locked or user.disabled_at is not None or not password_ok or step is None:
        if not locked:
            user.failed_sign_ins += 1
            if user.failed_sign_ins >= lockout.failures:
                user.locked_until = now + lockout.duration
                user.failed_sign_ins = 0
        session.flush()
        return None
    user.failed_sign_ins = 0
    user.locked_until = None
    user.totp_last_step = step
    session.flush()
    return user


def _secret(cipher: FieldCipher, user: StaffUser) -> str | None:
    if user.totp_secret_enc is None:
        return None
    try:
        return cipher.decrypt(user.totp_secret_enc)
    except UndecryptableField:
        return None


def _accepted_step(
    secret: str | None, last_step: int | None, code: str, now: datetime
) -> int | None:
    if secret is None or not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_S)
    now_step = int(now.timestamp()) // TOTP_STEP_S
    for step in range(now_step - TOTP_WINDOW, now_step + TOTP_WINDOW + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(
            totp.at(step * TOTP_STEP_S), code
        ):
            return step
    return None
