"""Tamper evidence: seal committed entries into signed, hash-chained blocks, and verify them.

Writers never wait for the sealer: each new entry's id goes into ``ledger_unsealed`` (a
trigger does it, in the writer's own transaction), and the sealer later drains that queue
into blocks. An entry that commits late, with a lower id than one already sealed, simply
lands in a later block: a block holds a set of entries, not an id range.

Block ``n``: ``block_hash = sha256(canonical{height, prev_hash, entries_hash, entry_count,
sealed_at})``, where ``entries_hash`` covers each member's (entry id, entry hash) and an
entry hash covers every stored field of the entry and of its postings. The block hash is
signed with the fund's Ed25519 key. ``verify`` recomputes all of it and names the first break.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, delete, func, insert, select, text

from ledger.canonical import canonical_bytes, sha256_hex, utc_iso
from ledger.schema import JournalEntry, Posting, SealBlock, SealMember, UnsealedEntry
from ledger.signing import key_id, sign_hex, signature_valid

BLOCK_MAX_ENTRIES = 1000
GENESIS_HASH = "0" * 64
_SEALER_LOCK_ID = 0x4D4B4F504F  # "MKOPO": one sealer at a time on PostgreSQL


@dataclass(frozen=True, slots=True)
class SealedBlock:
    height: int
    entry_count: int
    block_hash: str


@dataclass(frozen=True, slots=True)
class SealReport:
    ok: bool
    blocks_checked: int
    entries_checked: int
    unsealed_entries: int
    first_break: str | None
    """Human-readable: which block or entry first fails, and how."""


def _entry_document(entry: Mapping[Any, Any], postings: Sequence[Mapping[Any, Any]]) -> bytes:
    def when(value: datetime | None) -> str | None:
        return utc_iso(value) if value is not None else None

    return canonical_bytes(
        {
            "id": entry["id"],
            "idempotency_key": entry["idempotency_key"],
            "content_hash": entry["content_hash"],
            "kind": entry["kind"],
            "description": entry["description"],
            "reference": entry["reference"],
            "metadata": entry["meta"] or {},
            "effective_at": when(entry["effective_at"]),
            "booked_at": when(entry["booked_at"]),
            "expires_at": when(entry["expires_at"]),
            "pending_entry_id": entry["pending_entry_id"],
            "reversed_entry_id": entry["reversed_entry_id"],
            "postings": [
                [
                    p["id"],
                    p["account_id"],
                    p["side"],
                    p["amount_minor"],
                    p["currency"],
                    p["phase"],
                    when(p["effective_at"]),
                ]
                for p in sorted(postings, key=lambda p: p["id"])
            ],
        }
    )


def _entry_hashes(conn: Connection, entry_ids: Sequence[int]) -> dict[int, str]:
    entries = (
        conn.execute(select(JournalEntry.__table__).where(JournalEntry.id.in_(entry_ids)))
        .mappings()
        .all()
    )
    postings: dict[int, list[Mapping[Any, Any]]] = defaultdict(list)
    for p in conn.execute(
        select(Posting.__table__).where(Posting.entry_id.in_(entry_ids))
    ).mappings():
        postings[p["entry_id"]].append(p)
    return {e["id"]: sha256_hex(_entry_document(e, postings[e["id"]])) for e in entries}


def _entries_hash(members: Iterable[tuple[int, str]]) -> str:
    return sha256_hex("".join(f"{i}:{h}\n" for i, h in sorted(members)).encode())


def _block_hash(
    height: int, prev_hash: str, entries_hash: str, count: int, sealed_at: datetime
) -> str:
    return sha256_hex(
        canonical_bytes(
            {
                "height": height,
                "prev_hash": prev_hash,
                "entries_hash": entries_hash,
                "entry_count": count,
                "sealed_at": utc_iso(sealed_at),
            }
        )
    )


def seal_next_block(
    conn: Connection, signer: Ed25519PrivateKey, now: datetime, max_entries: int = BLOCK_MAX_ENTRIES
) -> SealedBlock | None:
    """Seal up to ``max_entries`` queued entries into one new block; ``None`` if none wait.

    The caller commits. Run it in a loop (a worker task) to drain the queue.
    """
    if (
        conn.dialect.name == "postgresql"
        and not conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _SEALER_LOCK_ID}
        ).scalar_one()
    ):
        return None  # another sealer is at work
    ids = (
        conn.execute(
            select(UnsealedEntry.entry_id).order_by(UnsealedEntry.entry_id).limit(max_entries)
        )
        .scalars()
        .all()
    )
    if not ids:
        return None
    hashes = _entry_hashes(conn, ids)
    last = conn.execute(
        select(SealBlock.height, SealBlock.block_hash).order_by(SealBlock.height.desc()).limit(1)
    ).one_or_none()
    height, prev_hash = (last.height + 1, last.block_hash) if last else (1, GENESIS_HASH)
    entries_hash = _entries_hash(hashes.items())
    block_hash = _block_hash(height, prev_hash, entries_hash, len(hashes), now)
    conn.execute(
        insert(SealBlock).values(
            height=height,
            prev_hash=prev_hash,
            entries_hash=entries_hash,
            entry_count=len(hashes),
            sealed_at=now,
            block_hash=block_hash,
            signature=sign_hex(signer, block_hash),
            key_id=key_id(signer.public_key()),
        )
    )
    conn.execute(
        insert(SealMember),
        [{"entry_id": i, "block_height": height, "entry_hash": h} for i, h in hashes.items()],
    )
    conn.execute(delete(UnsealedEntry).where(UnsealedEntry.entry_id.in_(ids)))
    return SealedBlock(height, len(hashes), block_hash)


def verify(conn: Connection, public_keys: Sequence[Ed25519PublicKey]) -> SealReport:
    """Recompute every block and entry hash and every signature; report the first break."""
    keys = {key_id(k): k for k in public_keys}
    prev_hash, blocks, entries = GENESIS_HASH, 0, 0
    for block in conn.execute(select(SealBlock.__table__).order_by(SealBlock.height)).mappings():
        problem = _check_block(conn, block, blocks + 1, prev_hash, keys)
        if problem is not None:
            return SealReport(False, blocks, entries, _unsealed(conn), problem)
        blocks += 1
        entries += block["entry_count"]
        prev_hash = block["block_hash"]
    orphan = conn.execute(
        select(JournalEntry.id)
        .outerjoin(SealMember, SealMember.entry_id == JournalEntry.id)
        .outerjoin(UnsealedEntry, UnsealedEntry.entry_id == JournalEntry.id)
        .where(SealMember.entry_id.is_(None), UnsealedEntry.entry_id.is_(None))
        .order_by(JournalEntry.id)
        .limit(1)
    ).scalar_one_or_none()
    if orphan is not None:
        return SealReport(
            False,
            blocks,
            entries,
            _unsealed(conn),
            f"entry {orphan} is in no block and not queued for sealing",
        )
    return SealReport(True, blocks, entries, _unsealed(conn), None)


def _unsealed(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(UnsealedEntry)).scalar_one())


def _check_block(
    conn: Connection,
    block: Mapping[Any, Any],
    expected_height: int,
    prev_hash: str,
    keys: Mapping[str, Ed25519PublicKey],
) -> str | None:
    height = block["height"]
    if height != expected_height:
        return f"block {expected_height} is missing (found block {height} next)"
    if block["prev_hash"] != prev_hash:
        return f"block {height} does not chain to block {height - 1}"
    recomputed = _block_hash(
        height, block["prev_hash"], block["entries_hash"], block["entry_count"], block["sealed_at"]
    )
    if recomputed != block["block_hash"]:
        return f"block {height} header was altered (hash mismatch)"
    key = keys.get(block["key_id"])
    if key is None:
        return f"block {height} is signed by unknown key {block['key_id']}"
    if not signature_valid(key, block["block_hash"], block["signature"]):
        return f"block {height} signature is invalid"
    members = conn.execute(
        select(SealMember.entry_id, SealMember.entry_hash)
        .where(SealMember.block_height == height)
        .order_by(SealMember.entry_id)
    ).all()
    if (
        len(members) != block["entry_count"]
        or _entries_hash((m.entry_id, m.entry_hash) for m in members) != block["entries_hash"]
    ):
        return f"block {height} member list was altered"
    actual = _entry_hashes(conn, [m.entry_id for m in members])
    for m in members:
        if m.entry_id not in actual:
            return f"entry {m.entry_id} (block {height}) was deleted"
        if actual[m.entry_id] != m.entry_hash:
            return f"entry {m.entry_id} (block {height}) was altered after sealing"
    return None
