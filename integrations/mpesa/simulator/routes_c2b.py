"""C2B (reference §3): URL registration and the sandbox-only simulate endpoint, v1 and v2.

Both versions take the same bodies. Registration refuses the URLs Safaricom refuses
(``callback_urls``) and records the version: notices for URLs registered through v1 carry the
payer's SHA-256 hashed MSISDN, through v2 a masked one. The answers follow each version's
samples (``payloads.c2b_ack``, ``payloads.c2b_v1_simulate_ack``).

A simulated payment is validated (when URLs are registered: ``deliver``'s return value is read
as the validator's answer), then the money moves, then the confirmation is sent, all after the
answer. The receipt is the transaction's key.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.mpesa.simulator import callback_urls, payloads
from integrations.mpesa.simulator.checks import amount_minor, bad, msisdn, text
from integrations.mpesa.simulator.core import Sim
from integrations.mpesa.simulator.routes_stk import STK_TYPES
from integrations.mpesa.simulator.state import C2BUrls, Transaction, TxState

REGISTERED = {"v1": "success", "v2": "Success"}
"""ResponseDescription of a registration: lower case in the v1 page's sample (OFF3
CustomerToBusinessRegisterURL), capitalised in v2's (OFF3 CustomerToBusiness)."""
SIMULATE_ACCEPTED = "Accept the service request successfully."


class C2BRoutes:
    """The two endpoints of one API version ("v1" or "v2")."""

    def __init__(self, sim: Sim, version: str) -> None:
        self.sim = sim
        self.state = sim.state
        self.version = version

    async def register(self, request: Request) -> JSONResponse:
        state = self.state
        body = await self.sim.authorised(request, "c2b")
        if text(body, "ShortCode") != state.org.shortcode:
            raise bad("ShortCode")
        response_type = text(body, "ResponseType")
        if response_type not in ("Completed", "Cancelled"):
            raise bad("ResponseType")
        confirmation_url = self._url(body, "ConfirmationURL")
        validation_url = self._url(body, "ValidationURL")
        urls = C2BUrls(response_type, confirmation_url, validation_url, self.version)
        with state.lock:
            state.c2b_urls[state.org.shortcode] = urls
        return JSONResponse(payloads.c2b_ack(REGISTERED[self.version], self.version))

    def _url(self, body: dict[str, object], name: str) -> str:
        url = text(body, name, 1, 1000)
        if not callback_urls.acceptable(url, allow_local=self.state.allow_local_callbacks):
            raise bad(name)
        return url

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
        if self.version == "v1":
            return JSONResponse(payloads.c2b_v1_simulate_ack(self.state.clock()))
        return JSONResponse(payloads.c2b_ack(SIMULATE_ACCEPTED, self.version))

    def pay(self, payer: str, amount: int, command: str, bill_ref: str) -> None:
        """Validation (when URLs are registered), then the money, then the confirmation."""
        state = self.state
        with state.lock:
            now, urls = state.clock(), state.c2b_urls.get(state.org.shortcode)
            tx = Transaction("c2b", state.new_receipt(), payer, amount, now)
            tx.receipt, tx.command_id, tx.account_reference = tx.key, command, bill_ref
            tx.conversation_id = payloads.conversation_id(now)
            state.add(tx)
        if urls is None:  # nothing registered: the payment completes silently
            self._settle(tx, accepted=True)
            return
        address = payloads.PaybillAddress(
            shortcode=state.org.shortcode,
            command_id=command,
            bill_ref=bill_ref,
            version=urls.version,
        )
        check = payloads.c2b_notice(tx, address, org_balance_minor=None, now=now)
        answer = self.sim.deliver(urls.validation_url, check)
        if isinstance(answer, Mapping) and "ResultCode" in answer:
            accepted = str(answer["ResultCode"]) == "0"
        else:
            accepted = urls.response_type == "Completed"
        balance = self._settle(tx, accepted=accepted)
        if accepted:
            confirm = payloads.c2b_notice(tx, address, org_balance_minor=balance, now=now)
            self.sim.deliver(urls.confirmation_url, confirm)

    def _settle(self, tx: Transaction, *, accepted: bool) -> int:
        """Complete or cancel the payment; the working account's balance after it."""
        state = self.state
        with state.lock:
            tx.state = TxState.COMPLETED if accepted else TxState.FAILED
            tx.completed_at = state.clock()
            if accepted:
                state.pay_in(tx, tx.completed_at)
            return state.org.working_minor


def add_routes(app: FastAPI, sim: Sim) -> None:
    for version in ("v1", "v2"):
        routes = C2BRoutes(sim, version)
        app.add_api_route(f"/mpesa/c2b/{version}/registerurl", routes.register, methods=["POST"])
        app.add_api_route(f"/mpesa/c2b/{version}/simulate", routes.simulate, methods=["POST"])
