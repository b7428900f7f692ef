"""Groups to test against: opted-in people with limits and bands, a group formed by its three
officials with members who accepted, and the use cases run in their own transactions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update

from app.approvals.engine import Decision
from app.approvals.models import Verdict
from app.borrowers.models import Borrower
from app.groups import applications, formation
from app.groups.applications import NewApplication, Vote
from app.groups.formation import Invitation, NewGroup
from app.groups.loan_models import GroupLoan, GroupPayoutLeg
from app.groups.membership import live_membership
from app.groups.models import GroupApplication, Role, Schedule
from app.mobile.tokens import start_session
from ledger import Ledger
from tests.support.api import bearer
from tests.support.lending import KES, Fund

REGISTRATION = "MSEA/1234567"
MEMBER_LIMIT = 5_000 * KES
MEMBER_BAND = "B1"


def person(n: int) -> tuple[str, str]:
    """A national ID and a phone the simulators accept, distinct for each ``n`` < 88."""
    return f"2{n:06d}1", f"07120000{n + 10:02d}"


def phone_of(n: int) -> str:
    return person(n)[1]


def register_people(fund: Fund, count: int, start: int = 0) -> list[int]:
    """``count`` opted-in borrowers with a KES 5,000 limit in band B1."""
    ids = []
    for n in range(start, start + count):
        national_id, phone = person(n)
        ids.append(fund.register(national_id=national_id, phone=phone))
    with fund.sessions.unit_of_work() as session:
        session.execute(
            update(Borrower)
            .where(Borrower.id.in_(ids))
            .values(credit_limit_minor=MEMBER_LIMIT, score_band=MEMBER_BAND)
        )
    return ids


@dataclass(frozen=True)
class FormedGroup:
    group_id: int
    chair: int
    secretary: int
    treasurer: int
    members: list[int]
    """Every active member's borrower id, officials first."""

    @property
    def ordinary(self) -> list[int]:
        return self.members[3:]


def create(fund: Fund, creator: int, phones: Mapping[Role, str], number: str = REGISTRATION) -> int:
    with fund.sessions.unit_of_work() as session:
        new = NewGroup("Umoja Traders", number, Role.CHAIR, dict(phones))
        group = formation.create_group(
            session, fund.ports.registers, fund.ports.blind_index, creator, new, fund.clock()
        )
        return group.id


def invite(fund: Fund, official: int, group_id: int, phone: str) -> int:
    with fund.sessions.unit_of_work() as session:
        asked = Invitation(group_id, phone)
        member = formation.invite(session, fund.ports.blind_index, official, asked, fund.clock())
        return member.id


def accept(fund: Fund, borrower_id: int, membership_id: int) -> None:
    with fund.sessions.unit_of_work() as session:
        formation.accept(session, borrower_id, membership_id, fund.clock())


def invitation_of(fund: Fund, borrower_id: int, group_id: int) -> int:
    with fund.sessions.reader() as session:
        member = live_membership(session, group_id, borrower_id)
        assert member is not None
        return member.id


def form_group(fund: Fund, size: int = 10, start: int = 0) -> FormedGroup:
    """People ``start`` .. ``start + size``: the first is chair (the creator), then secretary
    and treasurer, the rest ordinary members; everyone accepted."""
    people = register_people(fund, size, start)
    chair, secretary, treasurer = people[:3]
    group_id = create(
        fund,
        chair,
        {Role.SECRETARY: phone_of(start + 1), Role.TREASURER: phone_of(start + 2)},
    )
    for official in (secretary, treasurer):
        accept(fund, official, invitation_of(fund, official, group_id))
    for offset, borrower_id in enumerate(people[3:], start=3):
        membership = invite(fund, chair, group_id, phone_of(start + offset))
        accept(fund, borrower_id, membership)
    return FormedGroup(group_id, chair, secretary, treasurer, people)


def apply_for(
    fund: Fund,
    group: FormedGroup,
    amount_minor: int = 30_000 * KES,
    schedule: Schedule = Schedule.INSTALMENTS,
    applicant: int | None = None,
    shares: Mapping[int, int] | None = None,
) -> GroupApplication:
    """An application split evenly (the remainder on the first member)."""
    if shares is None:
        each, rest = divmod(amount_minor, len(group.members))
        shares = dict.fromkeys(group.members, each)
        shares[group.members[0]] += rest
    new = NewApplication(group.group_id, amount_minor, schedule, shares)
    with fund.sessions.unit_of_work() as session:
        return applications.apply(
            session, Ledger(session, fund.clock), applicant or group.chair, new, fund.clock()
        )


def decide(
    fund: Fund, borrower_id: int, request_id: int, verdict: Verdict = Verdict.APPROVE
) -> Decision:
    with fund.sessions.unit_of_work() as session:
        vote = Vote(borrower_id, verdict)
        return applications.decide(
            session, Ledger(session, fund.clock), request_id, vote, fund.clock()
        )


def application(fund: Fund, application_id: int) -> GroupApplication:
    with fund.sessions.reader() as session:
        found = session.get(GroupApplication, application_id)
        assert found is not None
        return found


def app_headers(fund: Fund, borrower_id: int) -> dict[str, str]:
    """A fresh app session's bearer header for the borrower."""
    with fund.sessions.unit_of_work() as session:
        issued = start_session(session, borrower_id, fund.clock())
    return bearer(issued.access_token)


def gateway_phone(n: int) -> str:
    """Person ``n``'s phone as the USSD gateway writes it."""
    return "+254" + phone_of(n)[1:]


def approve_both_gates(fund: Fund, applied: GroupApplication) -> GroupApplication:
    """Every approver approves the application gate, then the payout gate."""
    for approver in applied.approvers:
        decide(fund, approver, applied.approval_request_id)
    gated = application(fund, applied.id)
    assert gated.payout_request_id is not None
    for approver in gated.approvers:
        decide(fund, approver, gated.payout_request_id)
    return application(fund, applied.id)


def msisdn_of(n: int) -> str:
    """Person ``n``'s phone as the payment provider sees it."""
    return "254" + phone_of(n)[1:]


def group_loan(fund: Fund, application_id: int) -> tuple[GroupLoan, list[GroupPayoutLeg]]:
    with fund.sessions.reader() as session:
        loan = session.scalar(select(GroupLoan).where(GroupLoan.application_id == application_id))
        assert loan is not None
        legs = session.scalars(
            select(GroupPayoutLeg)
            .where(GroupPayoutLeg.group_loan_id == loan.id)
            .order_by(GroupPayoutLeg.borrower_id)
        ).all()
        return loan, list(legs)
