"""What every Daraja route shares: the state, the courier, the OAuth endpoint and the gate each
authorised call passes (token, then the spike-arrest fault, then ``Content-Type:
application/json``, then a JSON object body)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import BackgroundTasks, Request
from fastapi.responses import JSONResponse

from integrations.mpesa.simulator.checks import DarajaError, Deliver, bad
from integrations.mpesa.simulator.delivery import Call, Courier, plan
from integrations.mpesa.simulator.outcomes import Script
from integrations.mpesa.simulator.state import SimulatorState

EXPIRES_IN = "3599"
_B2C_TOKEN = ("401.002.01", "Error Occurred - Invalid Access Token - sim")
_STK_TOKEN = ("404.001.03", "Invalid Access Token")
_C2B_TOKEN = ("400.003.01", "Invalid Access Token")
TOKEN_ERRORS: dict[str, tuple[str, str]] = {
    "b2c": _B2C_TOKEN,
    "balance": _B2C_TOKEN,
    "stk": _STK_TOKEN,
    "stk_query": _STK_TOKEN,
    "reversal": _STK_TOKEN,
    "c2b": _C2B_TOKEN,
    "status": _C2B_TOKEN,
}
"""The invalid-token envelope differs per API family (reference §1.3)."""
FIRST_FIELDS: dict[str, str] = {
    "b2c": "InitiatorName",
    "balance": "Initiator",
    "stk": "BusinessShortCode",
    "stk_query": "BusinessShortCode",
    "reversal": "Initiator",
    "c2b": "ShortCode",
    "status": "Initiator",
}
"""The field a body sent without ``Content-Type: application/json`` is refused for: Daraja does
not read it, so the first field it checks is missing (OFF3 BusinessToCustomer FAQ 18 "Bad
Request - Invalid InitiatorName", MpesaExpressSimulate FAQ 9 "... Invalid BusinessShortCode";
the other families name their first field by the same rule)."""
JSON_MEDIA_TYPE = "application/json"
SPIKE_ARREST_STATUS = 500
SPIKE_ARREST_CODE = "500.003.02"
SPIKE_ARREST_MESSAGE = "Error Occurred: Spike Arrest Violation"


async def read_json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise DarajaError(400, "400.002.05", "Invalid Request Payload")
    return body


class Sim:
    def __init__(self, state: SimulatorState, deliver: Deliver) -> None:
        self.state = state
        self.deliver = deliver
        self.courier = Courier(deliver)

    async def authorised(self, request: Request, family: str) -> dict[str, Any]:
        """The JSON body of a call that passed the gate; else the family's Daraja envelope."""
        code, message = TOKEN_ERRORS[family]
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.state.token_valid(token.strip()):
            raise DarajaError(401, code, message)
        if self.state.take_spike_arrest():
            raise DarajaError(SPIKE_ARREST_STATUS, SPIKE_ARREST_CODE, SPIKE_ARREST_MESSAGE)
        media_type = request.headers.get("Content-Type", "").partition(";")[0].strip().lower()
        if media_type != JSON_MEDIA_TYPE:
            raise bad(FIRST_FIELDS[family])
        return await read_json(request)

    def dispatch(
        self, tasks: BackgroundTasks, calls: list[Call], script: Script | None = None
    ) -> None:
        """Send ``calls`` after the answer, as the scripted outcome says."""
        tasks.add_task(self.courier.send, plan(calls, script))

    def oauth(self, request: Request, grant_type: str = "") -> JSONResponse:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            key, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            key = secret = ""
        token = self.state.issue_token(key, secret) if scheme.lower() == "basic" else None
        if token is None:
            raise DarajaError(400, "400.008.01", "Invalid authentication type passed")
        if grant_type != "client_credentials":
            raise DarajaError(400, "400.008.02", "Invalid grant type passed")
        return JSONResponse({"access_token": token, "expires_in": EXPIRES_IN})
