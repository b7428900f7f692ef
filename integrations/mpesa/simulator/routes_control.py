"""The test-control endpoints under ``/__sim__/``: scripted outcomes, fault toggles, token
revocation, the initiator lock, customers' wallet balances, a state snapshot and the
organisation statement export. None of them needs a token; none exists on real Daraja."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from integrations import simulator_scripts
from integrations.mpesa.credentials import NAIROBI
from integrations.mpesa.simulator import statement
from integrations.mpesa.simulator.checks import bad, msisdn
from integrations.mpesa.simulator.core import Sim, read_json
from integrations.mpesa.simulator.faults import InvalidFault
from integrations.mpesa.simulator.outcomes import (
    Outcome,
    Script,
)
from integrations.mpesa.simulator.state import TooManyQueuedOutcomes

MAX_WALLET_MINOR = 10**12
"""The largest balance a wallet may be set to (KES 10 billion)."""
STATEMENT_ACCOUNTS = {
    "all": statement.ALL_ACCOUNTS,
    "utility": statement.UTILITY_ACCOUNT,
    "working": statement.WORKING_ACCOUNT,
}


def read_script(body: dict[str, Any], default: str | None = None) -> Script:
    """``{"outcome": "duplicate", "copies": 5}`` / ``{"outcome": "delayed", "delay_s": 1.5}``
    (without ``delay_s``: the state's ``default_delay_s``, 3 s unless configured)."""
    try:
        return simulator_scripts.read_script(body, Outcome, default)
    except InvalidFault as exc:
        raise bad(exc.name) from None


def _moment(raw: str | None, name: str, *, end_of_day: bool) -> datetime | None:
    """An ISO date (a whole EAT day) or date-time (EAT when it carries no offset)."""
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == len("2026-03-02"):
            day = date.fromisoformat(raw)
            start = datetime.combine(day, time(), tzinfo=NAIROBI)
            return start + timedelta(days=1, microseconds=-1) if end_of_day else start
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise bad(name) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=NAIROBI)


class ControlRoutes:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.state = sim.state

    async def set_outcome(self, request: Request) -> JSONResponse:
        """``{"outcome": "cancelled", "msisdn": "2547..."}``; without msisdn: next request.
        ``duplicate`` takes ``copies`` (default 2), ``delayed`` takes ``delay_s``."""
        body = await read_json(request)
        script = read_script(body)
        number = body.get("msisdn")
        try:
            self.state.set_outcome(
                script.outcome,
                str(number) if number else None,
                copies=script.copies,
                delay_s=script.delay_s,
            )
        except TooManyQueuedOutcomes as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        return JSONResponse({**script.to_json(), "msisdn": number})

    def get_faults(self) -> JSONResponse:
        with self.state.lock:
            return JSONResponse(self.state.faults.to_json())

    async def set_faults(self, request: Request) -> JSONResponse:
        """Merge the toggles the body names: ``{"spike_arrest": 2}``, ``{"response_delay_s":
        20, "paths": ["b2c"], "count": 1}``, ``{"early_query_pending": true}``."""
        body = await read_json(request)
        try:
            return JSONResponse(self.state.update_faults(body).to_json())
        except InvalidFault as exc:
            raise bad(exc.name) from None

    def clear_faults(self) -> JSONResponse:
        return JSONResponse(self.state.clear_faults().to_json())

    def revoke_tokens(self) -> JSONResponse:
        """Every token issued so far becomes invalid (the client must ask for a new one)."""
        return JSONResponse({"revoked": self.state.revoke_tokens()})

    def unlock_initiator(self) -> JSONResponse:
        """The Business Admin's unlock after a 8006 lockout."""
        self.state.unlock_initiator()
        return JSONResponse({"locked": False})

    async def set_wallet(self, request: Request) -> JSONResponse:
        """``{"msisdn": "2547...", "balance_minor": 45000000}``: the customer's M-Pesa balance,
        to reach the wallet rules (1 insufficient, 8 maximum balance)."""
        body = await read_json(request)
        number = msisdn(body, "msisdn")
        balance = body.get("balance_minor")
        if (
            isinstance(balance, bool)
            or not isinstance(balance, int)
            or not 0 <= balance <= MAX_WALLET_MINOR
        ):
            raise bad("balance_minor")
        self.state.set_wallet(number, balance)
        return JSONResponse({"msisdn": number, "balance_minor": balance})

    def snapshot(self) -> JSONResponse:
        return JSONResponse(self.state.snapshot())

    def statement_csv(self, request: Request) -> Response:
        """``?from=2026-03-01&to=2026-03-02&account=all|utility|working`` (ISO dates or
        date-times, EAT when no offset is given; both ends inclusive)."""
        state = self.state
        params = request.query_params
        account = STATEMENT_ACCOUNTS.get(params.get("account", "all"))
        if account is None:
            raise bad("account")
        period_from = _moment(params.get("from"), "from", end_of_day=False)
        period_to = _moment(params.get("to"), "to", end_of_day=True)
        with state.lock:
            now = state.clock()
            first = min((m.completed_at for m in state.movements), default=now)
            period_from = period_from or first
            period_to = period_to or now
            opening, movements = state.statement_movements(account, period_from, period_to)
            heading = statement.StatementHeading(
                account_holder=state.org.name,
                shortcode=state.org.shortcode,
                account=account,
                period_from=period_from,
                period_to=period_to,
                operator=state.org.initiator_name,
                reported_at=now,
                opening_balance_minor=opening,
            )
        body = statement.statement_csv(heading, movements)
        filename = f"ORG_{heading.shortcode}_{account.replace(' ', '_')}.csv"
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


def add_routes(app: FastAPI, sim: Sim) -> None:
    routes = ControlRoutes(sim)
    app.add_api_route("/__sim__/outcomes", routes.set_outcome, methods=["POST"])
    app.add_api_route("/__sim__/faults", routes.get_faults, methods=["GET"])
    app.add_api_route("/__sim__/faults", routes.set_faults, methods=["POST"])
    app.add_api_route("/__sim__/faults", routes.clear_faults, methods=["DELETE"])
    app.add_api_route("/__sim__/tokens/revoke", routes.revoke_tokens, methods=["POST"])
    app.add_api_route("/__sim__/initiator/unlock", routes.unlock_initiator, methods=["POST"])
    app.add_api_route("/__sim__/wallets", routes.set_wallet, methods=["POST"])
    app.add_api_route("/__sim__/state", routes.snapshot, methods=["GET"])
    app.add_api_route("/__sim__/statement.csv", routes.statement_csv, methods=["GET"])
