"""The database refuses what Python would: schedule terms on a bullet product (or missing on
an instalment one), an instalment paid above what it owes, two instalments with one number."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.borrowers.models import Borrower
from app.lending.models import LoanInstalment
from app.products.models import Product
from tests.support.instalments import GROUP_CODE, add_group_product
from tests.support.lending import KES, Fund


def _refused(fund: Fund, statement: object) -> None:
    with pytest.raises(IntegrityError), fund.sessions.unit_of_work() as session:
        session.execute(statement)  # type: ignore[call-overload]


def test_a_bullet_product_with_schedule_terms_is_refused(fund: Fund) -> None:
    _refused(fund, update(Product).where(Product.code == "personal").values(instalment_count=6))


def test_an_instalment_product_without_its_count_is_refused(fund: Fund) -> None:
    add_group_product(fund, fund.clock())
    _refused(fund, update(Product).where(Product.code == GROUP_CODE).values(instalment_count=None))
    _refused(fund, update(Product).where(Product.code == GROUP_CODE).values(default_after_dpd=0))


def test_an_instalment_paid_above_its_due_or_numbered_twice_is_refused(fund: Fund) -> None:
    add_group_product(fund, fund.clock())
    borrower_id = fund.register()
    with fund.sessions.unit_of_work() as session:
        session.get(Borrower, borrower_id).credit_limit_minor = 20_000 * KES  # type: ignore[union-attr]
    fund.settle(fund.request(borrower_id, 12_000 * KES, "g", product=GROUP_CODE).id)
    with fund.sessions.reader() as session:
        first = session.scalars(select(LoanInstalment).order_by(LoanInstalment.id)).first()
        assert first is not None
        loan_id, row_id, principal = first.loan_id, first.id, first.principal_minor
    paid_above = update(LoanInstalment).where(LoanInstalment.id == row_id)
    _refused(fund, paid_above.values(paid_principal_minor=principal + 1))
    _refused(fund, paid_above.values(paid_interest_minor=1))  # none of its interest is due yet
    with pytest.raises(IntegrityError), fund.sessions.unit_of_work() as session:
        session.add(
            LoanInstalment(
                loan_id=loan_id,
                number=1,
                due_on=first.due_on,
                principal_minor=0,
                interest_minor=0,
                total_minor=0,
                interest_recognised_minor=0,
                paid_principal_minor=0,
                paid_interest_minor=0,
            )
        )
