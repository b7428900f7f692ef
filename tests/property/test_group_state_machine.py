"""Groups as a state machine: Hypothesis drives one group through invitations, acceptances,
members leaving, applications, approvals, rejections and deadlines passing, and checks the
database against a model after every step: who is an active member, which application is
open and at which gate, that at most one is open, that its draw is the stored seed's, and
that nobody left while an application was open.

One database (per backend) serves every example: each example forms its own group with its
own people (national IDs, phones and registration numbers from a counter)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, update

from app.approvals import engine
from app.approvals.models import Verdict
from app.borrowers.models import Borrower
from app.errors import DomainError
from app.groups import formation
from app.groups.draw import draw
from app.groups.models import (
    OPEN_APPLICATION_STATUSES,
    GroupApplication,
    GroupMember,
    GroupRules,
    Role,
)
from tests.property.test_lending_properties import MACHINE_SETTINGS as LENDING_MACHINE
from tests.support.groups import (
    MEMBER_BAND,
    MEMBER_LIMIT,
    FormedGroup,
    accept,
    apply_for,
    create,
    decide,
    invitation_of,
    invite,
)
from tests.support.lending import KES, Fund

MACHINE_SETTINGS = settings(LENDING_MACHINE, max_examples=20)
"""The lending machine's settings (deterministic, no example database), fewer examples."""
_GROUPS = itertools.count(10_000)
DEADLINE = timedelta(hours=72)
SIZE = 10
EXTRAS = 3
AMOUNT = 20_000 * KES
OPEN = {s.value for s in OPEN_APPLICATION_STATUSES}


_POOLS: dict[int, list[tuple[int, str]]] = {}


def people_of(fund: Fund) -> list[tuple[int, str]]:
    """The test's people (borrower id, phone), registered at the first example: registering
    is slow (the simulators build a wallet history), so every example's group has the same
    people, and the product lets one borrower be in as many groups as the examples make."""
    key = id(fund.sessions)
    if key not in _POOLS:
        pool = []
        for n in range(SIZE + EXTRAS):
            phone = f"07130000{n + 10:02d}"
            pool.append((fund.register(national_id=f"3{n:06d}1", phone=phone), phone))
        with fund.sessions.unit_of_work() as session:
            session.execute(
                update(Borrower)
                .where(Borrower.id.in_([b for b, _ in pool]))
                .values(credit_limit_minor=MEMBER_LIMIT, score_band=MEMBER_BAND)
            )
            session.execute(update(GroupRules).values(max_groups_per_borrower=1_000))
        _POOLS[key] = pool
    return _POOLS[key]


def refusal(act: Callable[[], object]) -> str | None:
    """The code of the domain refusal ``act`` met, or None if it went through."""
    try:
        act()
    except DomainError as refused:
        return refused.code
    return None


@dataclass
class Model:
    roles: dict[int, str] = field(default_factory=dict)
    """Active members and their role."""
    invited: set[int] = field(default_factory=set)
    outside: set[int] = field(default_factory=set)
    application_id: int | None = None
    status: str | None = None
    approvers: list[int] = field(default_factory=list)
    decided: set[int] = field(default_factory=set)
    deadline: datetime | None = None
    """When the open gate lapses."""


class GroupMachine(RuleBasedStateMachine):
    def __init__(self, fund: Fund) -> None:
        super().__init__()
        self.fund = fund
        self.model = Model()
        self.phones: dict[int, str] = {}

    @initialize()
    def form(self) -> None:
        people = people_of(self.fund)
        self.phones = dict(people)
        ids = [b for b, _ in people]
        chair, secretary, treasurer = ids[:3]
        number = f"SS/{next(_GROUPS)}1"  # never ends in 00 (deregistered)
        offices = {Role.SECRETARY: self.phones[secretary], Role.TREASURER: self.phones[treasurer]}
        self.group_id = create(self.fund, chair, offices, number)
        for official in (secretary, treasurer):
            accept(self.fund, official, invitation_of(self.fund, official, self.group_id))
        for borrower_id in ids[3:SIZE]:
            accept(
                self.fund,
                borrower_id,
                invite(self.fund, chair, self.group_id, self.phones[borrower_id]),
            )
        self.group = FormedGroup(self.group_id, chair, secretary, treasurer, ids[:SIZE])
        self.model.roles = {chair: "chair", secretary: "secretary", treasurer: "treasurer"}
        self.model.roles |= dict.fromkeys(ids[3:SIZE], "member")
        self.model.outside = set(ids[SIZE:])

    def _open(self) -> bool:
        return self.model.status in OPEN

    @rule(data=st.data())
    @precondition(lambda self: bool(self.model.outside))
    def invite_someone(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(sorted(self.model.outside)))
        invite(self.fund, self.group.chair, self.group_id, self.phones[who])
        self.model.outside.discard(who)
        self.model.invited.add(who)

    @rule(data=st.data())
    @precondition(lambda self: bool(self.model.invited))
    def accept_invitation(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(sorted(self.model.invited)))
        accept(self.fund, who, invitation_of(self.fund, who, self.group_id))
        self.model.invited.discard(who)
        self.model.roles[who] = "member"

    @rule(data=st.data())
    @precondition(lambda self: "member" in self.model.roles.values())
    def member_leaves(self, data: st.DataObject) -> None:
        ordinary = sorted(b for b, r in self.model.roles.items() if r == "member")
        who = data.draw(st.sampled_from(ordinary))
        expected = "open_application_blocks" if self._open() else None
        assert refusal(lambda: self._leave(who)) == expected
        if expected is None:
            del self.model.roles[who]
            self.model.outside.add(who)

    def _leave(self, who: int) -> None:
        with self.fund.sessions.unit_of_work() as session:
            formation.leave(session, who, self.group_id, self.fund.clock())

    @rule()
    def apply(self) -> None:
        members = sorted(self.model.roles)
        expected = (
            "open_application_blocks"
            if self._open()
            else ("too_few_members" if len(members) < SIZE else None)
        )
        applied: list[GroupApplication] = []
        shares = {members[0]: AMOUNT}
        code = refusal(
            lambda: applied.append(apply_for(self.fund, self.group, AMOUNT, shares=shares))
        )
        assert code == expected
        if not applied:
            return
        ordinary = {b for b, r in self.model.roles.items() if r == "member"}
        assert set(applied[0].drawn) <= ordinary
        assert self.group.chair not in applied[0].approvers
        self.model.application_id, self.model.status = applied[0].id, "pending_approval"
        self.model.approvers, self.model.decided = list(applied[0].approvers), set()
        self.model.deadline = self.fund.clock() + DEADLINE

    def _request(self) -> int:
        row = self._application()
        request = (
            row.approval_request_id if row.status == "pending_approval" else row.payout_request_id
        )
        assert request is not None
        return request

    @rule(data=st.data(), verdict=st.sampled_from([Verdict.APPROVE] * 4 + [Verdict.REJECT]))
    @precondition(lambda self: self.model.status in ("pending_approval", "pending_payout_approval"))
    def someone_decides(self, data: st.DataObject, verdict: Verdict) -> None:
        undecided = [b for b in self.model.approvers if b not in self.model.decided]
        who = data.draw(st.sampled_from(undecided))
        decide(self.fund, who, self._request(), verdict)
        if verdict == Verdict.REJECT:
            self.model.status = "rejected"
            return
        self.model.decided.add(who)
        if len(self.model.decided) == len(self.model.approvers):
            self.model.decided = set()
            self.model.deadline = self.fund.clock() + DEADLINE
            self.model.status = (
                "pending_payout_approval"
                if self.model.status == "pending_approval"
                else "ready_for_payout"
            )

    @rule(hours=st.sampled_from([1, 24, 72]))
    def time_passes(self, hours: int) -> None:
        self.fund.clock.advance(seconds=hours * 3600)
        with self.fund.sessions.unit_of_work() as session:
            engine.expire_due(session, self.fund.clock())
        pending = self.model.status in ("pending_approval", "pending_payout_approval")
        if pending and self.model.deadline is not None and self.fund.clock() >= self.model.deadline:
            self.model.status = "lapsed"

    def _application(self) -> GroupApplication:
        with self.fund.sessions.reader() as session:
            row = session.get(GroupApplication, self.model.application_id)
            assert row is not None
            return row

    @invariant()
    def the_database_agrees_with_the_model(self) -> None:
        if not hasattr(self, "group_id"):
            return
        with self.fund.sessions.reader() as session:
            rows = session.scalars(
                select(GroupMember).where(GroupMember.group_id == self.group_id)
            ).all()
            active = {m.borrower_id: m.role for m in rows if m.status == "active"}
            invited = {m.borrower_id for m in rows if m.status == "invited"}
            applications = session.scalars(
                select(GroupApplication).where(GroupApplication.group_id == self.group_id)
            ).all()
        assert active == self.model.roles
        assert invited == self.model.invited
        assert sum(a.status in OPEN for a in applications) <= 1
        for application in applications:
            assert draw(application.draw_seed, application.draw_candidates, 3) == application.drawn
        if self.model.application_id is not None:
            assert self._application().status == self.model.status
            event(f"application {self.model.status}")


def test_random_days_of_a_group_keep_its_rules(fund: Fund) -> None:
    run_state_machine_as_test(lambda: GroupMachine(fund), settings=MACHINE_SETTINGS)
