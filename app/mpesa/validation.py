"""C2B validation: accept a paybill payment only for an account we can credit.

The account (BillRefNumber) is a loan account number (``MK...`` with its check digit) of an
open loan, a group loan account number (``MG...``) of an active group loan, or the phone
number of an opted-in borrower (07XXXXXXXX, 2547XXXXXXXX,
2541XXXXXXXX). Anything else is refused with C2B00012 so the payer's money does not move.
Answered within Daraja's ~8 s deadline: one indexed lookup, no provider call.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower, BorrowerStatus
from app.groups.account_numbers import group_loan_id_from
from app.groups.loan_models import OPEN_GROUP_LOAN_STATUSES, GroupLoan
from app.lending.account_numbers import loan_id_from
from app.lending.models import OPEN_STATUSES, Loan
from app.security.fields import BlindIndex
from integrations.mpesa.callbacks import C2BRejection
from integrations.phone import InvalidMsisdn, normalise_msisdn


def payable_account(
    session: Session, blind_index: BlindIndex | None, account_reference: str
) -> bool:
    group_loan_id = group_loan_id_from(account_reference)
    if group_loan_id is not None:
        return (
            session.scalar(
                select(GroupLoan.id).where(
                    GroupLoan.id == group_loan_id,
                    GroupLoan.status.in_(OPEN_GROUP_LOAN_STATUSES),
                )
            )
            is not None
        )
    loan_id = loan_id_from(account_reference)
    if loan_id is not None:
        return (
            session.scalar(
                select(Loan.id).where(Loan.id == loan_id, Loan.status.in_(OPEN_STATUSES))
            )
            is not None
        )
    if blind_index is None:
        return False
    try:
        phone = normalise_msisdn(account_reference)
    except InvalidMsisdn:
        return False
    return (
        session.scalar(
            select(Borrower.id).where(
                Borrower.phone_index == blind_index.digest("msisdn", phone),
                Borrower.status == BorrowerStatus.ACTIVE,
            )
        )
        is not None
    )


def rejection_for(
    session: Session, blind_index: BlindIndex | None, account_reference: str | None
) -> C2BRejection | None:
    """None to accept, or why not."""
    if not account_reference:
        return C2BRejection.INVALID_ACCOUNT_NUMBER
    if payable_account(session, blind_index, account_reference):
        return None
    return C2BRejection.INVALID_ACCOUNT_NUMBER
