"""Disbursements (``POST /standard/v2/disbursements/``) and their enquiry
(``GET /standard/v2/disbursements/{id}?transactionType=B2C``; ``/standard/v1/...`` too, as
airtelmoney-py calls it).

The PIN is checked by decrypting it with the simulator's private key (``ROUTER116`` when it
does not open, ``ROUTER115`` when it is not the PIN). A payout is recorded under our id before
anything else, so a resend is refused (``DP00900001017``) and never pays twice. Plain outcomes
answer at once (``DP00900001001``, ``TS``) and send the callback too; refusals answer
``success`` false, end ``TF`` and send no callback (the enquiry still tells).
"""

from __future__ import annotations

import logging
import secrets

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.airtel.codes import TxStatus, describe
from integrations.airtel.numbers import international_number, is_airtel_kenya
from integrations.airtel.simulator.gate import (
    MAX_CIPHERTEXT_CHARS,
    AirtelError,
    Sim,
    envelope,
    field,
    invalid,
    national,
    reference,
    refused,
    text,
    transaction_id,
    whole_kes,
)
from integrations.airtel.simulator.outcomes import DISBURSEMENT_REFUSALS, Outcome
from integrations.airtel.simulator.routes_collections import enquiry_answer
from integrations.airtel.simulator.state import DISBURSEMENT, Transaction
from integrations.mpesa.simulator.delivery import Call
from integrations.phone import mask_msisdn

logger = logging.getLogger(__name__)

MIN_KES, MAX_KES = 10, 150_000
_ANSWERS = {
    TxStatus.SUCCESS: (True, "DP00900001001"),
    TxStatus.AMBIGUOUS: (True, "DP00900001000"),
    TxStatus.IN_PROGRESS: (True, "DP00900001006"),
}


class DisbursementRoutes:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.state = sim.state

    def _check(self, body: dict[str, object]) -> tuple[str, int]:
        state = self.state
        msisdn = international_number(national(body, "payee.msisdn"))
        if field(body, "payee.wallet_type") not in (None, "NORMAL"):
            raise invalid("payee.wallet_type")
        if field(body, "payee.currency") not in (None, state.currency):
            raise refused("Invalid Currency Code", None, "ESB000035")
        reference(body, "reference")
        if field(body, "transaction.type") != "B2C":
            raise invalid("transaction.type")
        pin = state.keys.decrypt(
            text(body, "pin", max_chars=MAX_CIPHERTEXT_CHARS), state.rsa_padding
        )
        if pin is None:
            raise refused(describe("ROUTER116"), None, "ROUTER116")
        if not secrets.compare_digest(pin, state.pin.encode()):
            raise refused(describe("ROUTER115"), None, "ROUTER115")
        amount_kes = whole_kes(body, "transaction.amount")
        if amount_kes is None or not MIN_KES <= amount_kes <= MAX_KES:
            raise refused(describe("DP00900001004"), "DP00900001004", "ESB000011")
        if not is_airtel_kenya(msisdn):
            raise refused(describe("DP00900001012"), "DP00900001012", "ESB000011")
        return msisdn, amount_kes * 100

    async def disburse(self, request: Request, tasks: BackgroundTasks) -> JSONResponse:
        state = self.state
        body = await self.sim.authorised(request)
        tx_id = transaction_id(body, "transaction.id")
        msisdn, amount_minor = self._check(body)
        script = state.script_for(msisdn)
        ref = text(body, "reference")
        tx = Transaction(
            DISBURSEMENT, tx_id, msisdn, amount_minor, ref, state.clock(), script.outcome
        )
        with state.lock:
            if not state.add(tx):
                raise refused(describe("DP00900001017"), "DP00900001017", "ESB000041")
            calls = self.finish(tx) if script.outcome is not Outcome.PENDING else []
        logger.info("sim disbursement %s to %s: %s", tx_id, mask_msisdn(msisdn), script.outcome)
        self.sim.dispatch(tasks, calls, script)
        if tx.status is TxStatus.FAILED:
            raise AirtelError(200, envelope(False, tx.message, tx.code, tx.result_code))
        success, code = _ANSWERS[tx.status]
        data = {
            "transaction": {
                "reference_id": tx.airtel_money_id,
                "airtel_money_id": tx.airtel_money_id,
                "id": tx.id,
                "status": str(tx.status),
            }
        }
        return JSONResponse(envelope(success, "SUCCESS", code, data=data))

    def finish(self, tx: Transaction) -> list[Call]:
        state = self.state
        with state.lock:
            if tx.outcome is Outcome.AMBIGUOUS:
                tx.status, tx.code = TxStatus.AMBIGUOUS, "DP00900001000"
                tx.ambiguous_enquiries_left = state.ambiguous_enquiries
                tx.airtel_money_id = state.new_airtel_money_id()
                return []
            code, result = DISBURSEMENT_REFUSALS.get(tx.outcome, ("", ""))
            if not code and state.disbursement_minor < tx.amount_minor:
                code, result = DISBURSEMENT_REFUSALS[Outcome.INSUFFICIENT]
            if code:  # refused in the answer itself: no callback follows
                state.close(tx, TxStatus.FAILED, code, describe(result) or describe(code))
                tx.result_code = result
                return []
            state.close(tx, TxStatus.SUCCESS, "DP00900001001", "Transaction is successful")
            return self.sim.callbacks(tx)

    async def enquiry(self, tx_id: str, request: Request) -> JSONResponse:
        await self.sim.authorised(request, with_body=False)
        if request.url.path.startswith("/standard/v2/") and (
            request.query_params.get("transactionType") != "B2C"
        ):
            raise invalid("transactionType")
        return enquiry_answer(self.sim, self.state.find(DISBURSEMENT, tx_id), "DP00900001015")


def add_routes(app: FastAPI, sim: Sim) -> DisbursementRoutes:
    routes = DisbursementRoutes(sim)
    app.add_api_route("/standard/v2/disbursements/", routes.disburse, methods=["POST"])
    for version in ("v1", "v2"):
        path = f"/standard/{version}/disbursements/{{tx_id}}"
        app.add_api_route(path, routes.enquiry, methods=["GET"])
    return routes
