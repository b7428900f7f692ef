"""A FastAPI app serving Daraja's paths over a ``SimulatorState``.

Outcomes are scripted by the last two digits of the customer's number (or set through
``POST /__sim__/outcomes``, for one number or for the next request only):

===  =============  =====================================  ====================================
sfx  outcome        STK push                               B2C payout
===  =============  =====================================  ====================================
00   success        callback ResultCode 0, receipt         result 0, receipt, utility debited
01   cancelled      1032 Request cancelled by user         2040 recipient not registered
02   insufficient   1 (also whenever the wallet is short)  1 (also whenever utility is short)
03   wrong_pin      2001 (the customer's wrong PIN)        2001 (also on a wrong credential)
04   lost           completes, NO callback (query works)   completes, NO result callback
05   duplicate      callback delivered twice               result delivered twice
06   timeout        1037 DS timeout                        queue-timeout notice, no money moves
--   pending        prompt open until /__sim__/stk/{id}/resolve (control endpoint only)
===  =============  =====================================  ====================================

Any other suffix succeeds. Callbacks leave through ``deliver(url, body)`` in a background task,
after the answer. For C2B validation, ``deliver``'s return value is read as the validator's
answer: a mapping whose ResultCode is not 0 cancels the payment; anything else (None, an
unreachable URL) applies the registered ResponseType.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.mpesa.credentials import DARAJA_TIMESTAMP_FORMAT, stk_password
from integrations.mpesa.simulator import payloads
from integrations.mpesa.simulator.checks import (
    DarajaError,
    Deliver,
    amount_minor,
    bad,
    httpx_deliverer,
    msisdn,
    text,
)
from integrations.mpesa.simulator.state import (
    C2BUrls,
    Outcome,
    SimulatorState,
    Transaction,
    TxState,
)
from integrations.phone import mask_msisdn

__all__ = ["Deliver", "create_simulator", "httpx_deliverer"]

logger = logging.getLogger(__name__)

EXPIRES_IN = "3599"
_STK_CODES = {
    Outcome.CANCELLED: 1032,
    Outcome.INSUFFICIENT: 1,
    Outcome.WRONG_PIN: 2001,
    Outcome.TIMEOUT: 1037,
}
_B2C_CODES = {Outcome.CANCELLED: 2040, Outcome.INSUFFICIENT: 1, Outcome.WRONG_PIN: 2001}
_B2C_COMMANDS = ("BusinessPayment", "SalaryPayment", "PromotionPayment")
_STK_TYPES = ("CustomerPayBillOnline", "CustomerBuyGoodsOnline")
Calls = list[tuple[str, dict[str, Any]]]


def create_simulator(state: SimulatorState, deliver: Deliver) -> FastAPI:
    app = FastAPI(title="Daraja simulator", docs_url=None, redoc_url=None, openapi_url=None)
    sim = _Simulator(state, deliver)

    @app.exception_handler(DarajaError)
    async def refused(_: Request, exc: DarajaError) -> JSONResponse:
        return JSONResponse(payloads.error(exc.code, exc.message), status_code=exc.status)

    app.add_api_route("/oauth/v1/generate", sim.oauth, methods=["GET"])
    app.add_api_route("/mpesa/b2c/v3/paymentrequest", sim.b2c, methods=["POST"])
    app.add_api_route("/mpesa/stkpush/v1/processrequest", sim.stk_push, methods=["POST"])
    app.add_api_route("/mpesa/stkpushquery/v1/query", sim.stk_query, methods=["POST"])
    app.add_api_route("/mpesa/c2b/v2/registerurl", sim.c2b_register, methods=["POST"])
    app.add_api_route("/mpesa/c2b/v2/simulate", sim.c2b_simulate, methods=["POST"])
    app.add_api_route("/__sim__/outcomes", sim.set_outcome, methods=["POST"])
    app.add_api_route("/__sim__/stk/{checkout}/resolve", sim.resolve, methods=["POST"])
    app.add_api_route("/__sim__/state", sim.snapshot, methods=["GET"])
    return app


def _copies(outcome: Outcome, calls: Calls) -> Calls:
    if outcome is Outcome.LOST:
        return []
    return calls * 2 if outcome is Outcome.DUPLICATE else calls


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise DarajaError(400, "400.002.05", "Invalid Request Payload")
    return body


class _Simulator:
    def __init__(self, state: SimulatorState, deliver: Deliver) -> None:
        self.state = state
        self.deliver = deliver

    def send_all(self, calls: Calls) -> None:
        for url, body in calls:
            self.deliver(url, body)

    async def authorised(self, request: Request, code: str, message: str) -> dict[str, Any]:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.state.token_valid(token.strip()):
            raise DarajaError(401, code, message)
        return await _json(request)

    def oauth(self, request: Request, grant_type: str = "") -> JSONResponse:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            key, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            key = secret = ""
        token = self.state.issue_token(key, secret) if scheme.lower() == "basic" else None
        if token is None:
            raise DarajaError(400, "400.008.01", "Invalid Authentication passed")
        if grant_type != "client_credentials":
            raise DarajaError(400, "400.008.02", "Invalid grant type passed")
        return JSONResponse({"access_token": token, "expires_in": EXPIRES_IN})

    async def b2c(self, request: Request, tasks: BackgroundTasks) -> JSONResponse:
        state = self.state
        body = await self.authorised(
            request, "401.002.01", "Error Occurred - Invalid Access Token - sim"
        )
        originator = text(body, "OriginatorConversationID", 1, 100)
        initiator = text(body, "InitiatorName")
        credential = text(body, "SecurityCredential", 1, 4096)
        if body.get("CommandID") not in _B2C_COMMANDS:
            raise bad("CommandID")
        amount = amount_minor(body, 10, 250_000)
        if text(body, "PartyA") != state.org.shortcode:
            raise bad("PartyA")
        payee = msisdn(body, "PartyB")
        text(body, "Remarks", 2, 100)
        result_url = text(body, "ResultURL", 1, 1000)
        timeout_url = text(body, "QueueTimeOutURL", 1, 1000)
        now = state.clock()
        tx = Transaction("b2c", originator, payee, amount, now, callback_url=result_url)
        tx.conversation_id = payloads.conversation_id(now)
        with state.lock:
            if not state.add(tx):
                raise DarajaError(500, "500.002.1001", "Duplicate OriginatorConversationID")
            tx.outcome = state.outcome_for(payee)
            password_ok = initiator == state.org.initiator_name and (
                state.keys.decrypt_credential(credential) == state.org.initiator_password
            )
            code = _B2C_CODES.get(tx.outcome, 0) if password_ok else 2001
            if code == 0 and state.org.utility_minor < amount:
                code = 1
            tx.receipt = state.new_receipt()
            if password_ok and tx.outcome is Outcome.TIMEOUT:
                tx.state = TxState.TIMED_OUT
                calls = [(timeout_url, payloads.b2c_queue_timeout(tx))]
            else:
                if code == 0:
                    state.org.utility_minor -= amount
                    state.move_to_wallet(payee, amount)
                tx.state = TxState.COMPLETED if code == 0 else TxState.FAILED
                tx.result_code, tx.result_desc = code, payloads.RESULT_DESCS[code]
                result = payloads.b2c_result(tx, state.org.utility_minor, now)
                calls = _copies(tx.outcome, [(result_url, result)])
        logger.info("sim B2C %s to %s: %s", originator, mask_msisdn(payee), tx.outcome)
        tasks.add_task(self.send_all, calls)
        return JSONResponse(
            {
                "ConversationID": tx.conversation_id,
                "OriginatorConversationID": originator,
                "ResponseCode": "0",
                "ResponseDescription": "Accept the service request successfully.",
            }
        )

    async def stk_body(self, request: Request) -> dict[str, Any]:
        org = self.state.org
        body = await self.authorised(request, "404.001.03", "Invalid Access Token")
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

    def finish_stk(self, tx: Transaction, outcome: Outcome) -> Calls:
        """Close an open prompt with ``outcome``; the callbacks to send (maybe none)."""
        state = self.state
        with state.lock:
            code = _STK_CODES.get(outcome, 0)
            if code == 0 and state.wallet(tx.msisdn) < tx.amount_minor:
                code = 1
            if code == 0:
                tx.receipt = state.new_receipt()
                state.move_to_wallet(tx.msisdn, -tx.amount_minor)
                state.org.working_minor += tx.amount_minor
            tx.state = TxState.COMPLETED if code == 0 else TxState.FAILED
            tx.result_code, tx.result_desc = code, payloads.RESULT_DESCS[code]
            assert tx.callback_url is not None
            callback = payloads.stk_callback(tx, state.clock())
            return _copies(outcome, [(tx.callback_url, callback)])

    async def stk_push(self, request: Request, tasks: BackgroundTasks) -> JSONResponse:
        state = self.state
        body = await self.stk_body(request)
        if body.get("TransactionType") not in _STK_TYPES:
            raise bad("TransactionType")
        amount = amount_minor(body, 1, 999_999_999)
        payer = msisdn(body, "PartyA")
        phone = msisdn(body, "PhoneNumber")
        text(body, "PartyB")
        callback_url = text(body, "CallBackURL", 1, 1000)
        text(body, "AccountReference", 1, 12)
        text(body, "TransactionDesc", 1, 13)
        now = state.clock()
        with state.lock:
            tx = Transaction("stk", payloads.checkout_id(now, phone), payer, amount, now)
            while not state.add(tx):  # two pushes in the same millisecond
                tx.key = payloads.checkout_id(now, phone)
            tx.merchant_request_id, tx.callback_url = payloads.request_id(), callback_url
            tx.outcome = state.outcome_for(phone)
            calls = [] if tx.outcome is Outcome.PENDING else self.finish_stk(tx, tx.outcome)
        logger.info("sim STK %s to %s: %s", tx.key, mask_msisdn(phone), tx.outcome)
        tasks.add_task(self.send_all, calls)
        return JSONResponse(
            {
                "MerchantRequestID": tx.merchant_request_id,
                "CheckoutRequestID": tx.key,
                "ResponseCode": "0",
                "ResponseDescription": "Success. Request accepted for processing",
                "CustomerMessage": "Success. Request accepted for processing",
            }
        )

    async def stk_query(self, request: Request) -> JSONResponse:
        body = await self.stk_body(request)
        tx = self.state.find("stk", text(body, "CheckoutRequestID", 1, 100))
        if tx is None:
            raise bad("CheckoutRequestID")
        if tx.state is TxState.PENDING:
            raise DarajaError(500, "500.001.1001", "The transaction is being processed")
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

    async def c2b_register(self, request: Request) -> JSONResponse:
        state = self.state
        body = await self.authorised(request, "400.003.01", "Invalid Access Token")
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

    async def c2b_simulate(self, request: Request, tasks: BackgroundTasks) -> JSONResponse:
        body = await self.authorised(request, "400.003.01", "Invalid Access Token")
        if text(body, "ShortCode") != self.state.org.shortcode:
            raise bad("ShortCode")
        command = text(body, "CommandID")
        if command not in _STK_TYPES:
            raise bad("CommandID")
        amount = amount_minor(body, 1, 250_000)
        payer = msisdn(body, "Msisdn")
        bill_ref = str(body.get("BillRefNumber") or "")
        tasks.add_task(self.c2b_pay, payer, amount, command, bill_ref)
        return JSONResponse(
            payloads.originator_typo_ack("Accept the service request successfully.")
        )

    def c2b_pay(self, payer: str, amount: int, command: str, bill_ref: str) -> None:
        """Validation (when URLs are registered), then the money, then the confirmation."""
        state = self.state
        with state.lock:
            now, urls = state.clock(), state.c2b_urls.get(state.org.shortcode)
            tx = Transaction("c2b", state.new_receipt(), payer, amount, now)
            tx.receipt = tx.key
            state.add(tx)
        notice = {"shortcode": state.org.shortcode, "command_id": command, "bill_ref": bill_ref}
        accepted = True  # with nothing registered the payment completes silently
        if urls is not None:
            check = payloads.c2b_notice(tx, org_balance_minor=None, now=now, **notice)
            answer = self.deliver(urls.validation_url, check)
            if isinstance(answer, Mapping) and "ResultCode" in answer:
                accepted = str(answer["ResultCode"]) == "0"
            else:
                accepted = urls.response_type == "Completed"
        with state.lock:
            tx.state = TxState.COMPLETED if accepted else TxState.FAILED
            if accepted:
                state.move_to_wallet(payer, -amount)
                state.org.working_minor += amount
            balance = state.org.working_minor
        if accepted and urls is not None:
            confirm = payloads.c2b_notice(tx, org_balance_minor=balance, now=now, **notice)
            self.deliver(urls.confirmation_url, confirm)

    async def set_outcome(self, request: Request) -> JSONResponse:
        """``{"outcome": "cancelled", "msisdn": "2547..."}``; without msisdn: next request."""
        body = await _json(request)
        try:
            outcome = Outcome(str(body.get("outcome")))
        except ValueError:
            raise bad("outcome") from None
        number = body.get("msisdn")
        self.state.set_outcome(outcome, str(number) if number else None)
        return JSONResponse({"outcome": str(outcome), "msisdn": number})

    async def resolve(
        self, checkout: str, request: Request, tasks: BackgroundTasks
    ) -> JSONResponse:
        """Close a prompt left open by the ``pending`` outcome: ``{"outcome": "success"}``."""
        body = await _json(request)
        try:
            outcome = Outcome(body.get("outcome", "success"))
        except ValueError:
            raise bad("outcome") from None
        with self.state.lock:
            tx = self.state.find("stk", checkout)
            if tx is None or tx.state is not TxState.PENDING or outcome is Outcome.PENDING:
                raise bad("CheckoutRequestID")
            calls = self.finish_stk(tx, outcome)
        tasks.add_task(self.send_all, calls)
        return JSONResponse({"CheckoutRequestID": checkout, "ResultCode": tx.result_code})

    def snapshot(self) -> JSONResponse:
        return JSONResponse(self.state.snapshot())
