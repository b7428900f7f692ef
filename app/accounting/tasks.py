"""Worker tasks of accounting: seal committed entries, release expired holds.

Each task is idempotent and bounded: running it twice, or after a crash, leaves the same books.
"""

from __future__ import annotations

from app.accounting.keys import signing_key
from app.runtime import Runtime
from app.tasks import refs
from app.tasks.registry import task
from ledger import Ledger

MAX_BLOCKS_PER_RUN = 50


@task(refs.SEAL_LEDGER)
def seal_ledger(rt: Runtime, max_blocks: int = MAX_BLOCKS_PER_RUN) -> int:
    """Seal queued entries, one block per transaction; returns the number of entries sealed."""
    key = signing_key(rt.settings)
    sealed = 0
    for _ in range(max_blocks):
        with rt.sessions.unit_of_work() as session:
            block = Ledger(session, rt.clock).seal_next_block(key)
        if block is None:
            break
        sealed += block.entry_count
    return sealed


@task(refs.EXPIRE_HOLDS)
def expire_holds(rt: Runtime) -> int:
    with rt.sessions.unit_of_work() as session:
        return len(Ledger(session, rt.clock).expire_holds())
