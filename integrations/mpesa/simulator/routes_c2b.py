"""C2B v2 (reference §3): URL registration and the sandbox-only simulate endpoint.

A simulated payment is validated (when URLs are registered: ``deliver``'s return value is read
as the validator's answer), then the money moves, then the confirmation is sent, all after the
answer. The receipt is the transaction's key.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.mpesa.simulator import payloads
from integrations.mpesa.simulator.checks import amount_minor, bad, msisdn, text
from integrations.mpesa.simulator.core import Sim
from integrations.mpesa.simulator.routes_stk import STK_TYPES
from integrations.mpesa.simulator.state import C2BUrls, Transaction, TxState


class C2BRoutes:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.state = sim.state

    async def register(self, request: Request) -> JSONResponse:
        state = self.state
        body = await self.sim.authorised(request, "c2b")
        if text(body, "ShortCode") != state.org.shortcode:
            raise bad("ShortCode")
        response_type = text(body, "ResponseType")
        if response_type not in ("Completed", "Cancelled"):
            raise bad("ResponseType")
        urls = C2BUrls(
            response_type,
            text(body, "ConfirmationURL", 1, 1000),
            text(body, "ValidationURL", 1, 1000),
        )
        with state.lock:
            state.c2b_urls[state.org.shortcode] = urls
        return JSONResponse(payloads.originator_typo_ack("Success"))

    async def simulate(self, request: Request, tasks: BackgroundTasks) -> JSONResponse:
        body = await self.sim.authorised(request, "c2b")
        if text(body, "ShortCode") != self.state.org.shortcode:
            raise bad("ShortCode")
        command = text(body, "CommandID")
        if command not in STK_TYPES:
            raise bad("CommandID")
        amount = amount_minor(body, 1, 250_000)
        payer = msisdn(body, "Msisdn")
        bill_ref = str(body.get("BillRefNumber") or "")
        tasks.add_task(self.pay, payer, amount, command, bill_ref)
        return JSONResponse(
            payloads.originator_typo_ack("Accept the service request successfully.")
        )

    def pay(self, payer: str, amount: int, command: str, bill_ref: str) -> None:
        """Validation (when URLs are registered), then the money, then the confirmation."""
        state = self.state
        with state.lock:
            now, urls = state.clock(), state.c2b_urls.get(state.org.shortcode)
            tx = Transaction("c2b", state.new_receipt(), payer, amount, now)
            tx.receipt, tx.command_id, tx.account_reference = tx.key, command, bill_ref
            tx.conversation_id = payloads.conversation_id(now)
            state.add(tx)
        notice = {"shortcode": state.org.shortcode, "command_id": command, "bill_ref": bill_ref}
        accepted = True  # with nothing registered the payment completes silently
        if urls is not None:
            check = payloads.c2b_notice(tx, org_balance_minor=None, now=now, **notice)
            answer = self.sim.deliver(urls.validation_url, check)
            if isinstance(answer, Mapping) and "ResultCode" in answer:
                accepted = str(answer["ResultCode"]) == "0"
            else:
                accepted = urls.response_type == "Completed"
        with state.lock:
            tx.state = TxState.COMPLETED if accepted else TxState.FAILED
            tx.completed_at = state.clock()
            if accepted:
                state.pay_in(tx, tx.completed_at)
            balance = state.org.working_minor
        if accepted and urls is not None:
            confirm = payloads.c2b_notice(tx, org_balance_minor=balance, now=now, **notice)
            self.sim.deliver(urls.confirmation_url, confirm)


def add_routes(app: FastAPI, sim: Sim) -> None:
    routes = C2BRoutes(sim)
    app.add_api_route("/mpesa/c2b/v2/registerurl", routes.register, methods=["POST"])
    app.add_api_route("/mpesa/c2b/v2/simulate", routes.simulate, methods=["POST"])
