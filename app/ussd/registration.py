"""Registrations collected over USSD and completed by a worker.

A hop may not wait for the identity register or the network, so the last registration hop
stores a pending registration (the ID encrypted, the PIN already hashed) and hands
``ussd.complete_registration`` to the worker after commit; a sweep finds one whose task was
lost. Completing runs ``check_applicant`` (provider calls) outside any transaction, then
``opt_in`` in one. The caller hears the outcome by SMS: the welcome goes through the outbox
(``opt_in`` queues it); a refusal is sent straight to the phone, since there is no borrower
row to queue it against, and recorded as sent (at least once: a crash in between re-sends).

Invariants: at most one pending registration per phone (a partial unique index); a
registration is decided once (its row is locked and must still be pending); the national ID
and the PIN hash are cleared once it is decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.borrowers.models import ConsentChannel
from app.clock import Clock, business_date
from app.db.session import Sessions
from app.errors import DomainError
from app.lending.limits import LimitPolicy
from app.onboarding.service import Applicant, OptInRequest, check_applicant, opt_in
from app.ports import Ports
from app.security.fields import FieldCipher
from app.tasks import refs
from app.tasks.queue import after_commit
from app.tasks.sweeps import RowFailures
from app.ussd import screens
from app.ussd.models import RegistrationStatus, UssdRegistration

MAX_ATTEMPTS = 5
"""Times the checks are tried when a provider fails before the caller is told to retry."""
RETRY_AFTER = timedelta(minutes=1)
TASK_GRACE = timedelta(seconds=60)
"""The sweep leaves a new registration to its task for this long."""
SMS_RETRY_WINDOW = timedelta(days=1)
"""An outcome SMS not sent within a day is given up (the caller will have dialled again)."""
SWEEP_BATCH = 50
CHECKS_UNAVAILABLE = "checks_unavailable"
log = structlog.get_logger("mkopo.ussd")


def pending_registration(session: Session, phone_index: str) -> int | None:
    return session.scalar(
        select(UssdRegistration.id).where(
            UssdRegistration.phone_index == phone_index,
            UssdRegistration.status == RegistrationStatus.PENDING,
        )
    )


@dataclass(frozen=True, slots=True)
class CollectedRegistration:
    """What the registration hops of one USSD session collected from the caller."""

    session_id: str
    msisdn: str
    phone_index: str
    national_id_enc: str
    """The national ID, already encrypted: it is never held in the clear between hops."""
    pin_hash: str
    terms_version: str
    """The terms the caller accepted."""


def start_registration(
    session: Session, cipher: FieldCipher, collected: CollectedRegistration, now: datetime
) -> int | None:
    """Store a pending registration; None if this phone already has one waiting."""
    existing = session.scalar(
        select(UssdRegistration.id).where(UssdRegistration.session_id == collected.session_id)
    )
    if existing is not None:
        return existing
    registration = UssdRegistration(
        session_id=collected.session_id,
        phone_index=collected.phone_index,
        phone_enc=cipher.encrypt(collected.msisdn),
        national_id_enc=collected.national_id_enc,
        pin_hash=collected.pin_hash,
        terms_version=collected.terms_version,
        status=RegistrationStatus.PENDING,
        attempts=0,
        next_try_at=now + TASK_GRACE,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(registration)
            session.flush()
    except IntegrityError:  # the one-pending-per-phone index: another session was first
        return None
    after_commit(session, refs.COMPLETE_REGISTRATION, registration.id)
    return registration.id


def complete_registration(
    sessions: Sessions, ports: Ports, clock: Clock, policy: LimitPolicy, registration_id: int
) -> str:
    """Run the checks and opt the caller in, or record why not; the registration's status."""
    with sessions.unit_of_work() as session:
        row = session.get(UssdRegistration, registration_id, with_for_update=True)
        if row is None or row.status != RegistrationStatus.PENDING:
            return row.status if row is not None else "missing"
        # Claimed for a while, so the sweep does not start the same checks meanwhile.
        row.attempts += 1
        row.next_try_at = clock() + RETRY_AFTER
        attempts = row.attempts
        assert row.national_id_enc is not None
        national_id = ports.cipher.decrypt(row.national_id_enc)
        msisdn = ports.cipher.decrypt(row.phone_enc)
    applicant: Applicant | None = None
    refusal: DomainError | None = None
    try:
        applicant = check_applicant(ports, national_id, msisdn, business_date(clock()))
    except DomainError as exc:
        refusal = exc
    except Exception:  # a provider failed: try again later, up to MAX_ATTEMPTS
        log.warning("registration_checks_failed", registration_id=registration_id, exc_info=True)
        if attempts < MAX_ATTEMPTS:
            return RegistrationStatus.PENDING
        unavailable = ChecksOutcome(None, CHECKS_UNAVAILABLE)
        status = _decide(sessions, clock, policy, ports, registration_id, unavailable)
        send_outcome_sms(sessions, ports, clock, registration_id)
        return status
    outcome = ChecksOutcome(applicant, refusal)
    status = _decide(sessions, clock, policy, ports, registration_id, outcome)
    if status != RegistrationStatus.COMPLETED:
        send_outcome_sms(sessions, ports, clock, registration_id)
    return status


@dataclass(frozen=True, slots=True)
class ChecksOutcome:
    """What the identity and network checks said: an applicant, or why not."""

    applicant: Applicant | None
    refusal: DomainError | str | None
    """A rule the applicant broke, or (a string) why the checks could not be run."""


def _decide(
    sessions: Sessions,
    clock: Clock,
    policy: LimitPolicy,
    ports: Ports,
    registration_id: int,
    outcome: ChecksOutcome,
) -> str:
    applicant, refusal = outcome.applicant, outcome.refusal
    with sessions.unit_of_work() as session:
        row = session.get(
            UssdRegistration, registration_id, with_for_update=True, populate_existing=True
        )
        assert row is not None
        if row.status != RegistrationStatus.PENDING:
            return row.status
        now = clock()
        if refusal is None and applicant is not None and row.pin_hash is not None:
            try:
                with session.begin_nested():
                    request = OptInRequest(
                        applicant, row.pin_hash, terms_accepted=True, channel=ConsentChannel.USSD
                    )
                    borrower = opt_in(session, ports, policy, request, now)
                row.status, row.borrower_id = RegistrationStatus.COMPLETED, borrower.id
            except DomainError as exc:
                refusal = exc
        if isinstance(refusal, DomainError):
            row.status, row.reason = RegistrationStatus.REFUSED, refusal.code
        elif isinstance(refusal, str):
            row.status, row.reason = RegistrationStatus.FAILED, refusal
        row.resolved_at, row.next_try_at = now, None
        row.national_id_enc = row.pin_hash = None
        log.info("registration_decided", registration_id=row.id, status=row.status)
        return row.status


def outcome_sms(status: str, reason: str | None) -> str:
    if status == RegistrationStatus.FAILED:
        return screens.SMS_REGISTRATION_FAILED
    return screens.SMS_REGISTRATION_REFUSED.get(
        reason or "", screens.SMS_REGISTRATION_REFUSED_OTHER
    )


def send_outcome_sms(sessions: Sessions, ports: Ports, clock: Clock, registration_id: int) -> bool:
    """Tell a refused (or failed) caller why, once recorded as sent; False if it failed."""
    with sessions.reader() as session:
        row = session.get(UssdRegistration, registration_id)
    if (
        row is None
        or row.sms_sent_at is not None
        or row.status
        in (
            RegistrationStatus.PENDING,
            RegistrationStatus.COMPLETED,
        )
    ):
        return False
    try:  # a provider call: no transaction is open here
        ports.sms.send(ports.cipher.decrypt(row.phone_enc), outcome_sms(row.status, row.reason))
    except Exception:
        log.warning("registration_sms_failed", registration_id=registration_id, exc_info=True)
        return False
    with sessions.unit_of_work() as session:
        stored = session.get(UssdRegistration, registration_id, with_for_update=True)
        if stored is not None:
            stored.sms_sent_at = clock()
    return True


def sweep_registrations(
    sessions: Sessions, ports: Ports, clock: Clock, policy: LimitPolicy, limit: int = SWEEP_BATCH
) -> int:
    """Complete registrations whose task was lost or failed, and send outcome SMS not sent."""
    now = clock()
    with sessions.reader() as session:
        due = session.scalars(
            select(UssdRegistration.id)
            .where(
                UssdRegistration.status == RegistrationStatus.PENDING,
                UssdRegistration.next_try_at <= now,
            )
            .order_by(UssdRegistration.next_try_at)
            .limit(limit)
        ).all()
        unsent = session.scalars(
            select(UssdRegistration.id)
            .where(
                UssdRegistration.status.in_(
                    [RegistrationStatus.REFUSED, RegistrationStatus.FAILED]
                ),
                UssdRegistration.sms_sent_at.is_(None),
                UssdRegistration.resolved_at >= now - SMS_RETRY_WINDOW,
            )
            .limit(limit)
        ).all()
    failures = RowFailures(refs.SWEEP_REGISTRATIONS.name)
    for registration_id in due:
        with failures.row(registration_id):
            complete_registration(sessions, ports, clock, policy, registration_id)
    for registration_id in unsent:
        with failures.row(registration_id):
            send_outcome_sms(sessions, ports, clock, registration_id)
    failures.raise_if_any()
    return len(due) + len(unsent)
