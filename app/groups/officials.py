"""Changing a group's official by a vote of the officials: a kind of the four-eyes engine.

An official proposes that an active ordinary member take an office (their own or another's);
the proposal is the maker's vote, and one more official's approval carries it (2 of 3); any
official's rejection rejects it; it lapses at the product's deadline. When carried (checked
again: the office's holder unchanged, the newcomer still an active ordinary member), the
outgoing official becomes an ordinary member and the newcomer takes the office. One pending
proposal per group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.approvals import engine
from app.approvals.kinds import Approved, DecisionPolicy, KindRules
from app.approvals.models import ApprovalKind, ApprovalRequest
from app.audit.log import Actor
from app.groups import errors
from app.groups.actors import borrower_actor
from app.groups.gates import gate_policy
from app.groups.membership import (
    get_group,
    group_product,
    live_membership,
    officials,
    require_official,
)
from app.groups.models import GroupStatus, MemberStatus, Role
from ledger import Ledger

VOTES_TO_CARRY = 2
"""Of the three officials: the proposer and one more."""


class OfficialChange(KindRules):
    kind = ApprovalKind.GROUP_OFFICIALS
    effect = "group.official_changed"

    def __init__(self, policy: DecisionPolicy | None = None) -> None:
        self.policy = policy or DecisionPolicy()

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        group_id, role = int(asked["group_id"]), Role(str(asked["role"]))
        holder = _holder(session, group_id, role)
        return {
            "group_id": group_id,
            "role": role.value,
            "borrower_id": int(asked["borrower_id"]),
            "outgoing_id": holder,
            "officials": sorted(m.borrower_id for m in officials(session, group_id)),
        }

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return "group", str(payload["group_id"])

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        group_id, role = int(payload["group_id"]), Role(str(payload["role"]))
        group = get_group(session, group_id, lock=True)
        if group.status != GroupStatus.ACTIVE:
            raise errors.GroupNotActive("Officials change by vote once the group is active")
        if _holder(session, group_id, role) != payload["outgoing_id"]:
            raise errors.OfficialChangeInvalid(f"The {role.value} changed since the proposal")
        newcomer = live_membership(session, group_id, int(payload["borrower_id"]))
        if (
            newcomer is None
            or newcomer.status != MemberStatus.ACTIVE
            or newcomer.role != Role.MEMBER
        ):
            raise errors.OfficialChangeInvalid("Propose an active member who holds no office")
        return {"role": role.value, "holder": payload["outgoing_id"]}

    def apply(self, approved: Approved) -> dict[str, Any]:
        session, _ledger, approval, _checker, _now = approved.parts()
        payload = approval.payload
        group_id = int(payload["group_id"])
        outgoing = live_membership(session, group_id, int(payload["outgoing_id"]))
        newcomer = live_membership(session, group_id, int(payload["borrower_id"]))
        assert outgoing is not None  # checked just before
        assert newcomer is not None
        outgoing.role = Role.MEMBER.value
        session.flush()  # the office is free before the newcomer takes it (a unique index)
        newcomer.role = str(payload["role"])
        session.flush()
        return {"role": payload["role"], "holder": newcomer.borrower_id}

    def eligible(self, session: Session, approval: ApprovalRequest, decider: Actor) -> str | None:
        voters = {borrower_actor(b).username for b in approval.payload.get("officials", [])}
        if decider.username not in voters:
            return "Only the group's officials vote on a change of official"
        return None


OFFICIAL_CHANGE = OfficialChange()


@dataclass(frozen=True, slots=True)
class Proposal:
    group_id: int
    role: Role
    borrower_id: int
    """The active ordinary member proposed for the office."""


def propose_official(
    session: Session, ledger: Ledger, proposer_id: int, proposal: Proposal, now: datetime
) -> ApprovalRequest:
    """An official proposes a member for an office; their proposal is their vote."""
    group_id, role, borrower_id = proposal.group_id, proposal.role, proposal.borrower_id
    if role == Role.MEMBER:
        raise errors.OfficialChangeInvalid("Propose someone for chair, secretary or treasurer")
    require_official(session, group_id, proposer_id)
    group = get_group(session, group_id)
    rules = group_product(session, group.product_id).rules
    handler = OfficialChange(gate_policy(VOTES_TO_CARRY - 1, rules.approval_hours))
    asked = {"group_id": group_id, "role": role.value, "borrower_id": borrower_id}
    ask = engine.Ask(handler, asked, f"{role.value} change")
    return engine.submit(session, ledger, ask, borrower_actor(proposer_id), now).approval


def _holder(session: Session, group_id: int, role: Role) -> int:
    holder = next((m.borrower_id for m in officials(session, group_id) if m.role == role), None)
    if holder is None:
        raise errors.OfficialChangeInvalid(f"The group has no {role.value}")
    return holder
