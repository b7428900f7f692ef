"""``verify``: everything the books can prove about themselves, in one report.

- the seals (``ledger.sealing``): every block's chain link, hash and signature, every sealed
  entry's hash, no entry outside a block or the queue — nothing written was altered;
- the running totals (``ledger.balance_check``): every account's four totals recomputed from
  its postings — nothing was moved beside the postings.

The report is ``ok`` only if both hold; it names the first seal break and each account
whose totals disagree (by code).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection

from ledger import balance_check, sealing
from ledger.balance_check import TotalsMismatch


@dataclass(frozen=True, slots=True)
class VerifyReport:
    ok: bool
    blocks_checked: int
    entries_checked: int
    unsealed_entries: int
    first_break: str | None
    """Human-readable: which block or entry first fails, and how."""
    accounts_checked: int
    totals_mismatches: tuple[TotalsMismatch, ...]
    """Accounts whose stored totals are not their postings' (the first 100, by code)."""
    mismatched_accounts: int

    def problems(self) -> list[str]:
        """One line per problem found, for people."""
        found = [self.first_break] if self.first_break else []
        found += [
            f"account {m.code}: totals {list(m.stored)}, its postings say {list(m.recomputed)}"
            for m in self.totals_mismatches
        ]
        hidden = self.mismatched_accounts - len(self.totals_mismatches)
        if hidden > 0:
            found.append(f"and {hidden} more accounts whose totals disagree")
        return found


def verify(conn: Connection, public_keys: Sequence[Ed25519PublicKey]) -> VerifyReport:
    seals = sealing.verify(conn, public_keys)
    totals = balance_check.check_totals(conn)
    return VerifyReport(
        ok=seals.ok and totals.ok,
        blocks_checked=seals.blocks_checked,
        entries_checked=seals.entries_checked,
        unsealed_entries=seals.unsealed_entries,
        first_break=seals.first_break,
        accounts_checked=totals.accounts_checked,
        totals_mismatches=totals.mismatches,
        mismatched_accounts=totals.mismatched_accounts,
    )
