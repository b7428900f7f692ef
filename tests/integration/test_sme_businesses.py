"""Registering a business for SME loans: the register, the KRA PIN, the till, the owner's
standing, one business per owner, and the first limit from the till's cash flow with its
reasons (docs/sme.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.borrowers.models import Borrower
from app.clock import business_date
from app.errors import DomainError
from app.lending import errors as lending_errors
from app.products.models import Product
from app.sme.limits import business_product, compute_limit
from app.sme.models import Business, BusinessLimitDecision
from app.sme.owners import OwnerRecord
from app.sme.registration import NewBusiness, register_business
from tests.support.lending import KES, Fund

GOOD = NewBusiness("pvt-aju7ql9", "p051234567x", "123454")


def _register(fund: Fund, owner: int, new: NewBusiness = GOOD) -> Business:
    now = fund.clock()
    with fund.sessions.unit_of_work() as session:
        business = register_business(session, fund.ports, owner, new, business_date(now), now)
        session.expunge(business)
        return business


def _decisions(fund: Fund, business_id: int) -> list[BusinessLimitDecision]:
    with fund.sessions.reader() as session:
        return list(
            session.scalars(
                select(BusinessLimitDecision).where(
                    BusinessLimitDecision.business_id == business_id
                )
            )
        )


@pytest.mark.slow
def test_a_business_is_registered_with_a_limit_from_its_till(fund: Fund) -> None:
    owner = fund.register()
    business = _register(fund, owner)
    assert (business.registration_number, business.kra_pin, business.name) == (
        "PVT-AJU7QL9",
        "P051234567X",
        "Simulated business AJU7QL9",
    )
    [decision] = _decisions(fund, business.id)
    facts = decision.facts
    assert decision.reason == "cash_flow"
    assert len(facts["months"]) == 6
    assert facts["owner_factor_pct"] == 50  # a new borrower: nothing repaid on time yet
    expected = facts["average_net_inflow_minor"] * 2 * 50 // 100 // (1_000 * KES) * 1_000 * KES
    assert business.limit_minor == decision.limit_minor == expected
    assert 100_000 * KES <= business.limit_minor <= 150_000 * KES


@pytest.mark.slow
@pytest.mark.parametrize(
    ("new", "code"),
    [
        (NewBusiness("PVT-AJU7QL", "P051234567X", "123454"), "invalid_business_registration"),
        (NewBusiness("PVT-9JU7QL9", "P051234567X", "123454"), "business_not_registered"),
        (NewBusiness("BN-AJU7Q00", "P051234567X", "123454"), "business_not_registered"),
        (NewBusiness("PVT-AJU7QL9", "X051234567X", "123454"), "invalid_kra_pin"),
        (NewBusiness("PVT-AJU7QL9", "P051234567X", "12a4"), "invalid_till"),
    ],
)
def test_bad_registrations_are_refused_clearly(fund: Fund, new: NewBusiness, code: str) -> None:
    owner = fund.register()
    with pytest.raises(DomainError) as refused:
        _register(fund, owner, new)
    assert refused.value.code == code
    assert 400 <= refused.value.http_status < 500


@pytest.mark.slow
def test_one_business_per_owner_and_per_number(fund: Fund) -> None:
    owner = fund.register()
    _register(fund, owner)
    with pytest.raises(DomainError) as again:
        _register(fund, owner, NewBusiness("BN-2WCDR5K", "A123456789Z", "555551"))
    assert again.value.code == "already_has_business"
    other = fund.register(national_id="23456781", phone="0712345673")
    with pytest.raises(DomainError) as taken:
        _register(fund, other, NewBusiness("PVT-AJU7QL9", "A123456789Z", "555551"))
    assert taken.value.code == "business_taken"
    with pytest.raises(IntegrityError), fund.sessions.unit_of_work() as session:
        session.execute(update(Business).values(kra_pin="X0512345678"))


@pytest.mark.slow
def test_a_frozen_owner_is_refused(fund: Fund) -> None:
    owner = fund.register()
    with fund.sessions.unit_of_work() as session:
        session.execute(update(Borrower).where(Borrower.id == owner).values(frozen_at=fund.clock()))
    with pytest.raises(DomainError) as refused:
        _register(fund, owner)
    assert refused.value.code == "owner_not_in_good_standing"


@pytest.mark.slow
def test_the_sme_product_is_never_lent_as_a_personal_loan(fund: Fund) -> None:
    owner = fund.register()
    with pytest.raises(lending_errors.ProductUnavailable):
        fund.request(owner, 100_000 * KES, "sme-as-personal", product="sme")


@pytest.mark.slow
def test_the_limit_rules(fund: Fund) -> None:
    with fund.sessions.reader() as session:
        product, rules = business_product(session)
        assert (product.code, product.audience, rules.min_instalments, rules.max_instalments) == (
            "sme",
            "business",
            3,
            12,
        )
        net = 1_000_000 * KES
        assert compute_limit(product, rules, net, OwnerRecord(3, False)).limit_minor == (
            2_000_000 * KES
        )
        assert compute_limit(product, rules, net, OwnerRecord(1, False)).limit_minor == (
            1_500_000 * KES
        )
        assert compute_limit(product, rules, 10 * net, OwnerRecord(5, False)).limit_minor == (
            product.max_amount_minor
        )
        assert compute_limit(product, rules, net, OwnerRecord(5, True)).reason == "owner_defaulted"
        assert compute_limit(product, rules, 0, OwnerRecord(5, False)).reason == "no_cash_flow"
        small = compute_limit(product, rules, 40_000 * KES, OwnerRecord(0, False))
        assert (small.limit_minor, small.reason) == (0, "below_minimum")
        assert session.scalar(select(Product.active).where(Product.code == "sme")) is True
