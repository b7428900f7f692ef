"""Each kind of maker-checker request, approved end to end with its effect, and refused on
approval when the world moved since it was asked (the request is then closed as failed)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.accounting.manual_journals import MANUAL_JOURNAL, InvalidJournal
from app.admin.borrower_views import freeze
from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.audit.models import AuditRecord
from app.lending.limit_decisions import LimitChange, record_limit
from app.lending.limit_overrides import BorrowerNotEligibleForOverride, LimitChanged
from app.lending.models import LimitDecision, LoanStatus
from app.lending.write_off_requests import WRITE_OFF
from app.lending.writeoffs import NotWriteOffable
from app.products.changes import PRODUCT_CHANGE, InvalidProductTerms, ProductChanged
from app.products.models import Product
from ledger import Ledger
from ledger.errors import InsufficientFunds
from tests.integration.test_maker_checker import (
    ADMIN,
    OTHER_ADMIN,
    audit_trail,
    check,
    make,
    override,
    stored,
)
from tests.support.lending import CAPITAL_MINOR, KES, Fund


def effect_record(fund: Fund, action: str) -> AuditRecord:
    with fund.sessions.reader() as session:
        found = session.scalar(select(AuditRecord).where(AuditRecord.action == action))
        assert found is not None
        return found


def balance(fund: Fund, code: str) -> int:
    with fund.sessions.reader() as session:
        return Ledger(session, fund.clock).account_by_code(code).balance.posted_minor


def defaulted_loan(fund: Fund) -> tuple[int, int]:
    """Borrow KES 1,000 and let 30 days pass: (borrower id, loan id) of a loan in default."""
    borrower_id = fund.register()
    fund.borrow(borrower_id, 1_000 * KES)
    fund.days_pass(30)
    loan = fund.loan_of(borrower_id)
    assert loan.status == LoanStatus.DEFAULTED
    return borrower_id, loan.id


# -- limit override -------------------------------------------------------------------------


def test_a_limit_override_of_5000_approved_sets_the_limit_with_a_decision_row(fund: Fund) -> None:
    borrower_id = fund.register()
    was = fund.borrower(borrower_id).credit_limit_minor
    approval_id = override(fund, borrower_id, 5_000 * KES).approval.id
    assert stored(fund, approval_id).payload == {
        "borrower_id": borrower_id,
        "limit_minor": 5_000 * KES,
        "previous_limit_minor": was,
    }
    assert check(fund, approval_id).failure is None
    assert fund.borrower(borrower_id).credit_limit_minor == 5_000 * KES
    with fund.sessions.reader() as session:
        decision = session.scalars(
            select(LimitDecision).order_by(LimitDecision.id.desc()).limit(1)
        ).one()
    assert (decision.reason, decision.previous_limit_minor, decision.limit_minor) == (
        "override",
        was,
        5_000 * KES,
    )
    assert decision.facts == {"approval_id": approval_id, "maker": "otieno", "checker": "amina"}
    effect = effect_record(fund, "borrower.limit_override")
    assert (effect.actor, effect.subject_type, effect.subject_id) == (
        "amina",
        "borrower",
        str(borrower_id),
    )
    assert effect.before == {"credit_limit_minor": was, "score_band": None}
    assert effect.after == {
        "credit_limit_minor": 5_000 * KES,
        "approval_id": approval_id,
        "maker": "otieno",
    }


def test_a_limit_override_approved_after_a_freeze_fails_and_changes_nothing(fund: Fund) -> None:
    borrower_id = fund.register()
    was = fund.borrower(borrower_id).credit_limit_minor
    approval_id = override(fund, borrower_id, 5_000 * KES).approval.id
    with fund.sessions.unit_of_work() as session:
        freeze(session, borrower_id, "suspected fraud", fund.clock())
    decision = check(fund, approval_id)
    assert isinstance(decision.failure, BorrowerNotEligibleForOverride)
    failed = stored(fund, approval_id)
    assert (failed.status, failed.checker) == (ApprovalStatus.FAILED, "amina")
    assert failed.decision_note is not None
    assert "frozen" in failed.decision_note
    assert fund.borrower(borrower_id).credit_limit_minor == was
    assert [a for a, *_ in audit_trail(fund)] == ["approval.request", "approval.fail"]


def test_a_limit_override_fails_when_the_limit_moved_since_the_request(fund: Fund) -> None:
    borrower_id = fund.register()
    approval_id = override(fund, borrower_id, 5_000 * KES).approval.id
    with fund.sessions.unit_of_work() as session:  # e.g. a rescore in between
        borrower = fund.borrower(borrower_id)
        change = LimitChange(3_000 * KES, "rescore", {}, "B1")
        record_limit(session, session.merge(borrower), change, fund.clock())
    assert isinstance(check(fund, approval_id).failure, LimitChanged)
    assert fund.borrower(borrower_id).credit_limit_minor == 3_000 * KES


# -- write-off ------------------------------------------------------------------------------


def test_a_defaulted_loan_written_off_on_approval_moves_its_debt_to_loan_losses(
    fund: Fund,
) -> None:
    borrower_id, loan_id = defaulted_loan(fund)
    owed = fund.loan_of(borrower_id).outstanding_minor
    approval_id = make(fund, WRITE_OFF, {"loan_id": loan_id}, reason="Unreachable").approval.id
    assert stored(fund, approval_id).payload == {"loan_id": loan_id, "outstanding_minor": owed}
    fund.days_pass(1)  # interest still accrues while the request waits
    owed_at_approval = fund.loan_of(borrower_id).outstanding_minor
    assert owed_at_approval > owed
    assert check(fund, approval_id).failure is None
    loan = fund.loan_of(borrower_id)
    assert (loan.status, loan.outstanding_minor) == (LoanStatus.WRITTEN_OFF, 0)
    assert balance(fund, "5100") == owed_at_approval
    effect = effect_record(fund, "loan.write_off")
    assert effect.before is not None
    assert effect.before["status"] == "defaulted"
    assert effect.after is not None
    assert effect.after["written_off_minor"] == owed_at_approval
    result = stored(fund, approval_id).result
    assert result is not None
    assert result["status"] == "written_off"
    assert fund.borrower(borrower_id).frozen_at is not None  # written off, not forgiven
    fund.assert_books_agree()


def test_a_write_off_of_a_loan_repaid_meanwhile_fails_and_posts_nothing(fund: Fund) -> None:
    borrower_id, loan_id = defaulted_loan(fund)
    approval_id = make(fund, WRITE_OFF, {"loan_id": loan_id}).approval.id
    fund.repay(loan_id, fund.loan_of(borrower_id).outstanding_minor, "RPAIDALL01")
    assert fund.loan_of(borrower_id).status == LoanStatus.REPAID
    decision = check(fund, approval_id)
    assert isinstance(decision.failure, NotWriteOffable)
    assert stored(fund, approval_id).status == ApprovalStatus.FAILED
    assert balance(fund, "5100") == 0
    assert fund.loan_of(borrower_id).status == LoanStatus.REPAID
    fund.assert_books_agree()


def test_a_write_off_cannot_be_asked_for_a_loan_not_in_default(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 1_000 * KES)
    with pytest.raises(NotWriteOffable):
        make(fund, WRITE_OFF, {"loan_id": fund.loan_of(borrower_id).id})
    assert audit_trail(fund) == []


# -- product change -------------------------------------------------------------------------


def personal(fund: Fund) -> Product:
    with fund.sessions.reader() as session:
        found = session.scalar(select(Product).where(Product.code == "personal"))
        assert found is not None
        return found


def change_personal(fund: Fund, changes: dict[str, Any]) -> int:
    return make(fund, PRODUCT_CHANGE, {"product_code": "personal", "changes": changes}).approval.id


def test_a_product_change_approved_applies_the_new_terms_and_bumps_the_version(
    fund: Fund,
) -> None:
    approval_id = change_personal(fund, {"term_days": 21, "penalty_from_day": 22})
    assert check(fund, approval_id).failure is None
    product = personal(fund)
    assert (product.term_days, product.penalty_from_day, product.version) == (21, 22, 2)
    effect = effect_record(fund, "product.change")
    assert effect.before == {"term_days": 14, "penalty_from_day": 15, "version": 1}
    assert effect.after == {
        "term_days": 21,
        "penalty_from_day": 22,
        "version": 2,
        "approval_id": approval_id,
        "maker": "otieno",
    }
    borrower_id = fund.register()  # a new loan is made on the new terms
    fund.borrow(borrower_id, 500 * KES)
    assert fund.loan_of(borrower_id).product_terms["term_days"] == 21


def test_a_product_change_fails_if_the_product_changed_since_the_request(fund: Fund) -> None:
    approval_id = change_personal(fund, {"regular_rate_bp": 900})
    with fund.sessions.unit_of_work() as session:  # e.g. a data fix shipped meanwhile
        product = session.scalar(select(Product).where(Product.code == "personal"))
        assert product is not None
        product.version += 1
    assert isinstance(check(fund, approval_id).failure, ProductChanged)
    assert personal(fund).regular_rate_bp == 800


def test_inconsistent_product_terms_are_refused_when_asked(fund: Fund) -> None:
    with pytest.raises(InvalidProductTerms, match="penalty_from_day <= default_day"):
        change_personal(fund, {"default_day": 10})
    with pytest.raises(InvalidProductTerms, match="max_amount_minor"):
        change_personal(fund, {"min_amount_minor": 60_000 * KES})


# -- manual journal -------------------------------------------------------------------------


def journal(reference: str, amount_minor: int, debit: str, credit: str) -> dict[str, Any]:
    return {
        "description": "Capital movement per board minute 12",
        "reference": reference,
        "lines": [
            {"account_code": debit, "side": "D", "amount_minor": amount_minor},
            {"account_code": credit, "side": "C", "amount_minor": amount_minor},
        ],
    }


def test_a_manual_journal_approved_posts_one_balanced_entry(fund: Fund) -> None:
    asked = journal("BM-12", 250_000 * KES, "1010", "3000")  # capital paid into the float
    approval_id = make(fund, MANUAL_JOURNAL, asked, maker=ADMIN).approval.id
    assert balance(fund, "1010") == CAPITAL_MINOR  # nothing moves before approval
    assert check(fund, approval_id, checker=OTHER_ADMIN).failure is None
    assert balance(fund, "1010") == CAPITAL_MINOR + 250_000 * KES
    with fund.sessions.reader() as session:
        entries = Ledger(session, fund.clock).find_entries(reference="journal:BM-12")
    assert len(entries) == 1
    assert dict(entries[0].metadata) == {
        "approval_id": approval_id,
        "maker": "amina",
        "checker": "baraka",
    }
    effect = effect_record(fund, "ledger.manual_journal")
    assert effect.before == {"balances_minor": {"1010": CAPITAL_MINOR, "3000": CAPITAL_MINOR}}
    assert effect.after is not None
    assert effect.after["entry_id"] == entries[0].id
    fund.assert_books_agree()


UNBALANCED = {
    **journal("J-1", 100, "1010", "3000"),
    "lines": [
        {"account_code": "1010", "side": "D", "amount_minor": 100},
        {"account_code": "3000", "side": "C", "amount_minor": 99},
    ],
}


@pytest.mark.parametrize(
    ("asked", "refusal"),
    [
        (UNBALANCED, "differ"),
        (journal("J-2", 100, "1200", "3000"), "cannot take a manual journal"),
        (journal("J-3", 100, "1010", "9999"), "cannot take a manual journal"),
        (journal("J 4", 100, "1010", "3000"), "reference"),
        ({**journal("J-5", 100, "1010", "3000"), "lines": []}, "lines"),
    ],
)
def test_a_malformed_journal_is_refused_when_asked(
    fund: Fund, asked: dict[str, Any], refusal: str
) -> None:
    with pytest.raises(InvalidJournal, match=refusal):
        make(fund, MANUAL_JOURNAL, asked, maker=ADMIN)
    with fund.sessions.reader() as session:
        assert session.scalars(select(ApprovalRequest)).all() == []


def test_a_journal_that_would_overdraw_the_float_is_refused_when_asked(fund: Fund) -> None:
    with pytest.raises(InsufficientFunds):
        make(fund, MANUAL_JOURNAL, journal("J-9", CAPITAL_MINOR + 1, "3000", "1010"), maker=ADMIN)
    assert balance(fund, "1010") == CAPITAL_MINOR  # the trial posting left nothing behind


def test_a_journal_valid_when_asked_fails_on_approval_once_the_float_is_spent(
    fund: Fund,
) -> None:
    six_million = 6_000_000 * KES
    first = make(fund, MANUAL_JOURNAL, journal("J-A", six_million, "3000", "1010"), maker=ADMIN)
    second = make(fund, MANUAL_JOURNAL, journal("J-B", six_million, "3000", "1010"), maker=ADMIN)
    assert check(fund, first.approval.id, checker=OTHER_ADMIN).failure is None
    decision = check(fund, second.approval.id, checker=OTHER_ADMIN)
    assert isinstance(decision.failure, InsufficientFunds)
    assert stored(fund, second.approval.id).status == ApprovalStatus.FAILED
    assert balance(fund, "1010") == CAPITAL_MINOR - six_million
    fund.assert_books_agree()
