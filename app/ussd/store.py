"""The USSD session store: one row per gateway ``sessionId``, locked for the length of a hop.

The gateway sends every input of the session again on each hop (``text`` = inputs joined by
``*``). The row keeps only a keyed digest of the last hop's text and its length, so a hop is
recognised as the same one re-sent (answered from ``last_reply``, acting never), as an older
one arriving late (answered the same way), or as the next one (its new input is what
follows the last text and a ``*``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.upsert import insert_for
from app.security.fields import BlindIndex
from app.ussd.gateway import INPUT_SEPARATOR, Hop
from app.ussd.models import UssdSession

TEXT_DIGEST_KIND = "ussd_text"
PURGE_BATCH = 5_000


class HopKind(enum.Enum):
    FIRST = "first"
    NEXT = "next"
    RESENT = "resent"
    """The last hop again (a gateway retry): answer as before."""
    STALE = "stale"
    """Not a continuation of the last hop (an older hop arriving late): answer as before."""


@dataclass(frozen=True, slots=True)
class Reading:
    kind: HopKind
    inputs: list[str]
    """Inputs to apply in order: one for the next hop; for a first hop, those dialled with
    the service code (``*384*1#`` gives ``1``), usually none."""


def text_digest(blind_index: BlindIndex, session_id: str, text: str) -> str:
    return blind_index.digest(TEXT_DIGEST_KIND, f"{session_id}{INPUT_SEPARATOR}{text}")


def claim(session: Session, hop: Hop, phone_index: str, now: datetime) -> UssdSession:
    """The session's row, locked until the hop's transaction ends; created on the first hop
    (an empty ``text``: tried first, so a new session costs no extra lookup)."""
    if hop.text:
        row = session.get(UssdSession, hop.session_id, with_for_update=True)
        if row is not None:
            return row
    session.execute(
        insert_for(session, UssdSession)
        .values(
            session_id=hop.session_id,
            phone_index=phone_index,
            service_code=hop.service_code,
            network_code=hop.network_code,
            state="",
            data={},
            hops=0,
            last_text_digest="",
            last_text_chars=0,
            last_reply="",
            ended=False,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["session_id"])
    )
    row = session.get(UssdSession, hop.session_id, with_for_update=True)
    assert row is not None
    return row


def lock(session: Session, session_id: str) -> UssdSession | None:
    return session.get(UssdSession, session_id, with_for_update=True)


def read_hop(row: UssdSession, text: str, digest: str, digest_of: Callable[[str], str]) -> Reading:
    """Which hop this is, given the row as stored and this hop's ``text``."""
    if row.hops == 0:
        return Reading(HopKind.FIRST, text.split(INPUT_SEPARATOR) if text else [])
    if digest == row.last_text_digest:
        return Reading(HopKind.RESENT, [])
    chars = row.last_text_chars
    if chars == 0:
        return Reading(HopKind.NEXT, [text])
    if (
        len(text) > chars
        and text[chars] == INPUT_SEPARATOR
        and digest_of(text[:chars]) == row.last_text_digest
    ):
        return Reading(HopKind.NEXT, [text[chars + 1 :]])
    return Reading(HopKind.STALE, [])


@dataclass(frozen=True, slots=True)
class Answer:
    """What a hop answered, and where the session stands after it."""

    reply: str
    """The rendered reply (``CON ...`` or ``END ...``), given again to a re-sent hop."""
    state: str
    data: dict[str, Any]
    """What the session has collected so far."""
    ended: bool


def save(row: UssdSession, text: str, digest: str, answer: Answer, now: datetime) -> None:
    row.hops += 1
    row.state = answer.state
    row.data = {} if answer.ended else answer.data  # what a session collected dies with it
    row.last_text_digest = digest
    row.last_text_chars = len(text)
    row.last_reply = answer.reply
    row.ended = answer.ended
    row.updated_at = now


def purge_sessions(session: Session, before: datetime, limit: int = PURGE_BATCH) -> int:
    """Delete sessions untouched since ``before`` (a gateway session lasts minutes)."""
    old = select(UssdSession.session_id).where(UssdSession.updated_at < before).limit(limit)
    ids = list(session.scalars(old))
    if ids:
        session.execute(delete(UssdSession).where(UssdSession.session_id.in_(ids)))
    return len(ids)
