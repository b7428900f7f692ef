"""``/console/fund-proposals``: an admin asks for a manual journal (one debit and one credit
line between the accounts a manual journal may use) or a move between the M-Pesa and Airtel
floats, through the admin API's own route functions (``request_journal``,
``request_float_transfer``): the same four-eyes requests, which another admin approves in
the inbox. Admins only, as the API (a journal's asking is a dry run on the ledger, so its
POST declares that it may move money, as ``MoneyAdminAsks`` does). Journals of more than two
lines are asked through the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from app.accounting import float_transfer_routes as float_api
from app.accounting import journal_routes as journal_api
from app.accounting.chart import CHART
from app.accounting.manual_journals import JOURNAL_ACCOUNTS
from app.accounting.schemas import JournalIn
from app.api.deps import AppClock, AppSessions
from app.clock import Clock
from app.console.auth import PREFIX, AdminPost, MoneyAdminPost, Signed, console_staff
from app.console.pages import render
from app.console.proposal_routes import asked_notice, asking, kes_to_minor
from app.console.refusals import REFUSALS, said
from app.db.session import Sessions
from app.staff.deps import ADMINS
from integrations.payments.networks import NETWORKS

router = APIRouter(prefix=PREFIX, include_in_schema=False)
AdminPage = Annotated[Signed, Depends(console_staff(*ADMINS))]
Field = Annotated[str, Form(max_length=200)]
ACCOUNTS = tuple((spec.code, spec.name) for acct, spec in CHART.items() if acct in JOURNAL_ACCOUNTS)


def _page(signed: Signed, status: int = 200, **shown: Any) -> Response:
    return render(
        "fund_proposals.html", signed, status, accounts=ACCOUNTS, networks=NETWORKS, **shown
    )


@router.get("/fund-proposals")
def fund_proposals(signed: AdminPage) -> Response:
    return _page(signed)


def _asked(sessions: Sessions, clock: Clock, signed: Signed, ask: Any, body: Any) -> Response:
    try:
        asked = ask(body(), asking(sessions, clock, signed))
    except REFUSALS as exc:
        return _page(signed, **said(exc))
    return _page(signed, notice=asked_notice(asked))


@router.post("/fund-proposals/journal")
def request_journal(
    sessions: AppSessions,
    clock: AppClock,
    signed: MoneyAdminPost,
    debit: Field = "",
    credit: Field = "",
    amount_kes: Field = "",
    description: Field = "",
    reference: Field = "",
    reason: Field = "",
) -> Response:
    def body() -> JournalIn:
        amount = kes_to_minor(amount_kes)
        lines = [
            {"account_code": debit, "side": "D", "amount_minor": amount},
            {"account_code": credit, "side": "C", "amount_minor": amount},
        ]
        return JournalIn.model_validate(
            {"description": description, "reference": reference, "lines": lines, "reason": reason}
        )

    return _asked(sessions, clock, signed, journal_api.request_journal, body)


@router.post("/fund-proposals/float-transfer")
def request_float_transfer(
    sessions: AppSessions,
    clock: AppClock,
    signed: AdminPost,
    from_network: Field = "",
    to_network: Field = "",
    amount_kes: Field = "",
    external_reference: Field = "",
    reason: Field = "",
) -> Response:
    def body() -> float_api.FloatTransferIn:
        return float_api.FloatTransferIn.model_validate(
            {
                "from_network": from_network,
                "to_network": to_network,
                "amount_minor": kes_to_minor(amount_kes),
                "external_reference": external_reference,
                "reason": reason,
            }
        )

    return _asked(sessions, clock, signed, float_api.request_float_transfer, body)
