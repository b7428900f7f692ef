"""Joining and leaving the fund: vetting an applicant, opting in (the first credit decision and a
welcome SMS) and opting out.

Opt-in is two steps so no provider call runs inside a database transaction:
``check_applicant`` asks the identity register and the network's KYC and reads the wallet
statement (no database), then ``opt_in`` writes the borrower and their first credit decision
(``app.scoring.decisions``) in one transaction. The rules: Kenyan national ID known to the
register; date of birth neither in the future nor over 120 years ago; age >= 18; SIM on the
network, registered for mobile money, active >= 90 days; a number on a network we pay
through (Safaricom: M-Pesa, Airtel: Airtel Money; ``integrations.payments.networks``), which
is stored as the borrower's network; one national ID <-> one phone; terms
accepted and a PIN set before any loan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.borrowers import errors
from app.borrowers.ages import MAX_AGE_YEARS, MIN_AGE_YEARS, adult_on
from app.borrowers.consents import record_consent, withdraw_consents
from app.borrowers.models import Borrower, BorrowerStatus, ConsentChannel
from app.borrowers.service import get_borrower
from app.lending.limits import LimitFacts, LimitPolicy
from app.lending.loans import any_open_loan_id
from app.money import kes
from app.notifications.outbox import queue_sms
from app.ports import Ports
from app.scoring.decisions import HISTORY_DAYS, ScoringEvidence, decide
from app.scoring.marks import mark_due
from app.scoring.models import Trigger
from integrations.identity.register import (
    IdentityRecord,
    InvalidNationalId,
    age_on,
    normalise_national_id,
)
from integrations.kyc.provider import SimInfo
from integrations.mobile_money import MoneyTransaction
from integrations.payments.networks import Network, network_of
from integrations.phone import InvalidMsisdn, normalise_msisdn

TERMS_VERSION = "2026-01"
MIN_SIM_AGE_DAYS = 90


@dataclass(frozen=True, slots=True)
class Applicant:
    """Someone the register and the network vouched for, not yet written anywhere."""

    national_id: str
    msisdn: str
    identity: IdentityRecord
    sim: SimInfo
    sim_age_days: int
    wallet: Sequence[MoneyTransaction]
    """The wallet statement (``HISTORY_DAYS`` back), for the first credit decision."""
    network: Network
    """Whose wallet the number has: where loans are paid and pushes sent."""


def normalised_identity(national_id: str, msisdn: str) -> tuple[str, str]:
    try:
        nid = normalise_national_id(national_id)
    except InvalidNationalId:
        raise errors.InvalidNationalIdInput("A Kenyan national ID is 6 to 9 digits") from None
    try:
        phone = normalise_msisdn(msisdn)
    except InvalidMsisdn:
        raise errors.InvalidPhoneInput("Give a Kenyan mobile number, e.g. 0712345678") from None
    return nid, phone


def check_applicant(ports: Ports, national_id: str, msisdn: str, today: date) -> Applicant:
    """Ask the identity register and the network about an applicant (no database)."""
    nid, phone = normalised_identity(national_id, msisdn)
    network = network_of(phone)
    if network is None:
        raise errors.NetworkNotServed("We pay through M-Pesa and Airtel Money only")
    record = ports.identity.lookup(nid)
    if record is None:
        raise errors.IdentityNotFound("The national ID is not in the population register")
    dob = record.date_of_birth
    if dob > today or today.year - dob.year > MAX_AGE_YEARS:
        raise errors.ImplausibleBirthDate("The register's date of birth is not plausible")
    if age_on(dob, today) < MIN_AGE_YEARS:
        raise errors.Underage(f"Borrowers must be {MIN_AGE_YEARS} or older")
    sim = ports.kyc.sim_info(phone)
    if sim is None:
        raise errors.SimNotOnNetwork("The number is not on the mobile network")
    if not sim.mpesa_registered:
        raise errors.NoMobileMoney("The number has no mobile-money account")
    sim_age = (today - sim.registered_on).days
    if sim_age < MIN_SIM_AGE_DAYS:
        raise errors.SimTooNew(f"The SIM must be active for {MIN_SIM_AGE_DAYS} days or more")
    wallet = ports.wallets.history(phone, today - timedelta(days=HISTORY_DAYS), today)
    return Applicant(nid, phone, record, sim, sim_age, wallet, network)


@dataclass(frozen=True, slots=True)
class OptInRequest:
    """A vetted applicant asking to join, with the PIN they chose and their answer to the
    terms."""

    applicant: Applicant
    pin_hash: str
    terms_accepted: bool
    channel: ConsentChannel
    """Where the terms were accepted (the consent record names it)."""


def opt_in(
    session: Session, ports: Ports, policy: LimitPolicy, request: OptInRequest, now: datetime
) -> Borrower:
    """Register (or re-register after an opt-out) a vetted applicant; sets the first limit."""
    applicant, pin_hash = request.applicant, request.pin_hash
    if not request.terms_accepted:
        raise errors.TermsNotAccepted("Accept the terms and conditions to opt in")
    id_index = ports.blind_index.digest("national_id", applicant.national_id)
    phone_index = ports.blind_index.digest("msisdn", applicant.msisdn)
    by_id = session.scalar(
        select(Borrower).where(Borrower.national_id_index == id_index).with_for_update()
    )
    by_phone = session.scalar(select(Borrower).where(Borrower.phone_index == phone_index))
    if by_phone is not None and (by_id is None or by_phone.id != by_id.id):
        raise errors.PhoneTaken("This number is registered to another national ID")
    if by_id is not None and by_id.status == BorrowerStatus.ACTIVE:
        if by_id.phone_index != phone_index:
            raise errors.NationalIdTaken(
                "This ID is registered on another number: opt out there first"
            )
        return by_id  # already opted in on this number: nothing to do
    borrower = by_id or _new_borrower(ports, applicant, id_index, now)
    borrower.phone_index = phone_index
    borrower.phone_enc = ports.cipher.encrypt(applicant.msisdn)
    borrower.network = applicant.network  # follows the number: changes only with it
    borrower.adult_on = adult_on(applicant.identity.date_of_birth)
    borrower.status = BorrowerStatus.ACTIVE
    borrower.terms_version = TERMS_VERSION
    borrower.opted_in_at = now
    borrower.opted_out_at = None
    borrower.pin_hash = pin_hash
    borrower.pin_failed_attempts = 0
    borrower.pin_locked_until = None
    try:
        with session.begin_nested():
            session.add(borrower)
            session.flush()
    except IntegrityError:  # a concurrent opt-in with the same ID or phone won the race
        raise errors.NationalIdTaken("This ID or number was registered a moment ago") from None
    record_consent(session, borrower.id, TERMS_VERSION, request.channel, now)
    if by_id is None:
        rule_facts = LimitFacts(applicant.sim_age_days, applicant.sim.monthly_inflow_minor)
        evidence = ScoringEvidence(applicant.wallet, rule_facts)
        decide(session, policy, borrower, evidence, Trigger.REGISTRATION, now)
    else:  # back after an opt-out: their limit is reviewed by the next sweep, as a rescore
        mark_due(borrower, Trigger.REJOINED, now)
    queue_sms(
        session,
        borrower.id,
        f"welcome:{borrower.id}:{now.date().isoformat()}",
        f"Welcome to Mkopo. Your loan limit is {kes(borrower.credit_limit_minor)}.",
        now,
    )
    return borrower


def _new_borrower(ports: Ports, applicant: Applicant, id_index: str, now: datetime) -> Borrower:
    return Borrower(
        national_id_index=id_index,
        national_id_enc=ports.cipher.encrypt(applicant.national_id),
        full_name_enc=ports.cipher.encrypt(applicant.identity.full_name),
        date_of_birth_enc=ports.cipher.encrypt(applicant.identity.date_of_birth.isoformat()),
        credit_limit_minor=0,
        loans_repaid_on_time=0,
        savings_long_minor=0,
        savings_short_minor=0,
        savings_short_held_minor=0,
        credit_balance_minor=0,
        created_at=now,
    )


def opt_out(session: Session, borrower_id: int, now: datetime) -> Borrower:
    """Leave the fund (no open loan); savings stay the borrower's."""
    borrower = get_borrower(session, borrower_id, lock=True)
    if any_open_loan_id(session, borrower_id) is not None:
        raise errors.OpenLoanBlocksOptOut("Repay your loan before opting out")
    borrower.status = BorrowerStatus.OPTED_OUT
    borrower.opted_out_at = now
    withdraw_consents(session, borrower.id, now)
    return borrower
