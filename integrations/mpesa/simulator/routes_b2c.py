"""B2C payouts (reference §4): accepted at once, the money moved and the result posted after.

v3 (``/mpesa/b2c/v3/paymentrequest``) takes our OriginatorConversationID; the payout is recorded
under it before anything else, so a resend of the same id is refused (500.002.1001) and can
never pay twice. v1 (``/mpesa/b2c/v1/paymentrequest``, [OLD]) has no such field: M-Pesa makes
the id (``19455-424535-1``) and every request is a new payout. The ``pending`` outcome leaves a
payout in flight until ``POST /__sim__/b2c/{originator_id}/resolve``.

Settling checks, in order: the initiator's credential (2001, 8006), the scripted outcome, the
limit rules (``limits``: 2 below KES 10, 3 above KES 250,000, 4 the customer's day, 8 the
customer's wallet) and the utility account (1). Only the amount's form is refused at once.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.mpesa.simulator import payloads
from integrations.mpesa.simulator.checks import DarajaError, amount_minor, bad, msisdn, text
from integrations.mpesa.simulator.core import Sim, read_json
from integrations.mpesa.simulator.delivery import Call
from integrations.mpesa.simulator.outcomes import Outcome
from integrations.mpesa.simulator.routes_control import read_script
from integrations.mpesa.simulator.state import CREDENTIAL_OK, Transaction, TxState
from integrations.phone import mask_msisdn

logger = logging.getLogger(__name__)

B2C_COMMANDS = ("BusinessPayment", "SalaryPayment", "PromotionPayment")
_B2C_CODES = {
    Outcome.CANCELLED: 2040,
    Outcome.INSUFFICIENT: 1,
    Outcome.WRONG_PIN: 2001,
    Outcome.PUSH_ERROR: 26,
}
_QUEUE_EXPIRY = (Outcome.TIMEOUT, Outcome.EXPIRED)


class B2CRoutes:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.state = sim.state

    async def b2c_v3(self, request: Request, tasks: BackgroundTasks) -> JSONResponse:
        body = await self.sim.authorised(request, "b2c")
        originator = text(body, "OriginatorConversationID", 1, 100)
        return self.accept(body, originator, tasks)

    async def b2c_v1(self, request: Request, tasks: BackgroundTasks) -> JSONResponse:
        body = await self.sim.authorised(request, "b2c")
        return self.accept(body, None, tasks)

    def accept(
        self, body: dict[str, Any], originator: str | None, tasks: BackgroundTasks
    ) -> JSONResponse:
        """Check a payout request and record it under ``originator`` (None: a new v1 id)."""
        state = self.state
        initiator = text(body, "InitiatorName")
        credential = text(body, "SecurityCredential", 1, 4096)
        command = body.get("CommandID")
        if command not in B2C_COMMANDS:
            raise bad("CommandID")
        amount = amount_minor(body)
        if text(body, "PartyA") != state.org.shortcode:
            raise bad("PartyA")
        payee = msisdn(body, "PartyB")
        text(body, "Remarks", 2, 100)
        result_url = text(body, "ResultURL", 1, 1000)
        timeout_url = text(body, "QueueTimeOutURL", 1, 1000)
        password = state.keys.decrypt_credential(credential)
        now = state.clock()
        key = payloads.legacy_id() if originator is None else originator
        tx = Transaction("b2c", key, payee, amount, now, callback_url=result_url)
        tx.conversation_id = payloads.conversation_id(now)
        tx.timeout_url, tx.command_id = timeout_url, str(command)
        with state.lock:
            while not state.add(tx):
                if originator is not None:
                    raise DarajaError(500, "500.002.1001", "Duplicate OriginatorConversationID")
                tx.key = payloads.legacy_id()  # an id M-Pesa made twice: make another
            script = state.script_for(payee)
            tx.outcome = script.outcome
            # After the duplicate check: a refused resend does not count towards the lockout.
            credential_code = state.check_initiator(initiator, password)
            if credential_code == CREDENTIAL_OK and script.outcome is Outcome.PENDING:
                calls: list[Call] = []
            else:
                calls = self.finish(tx, script.outcome, credential_code)
        logger.info("sim B2C %s to %s: %s", tx.key, mask_msisdn(payee), tx.outcome)
        self.sim.dispatch(tasks, calls, script)
        return JSONResponse(
            {
                "ConversationID": tx.conversation_id,
                "OriginatorConversationID": tx.key,
                "ResponseCode": "0",
                "ResponseDescription": "Accept the service request successfully.",
            }
        )

    def finish(self, tx: Transaction, outcome: Outcome, credential_code: int) -> list[Call]:
        """Settle an accepted payout with ``outcome``; the callbacks to send.

        ``timeout`` and ``expired`` send the queue-timeout notice and move nothing; ``late``
        sends the same notice but the payment completes (no result callback): only a status
        query tells.
        """
        state = self.state
        with state.lock:
            now = state.clock()
            tx.completed_at = now
            assert tx.timeout_url is not None
            assert tx.callback_url is not None
            notice = [(tx.timeout_url, payloads.b2c_queue_timeout(tx))]
            if credential_code == CREDENTIAL_OK and outcome in _QUEUE_EXPIRY:
                tx.state = TxState.TIMED_OUT  # never processed: no receipt
                return notice
            tx.receipt = state.new_receipt()
            code = credential_code or _B2C_CODES.get(outcome, 0)
            if code == 0:
                day_minor = state.daily.of(tx.msisdn, now)
                wallet_minor = state.wallet(tx.msisdn)
                code = state.limits.b2c_code(tx.amount_minor, day_minor, wallet_minor)
            if code == 0 and state.org.utility_minor < tx.amount_minor:
                code = 1
            if code == 0:
                state.pay_out(tx, now)
            tx.state = TxState.COMPLETED if code == 0 else TxState.FAILED
            tx.result_code, tx.result_desc = code, payloads.B2C_RESULT_DESCS[code]
            if credential_code == CREDENTIAL_OK and outcome is Outcome.LATE:
                return notice
            return [(tx.callback_url, payloads.b2c_result(tx, state.org.utility_minor, now))]

    async def resolve(
        self, originator_id: str, request: Request, tasks: BackgroundTasks
    ) -> JSONResponse:
        """Settle a payout left in flight by ``pending``: ``{"outcome": "success"}``."""
        script = read_script(await read_json(request), default="success")
        with self.state.lock:
            tx = self.state.find("b2c", originator_id)
            if tx is None or tx.state is not TxState.PENDING or script.outcome is Outcome.PENDING:
                raise bad("OriginatorConversationID")
            calls = self.finish(tx, script.outcome, CREDENTIAL_OK)
        self.sim.dispatch(tasks, calls, script)
        return JSONResponse(
            {"OriginatorConversationID": originator_id, "ResultCode": tx.result_code}
        )


def add_routes(app: FastAPI, sim: Sim) -> None:
    routes = B2CRoutes(sim)
    app.add_api_route("/mpesa/b2c/v3/paymentrequest", routes.b2c_v3, methods=["POST"])
    app.add_api_route("/mpesa/b2c/v1/paymentrequest", routes.b2c_v1, methods=["POST"])
    app.add_api_route("/__sim__/b2c/{originator_id}/resolve", routes.resolve, methods=["POST"])
