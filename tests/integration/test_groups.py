"""Group lending's use cases against a fund (SQLite and PostgreSQL): forming a group, its
membership rules, the score, applying, the draw, both gates, lapsing and votes of the
officials (docs/groups.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.approvals import engine
from app.approvals.kinds import handler_for
from app.approvals.models import ApprovalRequest, Verdict
from app.audit.log import Actor
from app.errors import DomainError
from app.groups import formation
from app.groups.draw import draw
from app.groups.models import (
    Group,
    GroupApplication,
    GroupApplicationShare,
    GroupMember,
    GroupRules,
    GroupScore,
    Role,
    Schedule,
)
from app.groups.officials import Proposal, propose_official
from app.groups.tasks import review_groups
from app.lending.errors import ProductUnavailable
from ledger import Ledger
from tests.e2e.test_ussd_dialler import set_limit
from tests.support.groups import (
    accept,
    application,
    apply_for,
    create,
    decide,
    form_group,
    invitation_of,
    invite,
    phone_of,
    register_people,
)
from tests.support.lending import KES, Fund


@contextmanager
def refused(code: str) -> Iterator[None]:
    """The block is refused with a domain error of this code."""
    with pytest.raises(DomainError) as info:
        yield
    assert info.value.code == code, (info.value.code, info.value.detail)


def set_rules(fund: Fund, **values: int) -> None:
    with fund.sessions.unit_of_work() as session:
        session.execute(update(GroupRules).values(**values))


def members_of(fund: Fund, group_id: int) -> dict[int, tuple[str, str]]:
    with fund.sessions.reader() as session:
        rows = session.scalars(select(GroupMember).where(GroupMember.group_id == group_id))
        return {m.borrower_id: (m.role, m.status) for m in rows if m.status != "declined"}


def group_status(fund: Fund, group_id: int) -> str:
    with fund.sessions.reader() as session:
        group = session.get(Group, group_id)
        assert group is not None
        return group.status


OFFICIALS = {Role.SECRETARY: phone_of(1), Role.TREASURER: phone_of(2)}


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("MSEA-1234567", "invalid_registration_number"),
        ("MSEA/9123456", "registration_not_found"),
        ("SS/1234500", "registration_deregistered"),
    ],
)
def test_the_registration_number_is_checked_against_the_register(
    fund: Fund, number: str, code: str
) -> None:
    chair = register_people(fund, 3)[0]
    with refused(code):
        create(fund, chair, OFFICIALS, number)


def test_a_registration_number_makes_one_group_and_officials_are_three_borrowers(
    fund: Fund,
) -> None:
    people = register_people(fund, 4)
    create(fund, people[0], OFFICIALS)
    with refused("registration_taken"):
        create(fund, people[3], {Role.SECRETARY: phone_of(1), Role.TREASURER: phone_of(2)})
    with refused("not_an_opted_in_borrower"):
        create(
            fund, people[3], {Role.SECRETARY: "0712999955", Role.TREASURER: phone_of(2)}, "SS/55555"
        )
    with refused("official_change_invalid"):
        create(
            fund, people[3], {Role.SECRETARY: phone_of(3), Role.TREASURER: phone_of(3)}, "SS/55555"
        )


def test_the_group_is_forming_until_both_officials_accept_and_a_declined_office_is_refilled(
    fund: Fund,
) -> None:
    people = register_people(fund, 4)
    group_id = create(fund, people[0], OFFICIALS)
    accept(fund, people[1], invitation_of(fund, people[1], group_id))
    assert group_status(fund, group_id) == "forming"
    with fund.sessions.unit_of_work() as session:
        formation.decline(
            session, people[2], invitation_of(fund, people[2], group_id), fund.clock()
        )
    with fund.sessions.unit_of_work() as session:
        asked = formation.Invitation(group_id, phone_of(3), Role.TREASURER)
        formation.invite(session, fund.ports.blind_index, people[0], asked, fund.clock())
    accept(fund, people[3], invitation_of(fund, people[3], group_id))
    assert group_status(fund, group_id) == "active"
    assert members_of(fund, group_id) == {
        people[0]: ("chair", "active"),
        people[1]: ("secretary", "active"),
        people[3]: ("treasurer", "active"),
    }


def test_invitations_one_live_membership_and_the_groups_a_borrower_may_join(fund: Fund) -> None:
    group = form_group(fund, size=4)
    newcomer = register_people(fund, 1, start=20)[0]
    invite(fund, group.chair, group.group_id, phone_of(20))
    with refused("already_in_group"):
        invite(fund, group.secretary, group.group_id, phone_of(20))
    with refused("not_an_official"):
        invite(fund, group.ordinary[0], group.group_id, phone_of(21))
    with refused("invalid_phone_number"):
        invite(fund, group.chair, group.group_id, "12345")
    set_rules(fund, max_groups_per_borrower=1)
    register_people(fund, 2, start=30)
    with refused("too_many_groups"):  # the newcomer's invitation counts
        create(
            fund, newcomer, {Role.SECRETARY: phone_of(30), Role.TREASURER: phone_of(31)}, "SS/77777"
        )
    with refused("invitation_not_found"):
        accept(fund, group.chair, invitation_of(fund, newcomer, group.group_id))


def test_members_leave_or_are_removed_but_officials_stay_until_voted_out(fund: Fund) -> None:
    group = form_group(fund, size=5)
    leaver, removed = group.ordinary
    with fund.sessions.unit_of_work() as session:
        formation.leave(session, leaver, group.group_id, fund.clock())
    with refused("not_an_official"), fund.sessions.unit_of_work() as session:
        formation.remove(session, removed, group.group_id, group.chair, fund.clock())
    with fund.sessions.unit_of_work() as session:
        formation.remove(session, group.treasurer, group.group_id, removed, fund.clock())
    with refused("official_cannot_leave"), fund.sessions.unit_of_work() as session:
        formation.leave(session, group.chair, group.group_id, fund.clock())
    states = members_of(fund, group.group_id)
    assert (states[leaver], states[removed]) == (("member", "left"), ("member", "removed"))
    invite(fund, group.chair, group.group_id, phone_of(3))  # may be invited again
    assert members_of(fund, group.group_id)[leaver] == ("member", "invited")


def test_an_application_draws_three_ordinary_members_and_asks_two_other_officials(
    fund: Fund,
) -> None:
    group = form_group(fund)
    applied = apply_for(fund, group, applicant=group.secretary, schedule=Schedule.LUMP_SUM)
    assert applied.status == "pending_approval"
    assert applied.draw_candidates == sorted(group.ordinary)
    assert draw(applied.draw_seed, applied.draw_candidates, 3) == applied.drawn
    assert applied.approvers == [*applied.drawn, group.chair, group.treasurer]
    assert group.secretary not in applied.approvers
    with fund.sessions.reader() as session:
        request = session.get(ApprovalRequest, applied.approval_request_id)
        assert request is not None
        assert (request.kind, request.approvals_needed, request.maker) == (
            "group_application",
            5,
            f"borrower:{group.secretary}",
        )
        assert request.expires_at - request.created_at == timedelta(hours=72)
        score = session.scalar(select(GroupScore).where(GroupScore.trigger == "application"))
        assert score is not None
        assert score.limit_minor == applied.group_limit_minor == 75_000 * KES


def test_applying_is_refused_outside_the_rules(fund: Fund) -> None:
    group = form_group(fund)
    with refused("not_an_official"):
        apply_for(fund, group, applicant=group.ordinary[0])
    with refused("over_group_limit"):
        apply_for(fund, group, amount_minor=80_000 * KES)
    with refused("over_group_limit"):
        apply_for(fund, group, amount_minor=10_000 * KES)
    with refused("invalid_split"):
        apply_for(fund, group, shares={group.chair: 29_000 * KES})
    with refused("invalid_split"):
        apply_for(fund, group, shares={group.chair: 30_000 * KES, 999_999: 0})
    with refused("invalid_split"):
        apply_for(fund, group, shares={group.chair: 31_000 * KES, group.secretary: -1_000 * KES})
    apply_for(fund, group, shares={group.chair: 30_000 * KES})
    with refused("open_application_blocks"):
        apply_for(fund, group)
    with refused("open_application_blocks"), fund.sessions.unit_of_work() as session:
        formation.leave(session, group.ordinary[0], group.group_id, fund.clock())


def test_too_few_members_or_too_few_to_draw_cannot_apply(fund: Fund) -> None:
    """Five members: under the minimum of ten; with a minimum of five, two ordinary members
    are too few to draw three from."""
    small = form_group(fund, size=5)
    with refused("too_few_members"):
        apply_for(fund, small, amount_minor=20_000 * KES)
    set_rules(fund, min_members=5)
    with refused("too_few_to_draw"):
        apply_for(fund, small, amount_minor=20_000 * KES, shares={small.chair: 20_000 * KES})


def test_every_approver_approves_both_gates_and_the_application_is_ready_for_payout(
    fund: Fund,
) -> None:
    group = form_group(fund)
    applied = apply_for(fund, group)
    for approver in applied.approvers[:-1]:
        assert not decide(fund, approver, applied.approval_request_id).applied
    assert decide(fund, applied.approvers[-1], applied.approval_request_id).applied
    gated = application(fund, applied.id)
    assert gated.status == "pending_payout_approval"
    assert gated.payout_request_id is not None
    for approver in gated.approvers:
        decide(fund, approver, gated.payout_request_id)
    done = application(fund, applied.id)
    assert done.status == "ready_for_payout"
    assert done.closed_at == fund.clock()


def test_only_the_approvers_decide_once_each_never_the_applicant(fund: Fund) -> None:
    group = form_group(fund)
    applied = apply_for(fund, group)
    outsider = next(b for b in group.ordinary if b not in applied.approvers)
    with refused("not_eligible_to_decide"):
        decide(fund, outsider, applied.approval_request_id)
    with refused("four_eyes"):
        decide(fund, group.chair, applied.approval_request_id)
    decide(fund, applied.approvers[0], applied.approval_request_id)
    with refused("already_decided"):
        decide(fund, applied.approvers[0], applied.approval_request_id)


def test_one_rejection_rejects_at_either_gate(fund: Fund) -> None:
    group = form_group(fund)
    first = apply_for(fund, group)
    decide(fund, first.approvers[0], first.approval_request_id)
    decide(fund, first.approvers[1], first.approval_request_id, Verdict.REJECT)
    assert application(fund, first.id).status == "rejected"
    second = apply_for(fund, group)
    for approver in second.approvers:
        decide(fund, approver, second.approval_request_id)
    payout = application(fund, second.id).payout_request_id
    assert payout is not None
    decide(fund, second.approvers[3], payout, Verdict.REJECT)
    assert application(fund, second.id).status == "rejected"


def test_short_of_approvals_at_the_deadline_the_application_lapses(fund: Fund) -> None:
    group = form_group(fund)
    swept = apply_for(fund, group)
    decide(fund, swept.approvers[0], swept.approval_request_id)
    fund.clock.advance(seconds=72 * 3600)
    with fund.sessions.unit_of_work() as session:
        assert engine.expire_due(session, fund.clock()) == 1
    assert application(fund, swept.id).status == "lapsed"
    touched = apply_for(fund, group)
    fund.clock.advance(seconds=72 * 3600)
    lapsed = decide(fund, touched.approvers[0], touched.approval_request_id)
    assert lapsed.failure is not None
    assert lapsed.failure.code == "approval_expired"
    assert application(fund, touched.id).status == "lapsed"
    apply_for(fund, group)  # a lapsed application is closed: the group may apply again


def test_a_staff_request_is_not_a_borrower_s_to_decide(fund: Fund) -> None:
    group = form_group(fund)
    with fund.sessions.unit_of_work() as session:
        ask = engine.Ask(
            handler_for("limit_override"),
            {"borrower_id": group.chair, "limit_minor": 100 * KES},
            "test",
        )
        request = engine.submit(
            session, Ledger(session, fund.clock), ask, Actor("amina", "admin"), fund.clock()
        )
        request_id = request.approval.id
    with refused("approval_not_found"):
        decide(fund, group.secretary, request_id)


def test_officials_change_by_a_vote_of_two_of_the_three(fund: Fund) -> None:
    group = form_group(fund)
    newcomer = group.ordinary[0]
    with fund.sessions.unit_of_work() as session:
        proposal = Proposal(group.group_id, Role.TREASURER, newcomer)
        request = propose_official(
            session, Ledger(session, fund.clock), group.chair, proposal, fund.clock()
        )
        request_id = request.id
    with refused("not_eligible_to_decide"):
        decide(fund, group.ordinary[1], request_id)
    assert decide(fund, group.treasurer, request_id).applied
    states = members_of(fund, group.group_id)
    assert states[newcomer] == ("treasurer", "active")
    assert states[group.treasurer] == ("member", "active")
    with fund.sessions.unit_of_work() as session:
        formation.leave(session, group.treasurer, group.group_id, fund.clock())  # now may leave
    with refused("official_change_invalid"), fund.sessions.unit_of_work() as session:
        bad = Proposal(group.group_id, Role.CHAIR, group.secretary)
        propose_official(session, Ledger(session, fund.clock), group.chair, bad, fund.clock())


def test_the_daily_review_rescores_active_groups_not_scored_for_a_day(fund: Fund) -> None:
    group = form_group(fund)
    assert review_groups(fund.sessions, fund.clock) == 1
    assert review_groups(fund.sessions, fund.clock) == 0
    fund.clock.advance(seconds=86_400)
    assert review_groups(fund.sessions, fund.clock) == 1
    with fund.sessions.reader() as session:
        scored = session.get(Group, group.group_id)
        assert scored is not None
        assert (scored.score, scored.limit_minor) == (70, 75_000 * KES)


def test_the_database_refuses_a_second_live_membership_a_second_holder_and_bad_rows(
    fund: Fund,
) -> None:
    group = form_group(fund)
    applied = apply_for(fund, group)
    now = fund.clock()
    member = group.ordinary[0]
    bad_rows = [
        GroupMember(
            group_id=group.group_id,
            borrower_id=member,
            role="member",
            status="invited",
            invited_at=now,
        ),
        GroupMember(
            group_id=group.group_id,
            borrower_id=register_people(fund, 1, 50)[0],
            role="chair",
            status="invited",
            invited_at=now,
        ),
        GroupMember(
            group_id=group.group_id,
            borrower_id=member,
            role="member",
            status="left",
            invited_at=now,
        ),  # left without dates
        GroupApplicationShare(application_id=applied.id, borrower_id=member, amount_minor=-1),
    ]
    for row in bad_rows:
        with pytest.raises(IntegrityError), fund.sessions.unit_of_work() as session:
            session.add(row)
    with pytest.raises(IntegrityError), fund.sessions.unit_of_work() as session:
        session.execute(
            update(GroupApplication)
            .where(GroupApplication.id == applied.id)
            .values(status="ready_for_payout")  # without closed_at
        )


def test_an_individual_is_never_lent_the_group_product(fund: Fund) -> None:
    borrower_id = fund.register()
    set_limit(fund, borrower_id, 50_000 * KES, "A1")
    with pytest.raises(ProductUnavailable):
        fund.request(borrower_id, 20_000 * KES, "group-as-individual", product="group")
