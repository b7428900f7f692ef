"""Worker task of bureau reporting: the daily bureau day (docs/crb.md)."""

from __future__ import annotations

from app.crb.jobs import BureauDesk, report_day
from app.runtime import Runtime
from app.tasks import refs
from app.tasks.registry import task


@task(refs.CRB_REPORT_DAY)
def report_day_task(rt: Runtime) -> dict[str, object]:
    settings = rt.settings
    desk = BureauDesk(settings.crb_outbox, settings.crb_bureau_dir, settings.crb_simulated_bureaus)
    return report_day(rt.sessions, rt.ports.cipher, rt.clock, desk)
