"""Worker tasks of the books: seal committed entries, release expired holds.

Each task is idempotent and bounded: running it twice, or after a crash, leaves the same books.
"""

from __future__ import annotations

from celery import shared_task

from app.accounting.keys import signing_key
from app.runtime import runtime
from ledger import Ledger

MAX_BLOCKS_PER_RUN = 50


def seal_ledger(max_blocks: int = MAX_BLOCKS_PER_RUN) -> int:
    """Seal queued entries, one block per transaction; returns the number of entries sealed."""
    rt = runtime()
    key = signing_key(rt.settings)
    sealed = 0
    for _ in range(max_blocks):
        with rt.sessions.unit_of_work() as session:
            block = Ledger(session, rt.clock).seal_next_block(key)
        if block is None:
            break
        sealed += block.entry_count
    return sealed


def expire_holds() -> int:
    rt = runtime()
    with rt.sessions.unit_of_work() as session:
        return len(Ledger(session, rt.clock).expire_holds())


@shared_task(name="books.seal_ledger")  # type: ignore[untyped-decorator]
def seal_ledger_task() -> int:
    return seal_ledger()


@shared_task(name="books.expire_holds")  # type: ignore[untyped-decorator]
def expire_holds_task() -> int:
    return expire_holds()
