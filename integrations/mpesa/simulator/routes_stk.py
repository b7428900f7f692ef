"""M-Pesa Express (reference §2): STK push, its callback and the query.

A prompt is recorded under its CheckoutRequestID before the answer; the ``pending`` outcome
keeps it open (on the phone's screen) until ``POST /__sim__/stk/{CheckoutRequestID}/resolve``.
A push to a phone with a prompt on its screen is refused at once (``500.001.1001`` Unable to lock
subscriber); a push of the amount pushed to the same phone in the last 2 minutes is declined
with 17 (``subscribers``). A payment the customer accepts then meets the limit rules
(``limits``: 2, 3, 4, 8) and the wallet (1). The query answers the HTTP 500 "being processed"
envelope while a prompt is open (and for every prompt while the ``early_query_pending`` fault is
on), then a string ResultCode.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.mpesa.credentials import DARAJA_TIMESTAMP_FORMAT, stk_password
from integrations.mpesa.simulator import payloads
from integrations.mpesa.simulator.checks import DarajaError, amount_minor, bad, msisdn, text
from integrations.mpesa.simulator.core import Sim, read_json
from integrations.mpesa.simulator.delivery import Call
from integrations.mpesa.simulator.outcomes import Outcome
from integrations.mpesa.simulator.routes_control import read_script
from integrations.mpesa.simulator.state import Transaction, TxState
from integrations.mpesa.simulator.subscribers import RULE_LIMITED, UNABLE_TO_LOCK
from integrations.phone import mask_msisdn

logger = logging.getLogger(__name__)

STK_TYPES = ("CustomerPayBillOnline", "CustomerBuyGoodsOnline")
_STK_CODES = {
    Outcome.CANCELLED: 1032,
    Outcome.INSUFFICIENT: 1,
    Outcome.WRONG_PIN: 2001,
    Outcome.TIMEOUT: 1037,
    Outcome.EXPIRED: 1019,
    Outcome.PUSH_ERROR: 1025,
}
_STILL_PROCESSING = ("500.001.1001", "The transaction is being processed")


class StkRoutes:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.state = sim.state

    async def stk_body(self, request: Request, family: str) -> dict[str, Any]:
        org = self.state.org
        body = await self.sim.authorised(request, family)
        if text(body, "BusinessShortCode") != org.shortcode:
            raise DarajaError(500, "500.001.1001", "Merchant does not exist")
        timestamp = text(body, "Timestamp", 14, 14)
        try:
            datetime.strptime(timestamp, DARAJA_TIMESTAMP_FORMAT)  # noqa: DTZ007 (a format check)
        except ValueError:
            raise bad("Timestamp") from None
        if body.get("Password") != stk_password(org.shortcode, org.passkey, timestamp):
            raise DarajaError(500, "500.001.1001", "Wrong credentials")
        return body

    def finish(self, tx: Transaction, outcome: Outcome, code: int = 0) -> list[Call]:
        """Close an open prompt with ``outcome`` (or a ``code`` already decided); the callbacks
        to send (maybe none).

        ``late`` completes like ``lost``: STK has no queue-timeout URL to be late on.
        """
        state = self.state
        with state.lock:
            now = state.clock()
            code = code or _STK_CODES.get(outcome, 0)
            if code == 0:
                day_minor = state.daily.of(tx.msisdn, now)
                code = state.limits.stk_code(tx.amount_minor, day_minor, state.org.working_minor)
            if code == 0 and state.wallet(tx.msisdn) < tx.amount_minor:
                code = 1
            tx.completed_at = now
            if code == 0:
                tx.receipt = state.new_receipt()
                state.pay_in(tx, now)
            tx.state = TxState.COMPLETED if code == 0 else TxState.FAILED
            tx.result_code, tx.result_desc = code, payloads.RESULT_DESCS[code]
            state.subscribers.close(tx.key)
            if outcome is Outcome.LATE:
                return []
            assert tx.callback_url is not None
            return [(tx.callback_url, payloads.stk_callback(tx, now))]

    async def push(self, request: Request, tasks: BackgroundTasks) -> JSONResponse:
        state = self.state
        body = await self.stk_body(request, "stk")
        command = body.get("TransactionType")
        if command not in STK_TYPES:
            raise bad("TransactionType")
        amount = amount_minor(body)
        payer = msisdn(body, "PartyA")
        phone = msisdn(body, "PhoneNumber")
        text(body, "PartyB")
        callback_url = text(body, "CallBackURL", 1, 1000)
        reference = text(body, "AccountReference", 1, 12)
        text(body, "TransactionDesc", 1, 13)
        now = state.clock()
        with state.lock:
            if state.subscribers.locked(phone):
                raise DarajaError(500, *UNABLE_TO_LOCK)
            tx = Transaction("stk", payloads.checkout_id(now, phone), payer, amount, now)
            while not state.add(tx):  # two pushes in the same millisecond
                tx.key = payloads.checkout_id(now, phone)
            tx.merchant_request_id, tx.callback_url = payloads.request_id(), callback_url
            tx.conversation_id = payloads.conversation_id(now)
            tx.command_id, tx.account_reference = str(command), reference
            script = state.script_for(phone)
            tx.outcome = script.outcome
            if state.subscribers.rule_limited(phone, amount, now):
                calls = self.finish(tx, tx.outcome, RULE_LIMITED)
            elif tx.outcome is Outcome.PENDING:
                state.subscribers.show(phone, tx.key)
                calls = []
            else:
                calls = self.finish(tx, tx.outcome)
        logger.info("sim STK %s to %s: %s", tx.key, mask_msisdn(phone), tx.outcome)
        self.sim.dispatch(tasks, calls, script)
        return JSONResponse(
            {
                "MerchantRequestID": tx.merchant_request_id,
                "CheckoutRequestID": tx.key,
                "ResponseCode": "0",
                "ResponseDescription": "Success. Request accepted for processing",
                "CustomerMessage": "Success. Request accepted for processing",
            }
        )

    async def query(self, request: Request) -> JSONResponse:
        body = await self.stk_body(request, "stk_query")
        tx = self.state.find("stk", text(body, "CheckoutRequestID", 1, 100))
        if tx is None:
            raise bad("CheckoutRequestID")
        with self.state.lock:
            early = self.state.faults.early_query_pending
        if early or tx.state is TxState.PENDING:
            raise DarajaError(500, *_STILL_PROCESSING)
        return JSONResponse(
            {
                "ResponseCode": "0",
                "ResponseDescription": "The service request has been accepted successfully",
                "MerchantRequestID": tx.merchant_request_id,
                "CheckoutRequestID": tx.key,
                "ResultCode": str(tx.result_code),
                "ResultDesc": tx.result_desc,
            }
        )

    async def resolve(
        self, checkout: str, request: Request, tasks: BackgroundTasks
    ) -> JSONResponse:
        """Close a prompt left open by the ``pending`` outcome: ``{"outcome": "success"}``."""
        script = read_script(await read_json(request), default="success")
        with self.state.lock:
            tx = self.state.find("stk", checkout)
            if tx is None or tx.state is not TxState.PENDING or script.outcome is Outcome.PENDING:
                raise bad("CheckoutRequestID")
            calls = self.finish(tx, script.outcome)
        self.sim.dispatch(tasks, calls, script)
        return JSONResponse({"CheckoutRequestID": checkout, "ResultCode": tx.result_code})


def add_routes(app: FastAPI, sim: Sim) -> None:
    routes = StkRoutes(sim)
    app.add_api_route("/mpesa/stkpush/v1/processrequest", routes.push, methods=["POST"])
    app.add_api_route("/mpesa/stkpushquery/v1/query", routes.query, methods=["POST"])
    app.add_api_route("/__sim__/stk/{checkout}/resolve", routes.resolve, methods=["POST"])
