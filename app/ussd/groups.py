"""USSD states of groups (main menu 6): my groups, invitations (accept or decline), and the
requests waiting for my approval (a loan application, its payout gate, a change of office),
approved or rejected after the PIN. The rules are the group domain's; a refusal is shown
as a notice. Lists show the first ``LISTED`` entries; the ids shown are kept in the
session's data between hops."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from app.approvals.models import ApprovalKind, ApprovalRequest, ApprovalStatus, Verdict
from app.borrowers.models import Borrower
from app.errors import DomainError
from app.groups import formation
from app.groups.applications import Vote, decide, pending_for, shares_of
from app.groups.membership import active_members
from app.groups.models import Group, GroupMember
from app.groups.queries import groups_of, invitations_of
from app.ussd import group_screens as texts
from app.ussd import screens
from app.ussd.steps import Ctx, Outcome, Screen, add_pin_state, add_state, ask, end, notice
from ledger import Ledger

GROUPS = "groups"


def _me(ctx: Ctx) -> Borrower:
    member = ctx.member
    assert member is not None  # members-only states
    return member


def _listing(
    ctx: Ctx, where: tuple[str, str, str], rows: list[tuple[int, str]], hint: str
) -> Screen:
    """A numbered list of ``rows`` (id, line): ``where`` is (the state, the data key the
    shown ids are kept under for the answer, the title); a notice when there is none."""
    state, key, title = where
    if not rows:
        return notice(ctx, _EMPTY[state])
    shown = rows[: texts.LISTED]
    ctx.data[key] = [row_id for row_id, _ in shown]
    return ask(state, texts.listing(title, [line for _, line in shown]), hint)


_EMPTY = {
    "group_list": texts.NO_GROUPS,
    "invitations": texts.NO_INVITATIONS,
    "group_requests": texts.NO_REQUESTS,
}


Show = Callable[[Ctx, str], Screen]


def _pick(ctx: Ctx, entry: str, keys: tuple[str, str], shows: tuple[Show, Show]) -> Outcome:
    """The answer to a list: the entry picks a listed id (kept under ``keys[1]``) and the
    next screen shows it; anything else shows the list again under a hint."""
    (listed_key, one_key), (show_list, show_one) = keys, shows
    chosen = _chosen(ctx, listed_key, entry)
    if chosen is None:
        return show_list(ctx, screens.CHOOSE_LISTED)
    ctx.data[one_key] = chosen
    return show_one(ctx, "")


def _chosen(ctx: Ctx, key: str, entry: str) -> int | None:
    ids = list(ctx.data.get(key, []))
    if not (entry.isascii() and entry.isdigit()) or not 1 <= int(entry) <= len(ids):
        return None
    return int(ids[int(entry) - 1])


# -- the groups menu ---------------------------------------------------------------------------


def _show_groups(ctx: Ctx, hint: str) -> Screen:
    me = _me(ctx)
    invitations = len(invitations_of(ctx.session, me.id))
    requests = len(pending_for(ctx.session, me.id, ctx.now))
    return ask(GROUPS, texts.menu(invitations, requests), hint)


def _answer_groups(ctx: Ctx, entry: str) -> Outcome:
    shown = {"1": _show_my_groups, "2": _show_invitations, "3": _show_requests}.get(entry)
    return shown(ctx, "") if shown else _show_groups(ctx, screens.CHOOSE_LISTED)


# -- my groups -----------------------------------------------------------------------------------


def _show_my_groups(ctx: Ctx, hint: str) -> Screen:
    rows = [(g.id, f"{g.name} ({g.my_role})") for g in groups_of(ctx.session, _me(ctx).id)]
    return _listing(ctx, ("group_list", "group_ids", "My groups"), rows, hint)


def _answer_my_groups(ctx: Ctx, entry: str) -> Outcome:
    return _pick(ctx, entry, ("group_ids", "group_id"), (_show_my_groups, _show_group))


def _show_group(ctx: Ctx, hint: str) -> Screen:
    group = ctx.session.get(Group, int(ctx.data.get("group_id", 0)))
    members = active_members(ctx.session, group.id) if group is not None else []
    mine = next((m for m in members if m.borrower_id == _me(ctx).id), None)
    if group is None or mine is None:
        return _show_my_groups(ctx, screens.CHOOSE_LISTED)
    text = texts.group(group.name, mine.role, len(members), group.score, group.limit_minor)
    return ask("group_view", text, hint)


def _answer_group(ctx: Ctx, _entry: str) -> Outcome:
    return _show_group(ctx, screens.GO_BACK)


# -- invitations ---------------------------------------------------------------------------------


def _show_invitations(ctx: Ctx, hint: str) -> Screen:
    pending = invitations_of(ctx.session, _me(ctx).id)
    rows = [(i.id, f"{i.group_name} ({i.role})") for i in pending]
    return _listing(ctx, ("invitations", "invitation_ids", "Invitations"), rows, hint)


def _answer_invitations(ctx: Ctx, entry: str) -> Outcome:
    return _pick(
        ctx, entry, ("invitation_ids", "invitation_id"), (_show_invitations, _show_invitation)
    )


def _invitation(ctx: Ctx) -> tuple[GroupMember, Group] | None:
    row = ctx.session.execute(
        select(GroupMember, Group)
        .join(Group, Group.id == GroupMember.group_id)
        .where(GroupMember.id == int(ctx.data.get("invitation_id", 0)))
    ).first()
    return (row[0], row[1]) if row is not None else None


def _show_invitation(ctx: Ctx, hint: str) -> Screen:
    found = _invitation(ctx)
    if found is None:
        return _show_invitations(ctx, screens.CHOOSE_LISTED)
    member, group = found
    return ask("invitation", texts.invitation(group.name, member.role), hint)


def _answer_invitation(ctx: Ctx, entry: str) -> Outcome:
    found = _invitation(ctx)
    if found is None or entry not in ("1", "2"):
        return _show_invitation(ctx, screens.CHOOSE_LISTED)
    member, group = found
    act = formation.accept if entry == "1" else formation.decline
    try:
        with ctx.session.begin_nested():
            act(ctx.session, _me(ctx).id, member.id, ctx.now)
    except DomainError as refusal:
        return notice(ctx, texts.refused(refusal.detail))
    return end(texts.joined(group.name) if entry == "1" else texts.declined(group.name))


# -- requests to approve -------------------------------------------------------------------------


def _request_line(ctx: Ctx, request: ApprovalRequest) -> str:
    group = ctx.session.get(Group, int(request.payload["group_id"]))
    name = group.name if group is not None else "?"
    return f"{name[:24]}: {texts.KINDS.get(request.kind, request.kind)}"


def _show_requests(ctx: Ctx, hint: str) -> Screen:
    pending = pending_for(ctx.session, _me(ctx).id, ctx.now)[: texts.LISTED]
    rows = [(r.id, _request_line(ctx, r)) for r in pending]
    return _listing(ctx, ("group_requests", "request_ids", "To approve"), rows, hint)


def _answer_requests(ctx: Ctx, entry: str) -> Outcome:
    return _pick(ctx, entry, ("request_ids", "request_id"), (_show_requests, _show_request))


def _request_text(ctx: Ctx, request: ApprovalRequest) -> str:
    payload = request.payload
    group = ctx.session.get(Group, int(payload["group_id"]))
    name = group.name if group is not None else "?"
    if request.kind == ApprovalKind.GROUP_OFFICIALS:
        return texts.office_request(
            name, str(payload["role"]), int(payload["borrower_id"]), request.expires_at
        )
    me = _me(ctx).id
    share = sum(
        s.amount_minor
        for s in shares_of(ctx.session, int(payload["application_id"]))
        if s.borrower_id == me
    )
    gate = "a loan" if request.kind == ApprovalKind.GROUP_APPLICATION else "the payout"
    return texts.loan_request(name, gate, int(payload["amount_minor"]), share, request.expires_at)


def _show_request(ctx: Ctx, hint: str) -> Screen:
    request = ctx.session.get(ApprovalRequest, int(ctx.data.get("request_id", 0)))
    if request is None:
        return _show_requests(ctx, screens.CHOOSE_LISTED)
    return ask("group_request", _request_text(ctx, request), hint)


def _answer_request(ctx: Ctx, entry: str) -> Outcome:
    if entry not in ("1", "2"):
        return _show_request(ctx, screens.CHOOSE_LISTED)
    ctx.data["verdict"] = Verdict.APPROVE.value if entry == "1" else Verdict.REJECT.value
    return _show_decide_pin(ctx, "")


def _decide(ctx: Ctx, member: Borrower) -> Screen:
    verdict = Verdict(str(ctx.data.get("verdict", Verdict.REJECT.value)))
    request_id = int(ctx.data.get("request_id", 0))
    try:
        with ctx.session.begin_nested():
            decision = decide(
                ctx.session,
                Ledger(ctx.session, lambda: ctx.now),
                request_id,
                Vote(member.id, verdict, "rejected on USSD" if verdict == Verdict.REJECT else None),
                ctx.now,
            )
    except DomainError as refusal:
        return notice(ctx, texts.refused(refusal.detail))
    if decision.failure is not None:
        lapsed = decision.approval.status == ApprovalStatus.EXPIRED
        return end(texts.LAPSED if lapsed else texts.failed(decision.failure.detail))
    return end(texts.decided(verdict == Verdict.APPROVE, decision.approval.status))


_show_decide_pin = add_pin_state(
    "group_decide_pin", lambda _ctx: texts.ENTER_PIN_TO_DECIDE, _decide, back="group_request"
)

add_state(GROUPS, _show_groups, _answer_groups, back="main")
add_state("group_list", _show_my_groups, _answer_my_groups, back=GROUPS)
add_state("group_view", _show_group, _answer_group, back="group_list")
add_state("invitations", _show_invitations, _answer_invitations, back=GROUPS)
add_state("invitation", _show_invitation, _answer_invitation, back="invitations")
add_state("group_requests", _show_requests, _answer_requests, back=GROUPS)
add_state("group_request", _show_request, _answer_request, back="group_requests")
