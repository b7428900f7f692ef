"""Registering a business: the register's word on its number, its KRA PIN's format, its till,
and an owner in good standing; then its first limit (``app.sme.limits``).

One business per owner, and a registration number, KRA PIN or till on one business only
(checked here, unique in the database too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.ports import Ports
from app.sme import errors, kra_pin
from app.sme.limits import decide_limit
from app.sme.models import Business, BusinessLimitDecision
from app.sme.owners import owner_in_good_standing
from integrations.mobile_money import InvalidTill, normalise_till
from integrations.registers import (
    BusinessRegister,
    InvalidRegistrationNumber,
    RegistrationStatus,
    normalise_business_number,
)


@dataclass(frozen=True, slots=True)
class NewBusiness:
    registration_number: str
    kra_pin: str
    till_number: str


def register_business(
    session: Session,
    ports: Ports,
    owner_id: int,
    new: NewBusiness,
    today: date,
    now: datetime,
) -> Business:
    owner = owner_in_good_standing(session, owner_id, lock=True)
    if business_of(session, owner.id) is not None:
        raise errors.AlreadyHasBusiness("You have registered a business already")
    number, name = _registered(ports.business_register, new.registration_number)
    try:
        pin = kra_pin.normalise_kra_pin(new.kra_pin)
    except kra_pin.InvalidKraPin as exc:
        raise errors.InvalidKraPin(str(exc)) from None
    try:
        till = normalise_till(new.till_number)
    except InvalidTill as exc:
        raise errors.InvalidTill(str(exc)) from None
    taken = session.scalar(
        select(Business.id).where(
            or_(
                Business.registration_number == number,
                Business.kra_pin == pin,
                Business.till_number == till,
            )
        )
    )
    if taken is not None:
        raise errors.BusinessTaken("That registration number, KRA PIN or till is registered here")
    business = Business(
        owner_borrower_id=owner.id,
        registration_number=number,
        name=name,
        kra_pin=pin,
        till_number=till,
        limit_minor=0,
        registered_at=now,
    )
    session.add(business)
    session.flush()
    decide_limit(session, ports.tills, business, today, now)
    return business


def business_of(session: Session, owner_id: int) -> Business | None:
    return session.scalar(select(Business).where(Business.owner_borrower_id == owner_id))


def _registered(register: BusinessRegister, raw: str) -> tuple[str, str]:
    try:
        number = normalise_business_number(raw)
    except InvalidRegistrationNumber as exc:
        raise errors.InvalidBusinessRegistration(str(exc)) from None
    found = register.lookup_business(number)
    if found is None:
        raise errors.BusinessNotRegistered(f"The business register does not know {number}")
    if found.status != RegistrationStatus.ACTIVE:
        raise errors.BusinessNotRegistered(f"The register says {number} is deregistered")
    return number, found.name


def latest_decision(session: Session, business_id: int) -> BusinessLimitDecision | None:
    return session.scalar(
        select(BusinessLimitDecision)
        .where(BusinessLimitDecision.business_id == business_id)
        .order_by(BusinessLimitDecision.id.desc())
        .limit(1)
    )
