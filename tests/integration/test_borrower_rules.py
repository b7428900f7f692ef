"""Opting in, in the fund's words: who may join, on which number, and what is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from app.borrowers import errors
from app.borrowers.models import Borrower, BorrowerStatus, ConsentChannel
from app.borrowers.pin_checks import PIN_LOCK_AFTER_FAILURES, pin_hash_of, record_pin_attempt
from app.borrowers.service import find_by_national_id, find_by_phone, prepare_pin
from app.clock import business_date
from app.errors import DomainError
from app.lending.models import LimitDecision, RepaymentChannel
from app.lending.repayments import IncomingRepayment, apply_repayment
from app.onboarding.service import OptInRequest, check_applicant, opt_in, opt_out
from ledger import Ledger
from tests.support.lending import GOOD_ID, GOOD_PHONE, KES, Fund


@pytest.mark.parametrize(
    ("national_id", "phone", "error"),
    [
        ("91234567", GOOD_PHONE, errors.IdentityNotFound),
        ("12345677", GOOD_PHONE, errors.Underage),
        ("12345678", GOOD_PHONE, errors.ImplausibleBirthDate),
        ("12345679", GOOD_PHONE, errors.ImplausibleBirthDate),
        ("12-AB", GOOD_PHONE, errors.InvalidNationalIdInput),
        (GOOD_ID, "0712345603", errors.SimTooNew),
        (GOOD_ID, "0712345699", errors.SimNotOnNetwork),
        (GOOD_ID, "0712345698", errors.NoMobileMoney),
        (GOOD_ID, "+44 20 7946 0958", errors.InvalidPhoneInput),
    ],
)
def test_an_applicant_who_breaks_a_rule_is_refused_with_that_rule(
    fund: Fund, national_id: str, phone: str, error: type[DomainError]
) -> None:
    with pytest.raises(error):
        check_applicant(fund.ports, national_id, phone, business_date(fund.clock()))


def test_weak_pins_and_unaccepted_terms_are_refused(fund: Fund) -> None:
    for pin in ("1111", "1234", "12a4", "123"):
        with pytest.raises(errors.PinTooWeak):
            prepare_pin(fund.ports.pins, pin)
    applicant = check_applicant(fund.ports, GOOD_ID, GOOD_PHONE, business_date(fund.clock()))
    request = OptInRequest(
        applicant,
        prepare_pin(fund.ports.pins, "4826"),
        terms_accepted=False,
        channel=ConsentChannel.APP,
    )
    with pytest.raises(errors.TermsNotAccepted), fund.sessions.unit_of_work() as session:
        opt_in(session, fund.ports, fund.policy, request, fund.clock())


def test_a_new_borrower_gets_a_limit_from_the_rule_table_with_a_recorded_reason(fund: Fund) -> None:
    borrower_id = fund.register()
    with fund.sessions.reader() as session:
        borrower = session.get(Borrower, borrower_id)
        decision = session.scalar(select(LimitDecision))
    assert borrower is not None
    assert decision is not None
    # SIM 1,543 days old, KES 30,082 a month: the top rule of the table.
    assert borrower.credit_limit_minor == 2_000 * KES
    assert (decision.reason, decision.limit_minor) == ("initial", 2_000 * KES)
    assert set(decision.facts) >= {"sim_age_days", "monthly_inflow_minor"}


def test_one_national_id_one_phone(fund: Fund) -> None:
    fund.register(GOOD_ID, GOOD_PHONE)
    with pytest.raises(errors.NationalIdTaken):
        fund.register(GOOD_ID, "0712345688")
    with pytest.raises(errors.PhoneTaken):
        fund.register("22345671", GOOD_PHONE)


def test_opting_out_keeps_savings_and_allows_joining_again_on_a_new_number(fund: Fund) -> None:
    borrower_id = fund.register()
    loan_id = fund.borrow(borrower_id, 500 * KES).loan_id
    assert loan_id is not None
    with pytest.raises(errors.OpenLoanBlocksOptOut), fund.sessions.unit_of_work() as session:
        opt_out(session, borrower_id, fund.clock())
    with fund.sessions.unit_of_work() as session:
        apply_repayment(
            session,
            Ledger(session, fund.clock),
            IncomingRepayment(
                loan_id,
                500 * KES,
                "r1",
                RepaymentChannel.C2B,
                fund.clock(),
            ),
            fund.clock(),
        )
    with fund.sessions.unit_of_work() as session:
        opt_out(session, borrower_id, fund.clock())
    again = fund.register(GOOD_ID, "0712345688")
    assert again == borrower_id
    with fund.sessions.reader() as session:
        borrower = session.get(Borrower, borrower_id)
        assert borrower is not None
        assert borrower.status == BorrowerStatus.ACTIVE
        assert borrower.savings_long_minor + borrower.savings_short_minor == 25 * KES
        assert find_by_phone(session, fund.ports, "254712345688") is not None
        assert find_by_phone(session, fund.ports, GOOD_PHONE) is None
        assert find_by_national_id(session, fund.ports, GOOD_ID) is not None
        # Back after an opt-out: the next rescoring sweep reviews the limit.
        assert (borrower.rescore_due_at, borrower.rescore_trigger) == (fund.clock(), "rejoined")
    fund.assert_books_agree()


def test_no_stored_column_shows_the_national_id_phone_or_pin(fund: Fund) -> None:
    fund.register(GOOD_ID, GOOD_PHONE, pin="4826")
    with fund.sessions.reader() as session:
        row = session.execute(text("SELECT * FROM borrowers")).one()
    stored = " ".join(str(v) for v in row)
    for secret in (GOOD_ID, "712345678", "4826", "Atieno"):
        assert secret not in stored


def test_five_wrong_pins_lock_the_pin_and_a_right_one_resets_the_count(fund: Fund) -> None:
    borrower_id = fund.register(pin="4826")

    def attempt(pin: str) -> DomainError | None:
        with fund.sessions.unit_of_work() as session:
            stored = pin_hash_of(session, borrower_id, fund.clock())
            correct = fund.ports.pins.verify_pin(pin, stored)
            return record_pin_attempt(session, borrower_id, correct, fund.clock()).error

    assert isinstance(attempt("0000"), errors.WrongPin)
    assert attempt("4826") is None
    outcomes = [attempt("0000") for _ in range(PIN_LOCK_AFTER_FAILURES)]
    assert [type(o).__name__ for o in outcomes] == ["WrongPin"] * 4 + ["PinLocked"]
    with pytest.raises(errors.PinLocked):
        attempt("4826")
    fund.clock.advance(hours=25)
    assert attempt("4826") is None


def test_repaying_in_full_lifts_a_default_freeze_but_not_one_put_on_by_staff(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    with fund.sessions.unit_of_work() as session:
        borrower = session.get(Borrower, borrower_id)
        assert borrower is not None
        borrower.frozen_at, borrower.frozen_reason = fund.clock(), "staff: fraud review"
    loan = fund.loan_of(borrower_id)
    fund.repay(loan.id, loan.outstanding_minor, "RPAYFULL01")
    assert fund.loan_of(borrower_id).status == "repaid"
    assert fund.borrower(borrower_id).frozen_reason == "staff: fraud review"
