"""The texts of the USSD group screens (each at most 182 characters with its CON/END)."""

from __future__ import annotations

from datetime import datetime

from app.money import kes

BACK = "0. Back"
LISTED = 5
"""At most this many groups, invitations or requests are listed on one screen."""

NO_GROUPS = f"You are not in a group yet. Officials invite members from the Mkopo app.\n{BACK}"
NO_INVITATIONS = f"You have no invitations.\n{BACK}"
NO_REQUESTS = f"Nothing is waiting for your approval.\n{BACK}"
ENTER_PIN_TO_DECIDE = "Enter your PIN to confirm your decision:"
LAPSED = "This request has lapsed: it was not approved in time."

OFFICES = {"member": "member", "chair": "chair", "secretary": "secretary", "treasurer": "treasurer"}
KINDS = {
    "group_application": "loan",
    "group_payout": "payout",
    "group_officials": "office",
}


def menu(invitations: int, requests: int) -> str:
    return (
        f"Groups\n1. My groups\n2. Invitations ({invitations})\n"
        f"3. Requests to approve ({requests})\n{BACK}"
    )


def listing(title: str, lines: list[str]) -> str:
    numbered = "\n".join(f"{n}. {line[:40]}" for n, line in enumerate(lines, start=1))
    return f"{title}\n{numbered}\n{BACK}"


def group(name: str, role: str, members: int, score: int | None, limit_minor: int) -> str:
    scored = "not yet" if score is None else str(score)
    return (
        f"{name[:40]}\nYou: {role}\nMembers: {members}\nScore: {scored}\n"
        f"Limit: {kes(limit_minor)}\n{BACK}"
    )


def invitation(name: str, role: str) -> str:
    return f"Join {name[:40]} as {role}?\n1. Accept\n2. Decline\n{BACK}"


def joined(name: str) -> str:
    return f"You have joined {name[:40]}."


def declined(name: str) -> str:
    return f"You declined to join {name[:40]}."


def loan_request(name: str, gate: str, amount_minor: int, share_minor: int, by: datetime) -> str:
    return (
        f"{name[:30]}: approve {gate} of {kes(amount_minor)}? Your share: {kes(share_minor)}. "
        f"Decide by {by:%d-%m %H:%M} UTC.\n1. Approve\n2. Reject\n{BACK}"
    )


def office_request(name: str, role: str, borrower_id: int, by: datetime) -> str:
    return (
        f"{name[:30]}: make member {borrower_id} the {role}? Decide by {by:%d-%m %H:%M} UTC."
        f"\n1. Approve\n2. Reject\n{BACK}"
    )


def decided(approved: bool, status: str) -> str:
    if not approved:
        return "You rejected the request: it is closed."
    if status == "approved":
        return "Approved. Everyone has approved: the request is carried."
    return "Approved. Waiting for the others to decide."


def refused(detail: str) -> str:
    """A refusal shown as a notice (``0`` goes back)."""
    return f"Sorry: {detail[:140]}\n{BACK}"


def failed(detail: str) -> str:
    """An approval that applied nothing: the request is closed (END)."""
    return f"Your approval was recorded but the request is closed: {detail[:110]}"
