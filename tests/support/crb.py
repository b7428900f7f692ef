"""Bureau reporting against a test fund: the daily job with the simulated bureaus in
``tmp_path``, and readers of the files and acknowledgements."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.crb.jobs import BureauDesk, report_day
from app.crb.models import CrbListing, CrbSubmission
from app.notifications.models import SmsMessage
from integrations.crb.template import ACCOUNT_FIELDS, SEPARATOR
from tests.support.lending import Fund


def desk(root: Path) -> BureauDesk:
    return BureauDesk(root / "outbox", root / "bureaus", simulated=True)


def run_day(fund: Fund, root: Path) -> dict[str, object]:
    return report_day(fund.sessions, fund.ports.cipher, fund.clock, desk(root))


def account_rows(path: Path) -> dict[str, dict[str, str]]:
    """The account file's records by account number."""
    names = [spec.name for spec in ACCOUNT_FIELDS]
    lines = path.read_text().splitlines()[1:]
    rows = [dict(zip(names, line.split(SEPARATOR), strict=True)) for line in lines]
    return {row["account_number"]: row for row in rows}


def listing_of(fund: Fund, loan_id: int) -> CrbListing | None:
    with fund.sessions.reader() as session:
        return session.scalar(select(CrbListing).where(CrbListing.loan_id == loan_id))


def submissions(fund: Fund) -> list[CrbSubmission]:
    with fund.sessions.reader() as session:
        return list(session.scalars(select(CrbSubmission).order_by(CrbSubmission.id)))


def crb_sms(fund: Fund, borrower_id: int) -> list[str]:
    with fund.sessions.reader() as session:
        return list(
            session.scalars(
                select(SmsMessage.dedupe_key)
                .where(SmsMessage.borrower_id == borrower_id, SmsMessage.dedupe_key.like("crb:%"))
                .order_by(SmsMessage.id)
            )
        )
