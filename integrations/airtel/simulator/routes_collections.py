"""Collections: USSD push (``/merchant/v1/payments/``, and ``v2`` with a checked signature),
the enquiry (``/standard/v1/payments/{id}``) and the refund (``/standard/v1/payments/refund``).

A push is recorded under our id before anything else (a second one is refused, ``ESB000041``)
and answered ``DP00800001006`` "in process" with the documented quirk ``"id": false``; the
customer's answer comes after, by callback.
"""

from __future__ import annotations

import logging

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.airtel.codes import TxStatus, describe
from integrations.airtel.numbers import international_number, is_airtel_kenya
from integrations.airtel.simulator.gate import (
    AirtelError,
    Sim,
    envelope,
    national,
    reference,
    refused,
    text,
    transaction_id,
    whole_kes,
)
from integrations.airtel.simulator.outcomes import COLLECTION_FAILURES, Outcome
from integrations.airtel.simulator.state import COLLECTION, Transaction
from integrations.mpesa.simulator.delivery import Call
from integrations.phone import mask_msisdn

logger = logging.getLogger(__name__)

MIN_KES, MAX_KES = 10, 150_000


class CollectionRoutes:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.state = sim.state

    async def push(self, request: Request, tasks: BackgroundTasks) -> JSONResponse:
        body = await self.sim.authorised(request)
        if request.url.path.startswith("/merchant/v2/"):
            self._check_signature(request, await request.body())
        return self._push(body, tasks)

    def _check_signature(self, request: Request, raw: bytes) -> None:
        signature = request.headers.get("x-signature", "")
        key = request.headers.get("x-key", "")
        signed = self.state.keys.signed_body(signature, key, self.state.rsa_padding)
        if signed is None or signed != raw:
            raise refused(describe("DP00800001026"), "DP00800001026", "ESB000011")

    def _push(self, body: dict[str, object], tasks: BackgroundTasks) -> JSONResponse:
        state = self.state
        ref = reference(body, "reference")
        msisdn = international_number(national(body, "subscriber.msisdn"))
        for part in ("subscriber", "transaction"):
            if text(body, f"{part}.country") != state.country:
                raise refused("Invalid Country Name", None, "ESB000034")
            if text(body, f"{part}.currency") != state.currency:
                raise refused("Invalid Currency Code", None, "ESB000035")
        tx_id = transaction_id(body, "transaction.id")
        amount_kes = whole_kes(body, "transaction.amount")
        if amount_kes is None or not MIN_KES <= amount_kes <= MAX_KES:
            raise refused(describe("DP00800001004"), "DP00800001004", "ESB000011")
        if not is_airtel_kenya(msisdn):
            raise refused(describe("DP00800001010"), "DP00800001010", "ESB000011")
        script = state.script_for(msisdn)
        tx = Transaction(
            COLLECTION, tx_id, msisdn, amount_kes * 100, ref, state.clock(), script.outcome
        )
        with state.lock:
            if not state.add(tx):
                raise refused(describe("ESB000041"), None, "ESB000041")
            calls = self.finish(tx) if script.outcome is not Outcome.PENDING else []
        logger.info("sim collection %s from %s: %s", tx_id, mask_msisdn(msisdn), script.outcome)
        self.sim.dispatch(tasks, calls, script)
        data = {"transaction": {"id": False, "status": "SUCCESS"}}
        return JSONResponse(envelope(True, "SUCCESS", "DP00800001006", data=data))

    def finish(self, tx: Transaction) -> list[Call]:
        """The customer answers the prompt: ``tx`` ends as its outcome says."""
        state = self.state
        with state.lock:
            if tx.outcome is Outcome.AMBIGUOUS:
                tx.status, tx.code = TxStatus.AMBIGUOUS, "DP00800001000"
                tx.ambiguous_enquiries_left = state.ambiguous_enquiries
                return []
            code = COLLECTION_FAILURES.get(tx.outcome)
            if code is None and state.wallet(tx.msisdn) < tx.amount_minor:
                code = "DP00800001007"
            if code is None:
                state.close(tx, TxStatus.SUCCESS, "DP00800001001", "Transaction is successful")
            else:
                state.close(tx, TxStatus.FAILED, code, describe(code))
            return self.sim.callbacks(tx)

    async def enquiry(self, tx_id: str, request: Request) -> JSONResponse:
        await self.sim.authorised(request, with_body=False)
        return enquiry_answer(self.sim, self.state.find(COLLECTION, tx_id), "DP00800001025")

    async def refund(self, request: Request) -> JSONResponse:
        body = await self.sim.authorised(request)
        paid_id = text(body, "transaction.airtel_money_id")
        state = self.state
        with state.lock:
            tx = state.find_paid(paid_id)
            if tx is None:
                raise refused(describe("ESB000045"), None, "ESB000045")
            if tx.status is TxStatus.REVERSED:
                raise refused("Transaction already refunded", None, "ESB000011")
            if tx.status is not TxStatus.SUCCESS:
                raise refused("Only a successful transaction can be refunded", None, "ESB000011")
            refund_id = state.refund(tx)
        data = {"transaction": {"airtel_money_id": refund_id, "status": "SUCCESS"}}
        return JSONResponse(envelope(True, "SUCCESS", data=data))


def enquiry_answer(sim: Sim, tx: Transaction | None, not_found: str) -> JSONResponse:
    """A transaction's status; an ambiguous one answers ``TA`` a few times, then settles."""
    if tx is None:
        raise AirtelError(200, envelope(False, describe(not_found), not_found, "ESB000045"))
    state = sim.state
    with state.lock:
        if tx.status is TxStatus.AMBIGUOUS:
            if tx.ambiguous_enquiries_left > 0:
                tx.ambiguous_enquiries_left -= 1
            else:
                success = "DP00800001001" if tx.kind == COLLECTION else "DP00900001001"
                state.close(tx, TxStatus.SUCCESS, success, "Transaction is successful")
        data = {
            "transaction": {
                "airtel_money_id": tx.airtel_money_id,
                "id": tx.id,
                "message": tx.message,
                "status": str(tx.status),
            }
        }
        return JSONResponse(envelope(True, "SUCCESS", tx.code or None, data=data))


def add_routes(app: FastAPI, sim: Sim) -> CollectionRoutes:
    routes = CollectionRoutes(sim)
    for path in ("/merchant/v1/payments/", "/merchant/v2/payments/"):
        app.add_api_route(path, routes.push, methods=["POST"])
    app.add_api_route("/standard/v1/payments/refund", routes.refund, methods=["POST"])
    app.add_api_route("/standard/v1/payments/{tx_id}", routes.enquiry, methods=["GET"])
    return routes
