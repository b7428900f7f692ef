"""The organisation's initiator requests (reference §6): Transaction Status, Account Balance
and Reversal. Each is checked like B2C (token, fields, then the initiator's SecurityCredential
with the 2001/8006 lockout), acknowledged at once, and its result posted to the ResultURL after
the answer.

A reversal sends a completed C2B or STK payment back from the working account to the payer,
at most once: the original is marked under the state lock, so a concurrent second request
finds it reversed (R000001).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.mpesa.simulator import org_payloads, payloads
from integrations.mpesa.simulator.checks import amount_minor, bad, optional_text, text
from integrations.mpesa.simulator.core import Sim
from integrations.mpesa.simulator.org_payloads import OrgRequest
from integrations.mpesa.simulator.state import CREDENTIAL_OK, Transaction, TxState

logger = logging.getLogger(__name__)

ORGANISATION_IDENTIFIER = "4"
REVERSAL_IDENTIFIERS = ("11", "4")  # 11 in the v3 docs, 4 in older ones (reference §6)
REVERSIBLE_KINDS = ("c2b", "stk")


class OrgRoutes:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.state = sim.state

    def _initiator_fields(self, body: dict[str, Any], command: str) -> tuple[str, str]:
        initiator = text(body, "Initiator")
        credential = text(body, "SecurityCredential", 1, 4096)
        if body.get("CommandID") != command:
            raise bad("CommandID")
        return initiator, credential

    def _request(self, body: dict[str, Any]) -> OrgRequest:
        text(body, "QueueTimeOutURL", 1, 1000)
        result_url = text(body, "ResultURL", 1, 1000)
        return org_payloads.new_request(
            result_url, self.state.clock(), optional_text(body, "Occasion", 100)
        )

    def _party_a(self, body: dict[str, Any]) -> None:
        if text(body, "PartyA") != self.state.org.shortcode:
            raise bad("PartyA")
        if text(body, "IdentifierType") != ORGANISATION_IDENTIFIER:
            raise bad("IdentifierType")

    async def status(self, request: Request, tasks: BackgroundTasks) -> JSONResponse:
        """Look the transaction up by receipt (TransactionID) or by our OriginatorConversationID
        (sent as ``OriginalConversationID``)."""
        state = self.state
        body = await self.sim.authorised(request, "status")
        initiator, credential = self._initiator_fields(body, "TransactionStatusQuery")
        receipt = optional_text(body, "TransactionID", 20)
        originator = optional_text(body, "OriginalConversationID", 100)
        if not receipt and not originator:
            raise bad("TransactionID")
        self._party_a(body)
        text(body, "Remarks", 2, 100)
        query = self._request(body)
        code = state.check_initiator(initiator, state.keys.decrypt_credential(credential))
        with state.lock:
            now = state.clock()
            found = self._find(receipt, originator)
            if code != CREDENTIAL_OK:
                result = org_payloads.status_failed(query, code, payloads.RESULT_DESCS[code], now)
            elif found is None:
                result = org_payloads.status_failed(
                    query, org_payloads.NOT_FOUND_CODE, org_payloads.NOT_FOUND_DESC, now
                )
            else:
                result = org_payloads.status_found(query, found, state.org, now)
        self.sim.dispatch(tasks, [(query.result_url, result)])
        return JSONResponse(org_payloads.ack(query))

    def _find(self, receipt: str | None, originator: str | None) -> Transaction | None:
        found = self.state.find_receipt(receipt.upper()) if receipt else None
        if found is None and originator:
            found = self.state.find("b2c", originator) or self.state.find("reversal", originator)
        return found

    async def balance(self, request: Request, tasks: BackgroundTasks) -> JSONResponse:
        state = self.state
        body = await self.sim.authorised(request, "balance")
        initiator, credential = self._initiator_fields(body, "AccountBalance")
        self._party_a(body)
        text(body, "Remarks", 2, 100)
        query = self._request(body)
        code = state.check_initiator(initiator, state.keys.decrypt_credential(credential))
        with state.lock:
            now = state.clock()
            if code != CREDENTIAL_OK:
                result = org_payloads.balance_failed(query, code, now)
            else:
                result = org_payloads.balance_result(query, state.org, now)
        self.sim.dispatch(tasks, [(query.result_url, result)])
        return JSONResponse(org_payloads.ack(query))

    async def reversal(self, request: Request, tasks: BackgroundTasks) -> JSONResponse:
        state = self.state
        body = await self.sim.authorised(request, "reversal")
        initiator, credential = self._initiator_fields(body, "TransactionReversal")
        receipt = text(body, "TransactionID", 1, 20).upper()
        amount = amount_minor(body, 1, 250_000)
        if text(body, "ReceiverParty") != state.org.shortcode:
            raise bad("ReceiverParty")
        if text(body, "RecieverIdentifierType") not in REVERSAL_IDENTIFIERS:
            raise bad("RecieverIdentifierType")  # Safaricom's spelling
        text(body, "Remarks", 2, 100)
        query = self._request(body)
        code = state.check_initiator(initiator, state.keys.decrypt_credential(credential))
        with state.lock:
            now = state.clock()
            if code != CREDENTIAL_OK:
                desc = payloads.RESULT_DESCS[code]
                result = org_payloads.reversal_failed(query, code, desc, now)
            else:
                result = self._reverse(query, receipt, amount)
        logger.info("sim reversal of %s: %s", receipt, result["Result"]["ResultCode"])
        self.sim.dispatch(tasks, [(query.result_url, result)])
        return JSONResponse(org_payloads.ack(query))

    def _reverse(self, query: OrgRequest, receipt: str, amount: int) -> dict[str, Any]:
        """Under the state lock: the checks in M-Pesa's order, then the money, once."""
        state = self.state
        now = state.clock()
        original = state.find_receipt(receipt)
        if (
            original is None
            or original.kind not in REVERSIBLE_KINDS
            or original.state is not TxState.COMPLETED
        ):
            return org_payloads.reversal_failed(query, *org_payloads.INVALID_ORIGINAL, now)
        if original.reversed_by is not None:
            return org_payloads.reversal_failed(query, *org_payloads.ALREADY_REVERSED, now)
        if amount != original.amount_minor:
            return org_payloads.reversal_failed(query, *org_payloads.AMOUNT_MISMATCH, now)
        if state.org.working_minor < amount:
            return org_payloads.reversal_failed(query, 1, payloads.RESULT_DESCS[1], now)
        reversal = Transaction("reversal", query.originator_id, original.msisdn, amount, now)
        reversal.conversation_id = query.conversation_id
        reversal.receipt, reversal.original_receipt = state.new_receipt(), original.receipt
        reversal.account_reference = original.account_reference
        reversal.state, reversal.completed_at = TxState.COMPLETED, now
        reversal.result_code, reversal.result_desc = 0, payloads.SUCCESS_DESC
        state.add(reversal)
        state.reverse(original, reversal, now)
        return org_payloads.reversal_done(query, reversal, original, state.org, now)


def add_routes(app: FastAPI, sim: Sim) -> None:
    routes = OrgRoutes(sim)
    app.add_api_route("/mpesa/transactionstatus/v1/query", routes.status, methods=["POST"])
    app.add_api_route("/mpesa/accountbalance/v1/query", routes.balance, methods=["POST"])
    app.add_api_route("/mpesa/reversal/v1/request", routes.reversal, methods=["POST"])
