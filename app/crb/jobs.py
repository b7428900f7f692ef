"""The bureau day: listings, the daily file (and the monthly one on the 1st), delivery to
every bureau's drop folder, and the acknowledgements read back.

Each step is its own transaction and idempotent, so a run that stops half-way is finished
by the next: listings and their SMS are keyed per loan and step; a file of a date is
submitted once per bureau (``crb_submissions`` unique key); an acknowledgement is stored
once. A file is dropped in the inbox before its submission commits: if that commit fails the
next run drops the same file again (at least once; the bureau sees the same name and hash).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from app.clock import Clock, business_date
from app.crb.export import FileKind, build_files, write_files
from app.crb.listing import run_listings
from app.crb.submissions import read_acknowledgements, submit
from app.db.session import Sessions
from app.security.fields import FieldCipher
from integrations.crb.folders import BureauFolder
from integrations.crb.simulator import SimulatedBureau
from integrations.crb.template import BUREAUS

MONTHLY_ON_DAY = 1


@dataclass(frozen=True, slots=True)
class BureauDesk:
    """Where the files go: the fund's outbox and the bureaus' drop folders."""

    outbox: Path
    bureau_root: Path
    simulated: bool
    """The simulated bureaus answer each delivery at once (``integrations.crb.simulator``)."""


def report_day(
    sessions: Sessions, cipher: FieldCipher, clock: Clock, desk: BureauDesk
) -> dict[str, object]:
    now = clock()
    today = business_date(now)
    with sessions.unit_of_work() as session:
        listings = run_listings(session, today, now)
    kinds = [FileKind.DAILY] + ([FileKind.MONTHLY] if today.day == MONTHLY_ON_DAY else [])
    sent = 0
    for kind in kinds:
        with sessions.unit_of_work() as session:
            files = build_files(session, cipher, today, kind)
            dropped = submit(session, files, desk.bureau_root, now)
            write_files(dropped, desk.outbox / today.isoformat())  # the outbox keeps what went
            sent += len(dropped)
    if desk.simulated:
        for bureau in BUREAUS:
            SimulatedBureau(BureauFolder(desk.bureau_root, bureau)).process()
    with sessions.unit_of_work() as session:
        answered = read_acknowledgements(session, desk.bureau_root, clock())
    return {
        "date": today.isoformat(),
        "listings": asdict(listings),
        "sent": sent,
        "answered": answered,
    }
