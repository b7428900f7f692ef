"""Phone verification for registration: a one-time code by SMS, then a verification token.

``issue_code`` stores a new six-digit code for a phone (replacing any earlier one) and returns
it so the caller can send it after commit; ``check_code`` compares a guess, counting wrong
ones (five per code), and trades the right code for a single-use verification token valid 15
minutes; ``verified_phone`` and ``consume_verification`` let registration use that token once.

Invariants: a code is stored only as a keyed digest (HMAC with the blind-index key over a
random nonce and the code: six digits would fall to a brute force of a plain hash) and lives
five minutes; a code is usable once, and not after ``MAX_CODE_ATTEMPTS`` wrong guesses; the
token is stored only as SHA-256; rows untouched for a day are pruned in bounded batches.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.db.session import Sessions
from app.db.upsert import insert_for
from app.errors import DomainError
from app.mobile import errors
from app.mobile.models import MAX_CODE_ATTEMPTS, PhoneVerification
from app.mobile.tokens import token_sha256
from app.ports import Ports
from app.security.fields import BlindIndex, FieldCipher

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
VERIFICATION_TTL = timedelta(minutes=15)
PRUNE_AFTER = timedelta(days=1)
PRUNE_BATCH = 100
VERIFICATION_PREFIX = "mkv_"
_VERIFICATION_TOKEN = re.compile(r"mkv_[A-Za-z0-9_-]{43}")


def code_digest(blind_index: BlindIndex, nonce: str, code: str) -> str:
    return blind_index.digest("otp", f"{nonce}:{code}")


def code_text(code: str) -> str:
    minutes = int(CODE_TTL.total_seconds() // 60)
    return f"Your Mkopo code is {code}. It expires in {minutes} minutes. Never share it."


def issue_code(session: Session, ports: Ports, msisdn: str, now: datetime) -> str:
    """Store a new code for ``msisdn`` (flushes); returns the code, to send after commit."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    nonce = secrets.token_hex(16)
    values = {
        "phone_enc": ports.cipher.encrypt(msisdn),
        "code_nonce": nonce,
        "code_digest": code_digest(ports.blind_index, nonce, code),
        "code_expires_at": now + CODE_TTL,
        "code_attempts": 0,
        "token_sha256": None,
        "token_expires_at": None,
        "last_sent_at": now,
    }
    session.execute(
        insert_for(session, PhoneVerification)
        .values(phone_index=ports.blind_index.digest("msisdn", msisdn), **values)
        .on_conflict_do_update(index_elements=[PhoneVerification.phone_index], set_=values)
    )
    _prune(session, now)
    return code


def _prune(session: Session, now: datetime) -> None:
    stale = (
        select(PhoneVerification.id)
        .where(PhoneVerification.last_sent_at < now - PRUNE_AFTER)
        .order_by(PhoneVerification.last_sent_at)
        .limit(PRUNE_BATCH)
    )
    ids = list(session.scalars(stale))
    if ids:
        session.execute(delete(PhoneVerification).where(PhoneVerification.id.in_(ids)))


def check_code(sessions: Sessions, ports: Ports, clock: Clock, msisdn: str, code: str) -> str:
    """Trade the right code for a verification token. A wrong guess is counted and committed
    before ``WrongCode`` / ``CodeExpired`` is raised (its own use case, like a PIN check)."""
    error: DomainError | None = None
    token = VERIFICATION_PREFIX + secrets.token_urlsafe(32)
    with sessions.unit_of_work() as session:
        now = clock()
        row = session.scalar(
            select(PhoneVerification)
            .where(PhoneVerification.phone_index == ports.blind_index.digest("msisdn", msisdn))
            .with_for_update()
        )
        if (
            row is None
            or row.code_digest is None
            or row.code_expires_at is None
            or row.code_expires_at <= now
        ):
            error = errors.CodeExpired("No valid code for this number: ask for a new one")
        elif hmac.compare_digest(
            row.code_digest, code_digest(ports.blind_index, row.code_nonce, code)
        ):
            row.code_digest, row.code_expires_at = None, None
            row.token_sha256 = token_sha256(token)
            row.token_expires_at = now + VERIFICATION_TTL
        else:
            error = _count_wrong_guess(row)
    if error is not None:
        raise error
    return token


def _count_wrong_guess(row: PhoneVerification) -> DomainError:
    row.code_attempts += 1
    left = MAX_CODE_ATTEMPTS - row.code_attempts
    if left > 0:
        return errors.WrongCode(f"Wrong code: {left} {'try' if left == 1 else 'tries'} left")
    row.code_digest, row.code_expires_at = None, None
    return errors.CodeExpired("Too many wrong codes: ask for a new one")


def verified_phone(session: Session, cipher: FieldCipher, token: str, now: datetime) -> str:
    """The MSISDN a live verification token proves, or ``VerificationInvalid``."""
    row = _verification(session, token, now)
    return cipher.decrypt(row.phone_enc)


def consume_verification(session: Session, token: str, now: datetime) -> None:
    """Use the token up (in the registering transaction: a rollback gives it back)."""
    row = _verification(session, token, now, lock=True)
    session.delete(row)
    session.flush()


def _verification(
    session: Session, token: str, now: datetime, lock: bool = False
) -> PhoneVerification:
    if not _VERIFICATION_TOKEN.fullmatch(token):
        raise errors.VerificationInvalid("Verify your phone number again")
    query = select(PhoneVerification).where(
        PhoneVerification.token_sha256 == token_sha256(token),
        PhoneVerification.token_expires_at > now,
    )
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise errors.VerificationInvalid("Verify your phone number again")
    return row
