"""The savings book: what the fund holds for borrowers, in total and per saver.

Totals are one aggregate over ``borrowers`` and are proved against the ledger's savings
accounts (2110 long-term, 2120 short-term, available balance: a withdrawal on its way has
already left the borrower's row). The per-saver page carries the internal borrower id only:
no name, phone or national id leaves the fund in a report.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, fund_accounts
from app.borrowers.models import Borrower
from app.reports.schemas import SaverLine, SaverPage, SavingsBook
from ledger import Ledger

SAVERS_PAGE_MAX = 500
SAVERS_PAGE_DEFAULT = 100


def savings_book(session: Session, ledger: Ledger) -> SavingsBook:
    saves = (Borrower.savings_long_minor + Borrower.savings_short_minor) > 0
    row = session.execute(
        select(
            func.count(),
            func.count(case((saves, 1))),
            func.coalesce(func.sum(Borrower.savings_long_minor), 0),
            func.coalesce(func.sum(Borrower.savings_short_minor), 0),
            func.coalesce(func.sum(Borrower.savings_short_held_minor), 0),
        )
    ).one()
    borrowers, savers, long_minor, short_minor, held_minor = (int(v) for v in row)
    accounts = fund_accounts(ledger)
    ledger_long = ledger.balance(accounts[Acct.SAVINGS_LONG]).available_minor
    ledger_short = ledger.balance(accounts[Acct.SAVINGS_SHORT]).available_minor
    return SavingsBook(
        borrowers_count=borrowers,
        savers_count=savers,
        long_minor=long_minor,
        short_minor=short_minor,
        short_held_minor=held_minor,
        total_minor=long_minor + short_minor,
        ledger_long_minor=ledger_long,
        ledger_short_minor=ledger_short,
        agrees_with_ledger=(long_minor, short_minor) == (ledger_long, ledger_short),
    )


def savers_page(session: Session, after_id: int, limit: int) -> SaverPage:
    """Savers in borrower id order, after ``after_id``; at most ``SAVERS_PAGE_MAX``."""
    limit = min(max(limit, 1), SAVERS_PAGE_MAX)
    rows = session.execute(
        select(
            Borrower.id,
            Borrower.status,
            Borrower.savings_long_minor,
            Borrower.savings_short_minor,
            Borrower.savings_short_held_minor,
        )
        .where(
            Borrower.id > after_id,
            (Borrower.savings_long_minor + Borrower.savings_short_minor) > 0,
        )
        .order_by(Borrower.id)
        .limit(limit)
    ).all()
    items = [
        SaverLine(
            borrower_id=r[0],
            status=r[1],
            long_minor=r[2],
            short_minor=r[3],
            short_held_minor=r[4],
        )
        for r in rows
    ]
    return SaverPage(
        items=items, next_after_id=items[-1].borrower_id if len(items) == limit else None
    )
