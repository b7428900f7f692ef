"""A group's loan application: apply (an official, within the group limit, with the split
and the schedule), the draw of approvers, the decisions at both gates, and lapsing.

Rules (docs/groups.md, "Applying"):
- Only an active official of an active group applies, with at least the product's minimum of
  active members and no other open application. The group is rescored first; the amount must
  be within the product's range and the fresh limit.
- The split names active members only, each at most once, shares >= 0 summing to the amount;
  active members left out get a share of 0 (a row is stored for every active member).
- The schedule is ``instalments`` (the product's: 6 monthly, reducing balance) or
  ``lump_sum`` (all at the end: the same schedule with every instalment but the last in
  full grace, so interest runs on the whole balance); quoted by the instalment engine.
- The draw: a fresh seed from ``secrets``, the candidates (active ordinary members, ascending
  ids: never an official, so never the applicant), ``app.groups.draw``; all three stored.
  Fewer candidates than the product's ``drawn_approvers``: the group cannot apply.
- The approvers: the drawn members, then the officials other than the applicant. The
  application gate is asked at once (``app.groups.gates``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.approvals import engine
from app.approvals.models import (
    ApprovalDecision,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    Verdict,
)
from app.groups import errors
from app.groups.actors import borrower_actor
from app.groups.arrears import members_in_arrears
from app.groups.draw import TooFew, draw, new_seed
from app.groups.formation import has_open_application
from app.groups.gates import ApplicationGate, ask_gate
from app.groups.membership import active_members, get_group, group_product, require_official
from app.groups.models import (
    ApplicationStatus,
    GroupApplication,
    GroupApplicationShare,
    GroupStatus,
    Role,
    Schedule,
)
from app.groups.schedule_quotes import quote_schedule
from app.groups.standing import Trigger, rescore
from app.products.terms import ProductTerms
from ledger import Ledger

GROUP_REQUEST_KINDS = tuple(
    kind.value
    for kind in (
        ApprovalKind.GROUP_APPLICATION,
        ApprovalKind.GROUP_PAYOUT,
        ApprovalKind.GROUP_OFFICIALS,
    )
)
"""The requests borrowers decide (staff kinds are never shown to or decided by them)."""


@dataclass(frozen=True, slots=True)
class NewApplication:
    group_id: int
    amount_minor: int
    schedule: Schedule
    shares: Mapping[int, int]
    """Borrower id -> share of the amount (minor units)."""


def apply(
    session: Session, ledger: Ledger, applicant_id: int, new: NewApplication, now: datetime
) -> GroupApplication:
    group = get_group(session, new.group_id, lock=True)
    require_official(session, group.id, applicant_id)
    if group.status != GroupStatus.ACTIVE:
        raise errors.GroupNotActive("The group's three officials have not all accepted yet")
    product = group_product(session, group.product_id)
    rules, terms = product.rules, ProductTerms.of(product.product)
    members = active_members(session, group.id)
    if members_in_arrears(session, [m.borrower_id for m in members]):
        raise errors.GroupArrearsBlocks(
            "A member's group loan is in arrears: no new loans until it has caught up"
        )
    if len(members) < rules.min_members:
        raise errors.TooFewMembers(f"A group needs {rules.min_members} active members to apply")
    if has_open_application(session, group.id):
        raise errors.OpenApplicationBlocks("The group already has an open application")
    limit = rescore(session, group.id, Trigger.APPLICATION, now).limit_minor
    if not terms.min_amount_minor <= new.amount_minor <= terms.max_amount_minor:
        raise errors.OverGroupLimit(
            f"Group loans are {terms.min_amount_minor // 100:,} to "
            f"{terms.max_amount_minor // 100:,} shillings"
        )
    if new.amount_minor > limit:
        raise errors.OverGroupLimit(f"The group's limit is {limit // 100:,} shillings")
    shares = _split(new, [m.borrower_id for m in members])
    quote_schedule(terms, new.amount_minor, new.schedule, now.date())  # refuses a bad schedule
    candidates = sorted(m.borrower_id for m in members if m.role == Role.MEMBER)
    seed = new_seed()
    try:
        drawn = draw(seed, candidates, rules.drawn_approvers)
    except TooFew:
        raise errors.TooFewToDraw(
            f"The group needs at least {rules.drawn_approvers} members who are not officials"
        ) from None
    others = sorted(
        m.borrower_id for m in members if m.role != Role.MEMBER and m.borrower_id != applicant_id
    )
    if len(others) < rules.official_approvers:
        raise errors.GroupNotActive("The group lacks the officials to approve")
    application = GroupApplication(
        group_id=group.id,
        applicant_id=applicant_id,
        product_id=product.product.id,
        product_terms=terms.snapshot(),
        amount_minor=new.amount_minor,
        schedule=new.schedule.value,
        group_limit_minor=limit,
        status=ApplicationStatus.PENDING_APPROVAL.value,
        draw_seed=seed,
        draw_candidates=candidates,
        drawn=drawn,
        approvers=drawn + others[: rules.official_approvers],
        created_at=now,
    )
    session.add(application)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the partial unique index: one open application per group
        raise errors.OpenApplicationBlocks("The group already has an open application") from None
    session.add_all(
        GroupApplicationShare(application_id=application.id, borrower_id=b, amount_minor=a)
        for b, a in shares.items()
    )
    session.flush()
    application.approval_request_id = ask_gate(
        session, ledger, ApplicationGate, application, now
    ).id
    session.flush()
    return application


@dataclass(frozen=True, slots=True)
class Vote:
    borrower_id: int
    verdict: Verdict
    note: str | None = None


def decide(
    session: Session, ledger: Ledger, request_id: int, vote: Vote, now: datetime
) -> engine.Decision:
    """A borrower's verdict on a group request (an application gate or an official change);
    any other request is not theirs to see (404)."""
    request = session.get(ApprovalRequest, request_id)
    if request is None or request.kind not in GROUP_REQUEST_KINDS:
        raise engine.ApprovalNotFound(f"No group request {request_id}")
    ruling = engine.Ruling(borrower_actor(vote.borrower_id), vote.verdict, vote.note)
    return engine.decide(session, ledger, None, request_id, ruling, now)


def pending_for(session: Session, borrower_id: int, now: datetime) -> list[ApprovalRequest]:
    """The group requests waiting for this borrower's decision (not expired, not decided by
    them), oldest first."""
    me = borrower_actor(borrower_id).username
    requests = session.scalars(
        select(ApprovalRequest)
        .where(
            ApprovalRequest.kind.in_(GROUP_REQUEST_KINDS),
            ApprovalRequest.status == ApprovalStatus.PENDING.value,
            ApprovalRequest.expires_at > now,
            ApprovalRequest.maker != me,
        )
        .order_by(ApprovalRequest.id)
    ).all()
    decided = set(
        session.scalars(
            select(ApprovalDecision.request_id).where(ApprovalDecision.decider == me)
        ).all()
    )
    return [
        r
        for r in requests
        if r.id not in decided
        and borrower_id in (r.payload.get("approvers") or r.payload.get("officials") or [])
    ]


def touch(session: Session, application: GroupApplication, now: datetime) -> GroupApplication:
    """Lapse the application now if its open gate's deadline passed (lazily, on reading)."""
    for request_id in (application.approval_request_id, application.payout_request_id):
        if request_id is not None:
            engine.expire_if_due(session, request_id, now)
    session.refresh(application)
    return application


def shares_of(session: Session, application_id: int) -> list[GroupApplicationShare]:
    return list(
        session.scalars(
            select(GroupApplicationShare)
            .where(GroupApplicationShare.application_id == application_id)
            .order_by(GroupApplicationShare.borrower_id)
        )
    )


def _split(new: NewApplication, active: list[int]) -> dict[int, int]:
    unknown = set(new.shares) - set(active)
    if unknown:
        raise errors.InvalidSplit("The split names someone who is not an active member")
    if any(amount < 0 for amount in new.shares.values()):
        raise errors.InvalidSplit("A share cannot be negative")
    if sum(new.shares.values()) != new.amount_minor:
        raise errors.InvalidSplit("The shares must add up to the amount")
    return {borrower_id: int(new.shares.get(borrower_id, 0)) for borrower_id in active}
