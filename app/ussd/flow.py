"""One USSD hop, from the gateway's form to the reply: the engine of the state machine.

A hop runs in one transaction with its session row locked: the row says which screen is
waiting, the hop's new input goes to that screen's state, and the reply and the next state
are stored before commit. A state that needs a slow KDF (a PIN to check or hash) answers
``Slow``: the transaction ends without writing, the work runs outside any transaction, and a
second transaction applies the result if the row has not moved on meanwhile (if it has, the
same hop re-sent was answered already, and that answer is given). Worker tasks are handed
over only after the hop has committed. Invariant: a re-sent hop gets the same reply and acts
never, because every action commits together with the session row it advances.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.ussd import account, groups, money_moves, onboarding, screens, store  # noqa: F401 (states)
from app.ussd.gateway import Hop, Reply
from app.ussd.models import UssdSession
from app.ussd.steps import HOME, STATES, Ctx, Outcome, Screen, Slow, UssdEnv, show
from app.ussd.store import HopKind, Reading
from integrations.payments.networks import Network, network_of_ussd_code
from integrations.phone import InvalidMsisdn, normalise_msisdn

log = structlog.get_logger("mkopo.ussd")

BACK_KEY = "0"
MAIN_MENU_KEY = "00"


def answer_hop(env: UssdEnv, hop: Hop) -> str:
    """The reply to one hop (``CON ...``/``END ...``)."""
    return _answer(env, hop)


def _ending(text: str) -> str:
    return Reply(text, end=True).render()


def _answer(env: UssdEnv, hop: Hop) -> str:
    try:
        msisdn = normalise_msisdn(hop.phone_number)
    except InvalidMsisdn:
        return _ending(screens.NOT_KENYAN)
    phone_index = env.blind_index.digest("msisdn", msisdn)

    def digest_of(text: str) -> str:
        return store.text_digest(env.blind_index, hop.session_id, text)

    digest = digest_of(hop.text)
    with env.sessions.unit_of_work() as session:
        now = env.clock()
        row = store.claim(session, hop, phone_index, now)
        if row.phone_index != phone_index:
            return _ending(screens.NOT_YOUR_SESSION)
        reading = store.read_hop(row, hop.text, digest, digest_of)
        if reading.kind in (HopKind.RESENT, HopKind.STALE):
            return row.last_reply
        if row.ended:
            return _ending(screens.SESSION_OVER)
        ctx = _context(env, session, row, msisdn, phone_index, now)
        if reading.kind is HopKind.FIRST:
            check_network(hop, ctx.borrower)
        outcome = _run(ctx, row.state, reading)
        if isinstance(outcome, Screen):
            return _save(row, hop, digest, ctx, outcome)
        version = row.hops
    result = outcome.work()  # no transaction is open here
    with env.sessions.unit_of_work() as session:
        now = env.clock()
        locked = store.lock(session, hop.session_id)
        assert locked is not None  # sessions are purged only long after they end
        if locked.hops != version:  # the same hop, re-sent, was answered meanwhile
            return locked.last_reply
        ctx = _context(env, session, locked, msisdn, phone_index, now)
        return _save(locked, hop, digest, ctx, outcome.then(ctx, result))


def check_network(hop: Hop, borrower: Borrower | None) -> Network | None:
    """The network the gateway says the call came from, when it says one; a disagreement with
    the borrower's stored network (the number's, set at opt-in) is logged, never refused: the
    gateway's code may be missing or wrong (roaming, a test gateway), while the number's
    range decides where money goes. Checked on a session's first hop."""
    said = network_of_ussd_code(hop.network_code)
    if said is not None and borrower is not None and borrower.network != said:
        log.warning(
            "ussd_network_mismatch",
            session_id=hop.session_id,
            network_code=hop.network_code,
            borrower_network=borrower.network,
        )
    return said


def _context(
    env: UssdEnv, session: Session, row: UssdSession, msisdn: str, phone_index: str, now: datetime
) -> Ctx:
    borrower = session.scalar(select(Borrower).where(Borrower.phone_index == phone_index))
    return Ctx(
        env, session, now, row.session_id, row.hops, msisdn, phone_index, borrower, dict(row.data)
    )


def _run(ctx: Ctx, state: str, reading: Reading) -> Outcome:
    """Apply the hop's inputs: the first hop starts at home (and may carry inputs dialled with
    the service code); a later hop brings one input."""
    outcome: Outcome = show(ctx, HOME) if reading.kind is HopKind.FIRST else Screen("", state)
    for position, raw in enumerate(reading.inputs):
        assert isinstance(outcome, Screen)
        if outcome.end:
            break
        current = outcome.state
        outcome = step(ctx, current, raw.strip())
        dialled = reading.kind is HopKind.FIRST or position < len(reading.inputs) - 1
        if isinstance(outcome, Slow) and dialled:
            return show(ctx, current)  # a PIN is typed at its own prompt, never dialled
    return outcome


def step(ctx: Ctx, state: str, entry: str) -> Outcome:
    """The answer of the state waiting for input to one entry; ``0`` and ``00`` navigate."""
    if entry == MAIN_MENU_KEY:
        return show(ctx, HOME)
    current = STATES.get(state)
    if current is None or (current.members_only and ctx.member is None):
        return show(ctx, HOME)
    if entry == BACK_KEY:
        return show(ctx, current.back)
    return current.answer(ctx, entry)


def _save(row: UssdSession, hop: Hop, digest: str, ctx: Ctx, screen: Screen) -> str:
    reply = Reply(screen.text, screen.end).render()
    answer = store.Answer(reply, screen.state, ctx.data, screen.end)
    store.save(row, hop.text, digest, answer, ctx.now)
    return reply
