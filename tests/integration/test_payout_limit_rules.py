"""A payout M-Pesa declines by a limit rule (result 2, 3, 4 or 8 in the B2C result callback,
where Daraja reports them) fails like any refused payout, with a reason a person can read: the
hold is voided, the loan cancelled, the borrower told, the books balanced."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.lending.models import LoanStatus
from app.payments.models import Payout, PayoutStatus
from tests.integration.test_mpesa_processing import b2c_result, deliver, sent_payout
from tests.support.lending import Fund


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (2, "Below M-Pesa's minimum payout (limit rule 2)"),
        (3, "Above M-Pesa's maximum per transaction (limit rule 3)"),
        (4, "Over the customer's M-Pesa daily limit (limit rule 4)"),
        (8, "The customer's M-Pesa balance would go over its maximum (limit rule 8)"),
    ],
)
def test_a_limit_rule_result_fails_the_payout_with_its_reason(
    fund: Fund, code: int, reason: str
) -> None:
    borrower_id = fund.register()
    payout = sent_payout(fund, borrower_id)
    deliver(fund, "b2c/result", b2c_result(payout.originator_id, code=code))
    with fund.sessions.reader() as session:
        failed = session.scalars(select(Payout).where(Payout.id == payout.id)).one()
        assert (failed.status, failed.failure_code, failed.failure_reason) == (
            PayoutStatus.FAILED,
            str(code),
            reason,
        )
    assert fund.loan_of(borrower_id).status == LoanStatus.CANCELLED
    fund.assert_books_agree()
