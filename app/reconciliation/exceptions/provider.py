"""Whose float an exception's resolution moves: the provider of the run that found it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounting.chart import float_of, fund_accounts
from app.reconciliation.exceptions.models import ReconException
from app.reconciliation.models import SAFARICOM, Run
from ledger import Ledger


def network_of(session: Session, exception: ReconException) -> str:
    """``safaricom`` or ``airtel``: the network of the run that first found it (exceptions
    from before runs had a network are M-Pesa's)."""
    if exception.first_run_id is None:
        return SAFARICOM
    found = session.scalar(select(Run.network).where(Run.id == exception.first_run_id))
    return found or SAFARICOM


def float_account_id(session: Session, ledger: Ledger, exception: ReconException) -> int:
    """The ledger id of the float (1010 or 1011) an exception's resolution posts to."""
    return fund_accounts(ledger)[float_of(network_of(session, exception))]
