"""Test-control endpoints under ``/__sim__/`` (none on real Airtel, none needs a token):
scripted outcomes, fault toggles, token revocation, resolving a pending transaction, a state
snapshot and the statement export."""

from __future__ import annotations

from typing import Any

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from integrations import simulator_scripts
from integrations.airtel.simulator import statement
from integrations.airtel.simulator.faults import InvalidFault, updated
from integrations.airtel.simulator.gate import Sim, invalid, read_json
from integrations.airtel.simulator.outcomes import (
    Outcome,
    Script,
)
from integrations.airtel.simulator.routes_collections import CollectionRoutes
from integrations.airtel.simulator.routes_disbursements import DisbursementRoutes
from integrations.airtel.simulator.state import COLLECTION


def read_script(body: dict[str, Any], default: str | None = None) -> Script:
    """``{"outcome": "duplicate", "copies": 5}`` / ``{"outcome": "delayed", "delay_s": 1.5}``."""
    try:
        return simulator_scripts.read_script(body, Outcome, default)
    except InvalidFault as exc:
        raise invalid(exc.name) from None


class ControlRoutes:
    def __init__(
        self, sim: Sim, collections: CollectionRoutes, disbursements: DisbursementRoutes
    ) -> None:
        self.sim = sim
        self.state = sim.state
        self.finishers = {"collection": collections.finish, "disbursement": disbursements.finish}

    async def set_outcome(self, request: Request) -> JSONResponse:
        """``{"outcome": "cancelled", "msisdn": "2547..."}``; without msisdn: next request."""
        body = await read_json(request)
        script = read_script(body)
        number = body.get("msisdn")
        try:
            self.state.set_outcome(script, str(number) if number else None)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        return JSONResponse({**script.to_json(), "msisdn": number})

    def get_faults(self) -> JSONResponse:
        with self.state.lock:
            return JSONResponse(self.state.faults.to_json())

    async def set_faults(self, request: Request) -> JSONResponse:
        body = await read_json(request)
        with self.state.lock:
            try:
                self.state.faults = updated(self.state.faults, body)
            except InvalidFault as exc:
                raise invalid(exc.name) from None
            return JSONResponse(self.state.faults.to_json())

    def clear_faults(self) -> JSONResponse:
        with self.state.lock:
            self.state.faults = type(self.state.faults)()
            return JSONResponse(self.state.faults.to_json())

    def revoke_tokens(self) -> JSONResponse:
        return JSONResponse({"revoked": self.state.revoke_tokens()})

    async def resolve(
        self, kind: str, tx_id: str, request: Request, tasks: BackgroundTasks
    ) -> JSONResponse:
        """End a transaction left pending: ``{"outcome": "success"}``."""
        script = read_script(await read_json(request), default="success")
        finish = self.finishers.get(kind)
        with self.state.lock:
            tx = self.state.find(kind, tx_id)
            if finish is None or tx is None or script.outcome is Outcome.PENDING:
                raise invalid("transaction")
            if tx.outcome is not Outcome.PENDING or tx.completed_at is not None:
                raise invalid("transaction")
            tx.outcome = script.outcome
            calls = finish(tx)
        self.sim.dispatch(tasks, calls, script)
        return JSONResponse({"id": tx_id, "status": str(tx.status), "code": tx.code})

    def snapshot(self) -> JSONResponse:
        return JSONResponse(self.state.snapshot())

    def statement_csv(self, account: str = COLLECTION) -> Response:
        """``?account=collection|disbursement``: every completed movement of that account."""
        if account not in statement.ACCOUNTS:
            raise invalid("account")
        state = self.state
        with state.lock:
            mine = [m for m in state.movements if m.account == account]
            closing = state.collection_minor if account == COLLECTION else state.disbursement_minor
            opening = closing - sum(m.amount_minor for m in mine)
            body = statement.statement_csv(mine, opening, state.currency)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="airtel_{account}.csv"'},
        )


def add_routes(
    app: FastAPI, sim: Sim, collections: CollectionRoutes, disbursements: DisbursementRoutes
) -> None:
    routes = ControlRoutes(sim, collections, disbursements)
    app.add_api_route("/__sim__/outcomes", routes.set_outcome, methods=["POST"])
    app.add_api_route("/__sim__/faults", routes.get_faults, methods=["GET"])
    app.add_api_route("/__sim__/faults", routes.set_faults, methods=["POST"])
    app.add_api_route("/__sim__/faults", routes.clear_faults, methods=["DELETE"])
    app.add_api_route("/__sim__/tokens/revoke", routes.revoke_tokens, methods=["POST"])
    app.add_api_route(
        "/__sim__/transactions/{kind}/{tx_id}/resolve", routes.resolve, methods=["POST"]
    )
    app.add_api_route("/__sim__/state", routes.snapshot, methods=["GET"])
    app.add_api_route("/__sim__/statement.csv", routes.statement_csv, methods=["GET"])
