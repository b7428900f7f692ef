"""A FastAPI app serving Airtel Money's Open API paths over an ``AirtelSimState``.

Outcomes by the last two digits of the customer's number (or ``POST /__sim__/outcomes``, for
one number or the next request only):

===  ============  ===========================================  ===================================
sfx  outcome       collection (USSD push, answered "in process")  disbursement (answered at once)
===  ============  ===========================================  ===================================
00   success       callback TS, DP00800001001                   DP00900001001, TS; callback TS
01   cancelled     callback TF, DP00800001008 Refused            refused DP00900001013, TF (no
                                                                callback after a refusal)
02   insufficient  TF DP00800001007 (also: wallet short)        refused DP00900001007 (also: float)
03   wrong_pin     TF DP00800001002 Incorrect PIN               refused ROUTER115, TF
04   lost          TS, NO callback (the enquiry tells)          TS, NO callback
05   duplicate     callback sent ``copies`` (2) times at once   the same
06   timeout       TF DP00800001024 (the customer never         DP00900001014 "timed out, may be
                   answered)                                    processed" (UNKNOWN); ends TF
07   ambiguous     TA for ``ambiguous_enquiries`` (1)           DP00900001000; TA likewise, then
                   enquiries, then TS; no callback              TS; no callback
08   delayed       a late callback: ``delay_s`` (3 s) later     the same
--   pending       TIP until ``/__sim__/transactions/collection/{id}/resolve`` (or ``disbursement``)
===  ============  ===========================================  ===================================

Any other suffix succeeds; numbers outside Airtel Kenya's ranges are refused
(``DP00800001010`` / ``DP00900001012``); amounts must be whole shillings, KES 10 - 150,000.
A resend of a transaction id is refused (``ESB000041`` / ``DP00900001017``) and pays nothing.
Callbacks go to ``callback_urls[kind]`` with a ``hash`` when ``callback_secret`` is set.
Faults (``/__sim__/faults``): ``throttle`` n (HTTP 429), ``response_delay_s`` with ``paths``
(families: ``faults.FAMILIES``) and ``count``; ``POST /__sim__/tokens/revoke``.
``GET /__sim__/statement.csv?account=collection|disbursement`` exports the statement.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.airtel.simulator import routes_collections, routes_control, routes_disbursements
from integrations.airtel.simulator.faults import family_of
from integrations.airtel.simulator.gate import AirtelError, Sim, envelope
from integrations.airtel.simulator.state import TOKEN_LIFETIME, AirtelSimState
from integrations.mpesa.simulator.checks import Deliver
from integrations.simulator_faults import ResponseDelay

KEY_VALIDITY = timedelta(days=365)


def create_simulator(state: AirtelSimState, deliver: Deliver) -> FastAPI:
    app = FastAPI(title="Airtel Money simulator", docs_url=None, redoc_url=None, openapi_url=None)
    sim = Sim(state, deliver)

    @app.exception_handler(AirtelError)
    async def refused(_: Request, exc: AirtelError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.http_status)

    def take_delay(family: str) -> float:
        with state.lock:
            delay_s, state.faults = state.faults.take_response_delay(family)
            return delay_s

    app.add_middleware(ResponseDelay, take_delay=take_delay, family_of=family_of)

    async def token(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        if body.get("grant_type") != "client_credentials":
            error = {"error": "unsupported_grant_type", "error_description": "Unsupported grant"}
            return JSONResponse(error, status_code=400)
        issued = state.issue_token(str(body.get("client_id")), str(body.get("client_secret")))
        if issued is None:
            error = {"error": "invalid_client", "error_description": "Invalid client credentials"}
            return JSONResponse(error, status_code=401)
        lifetime_s = str(int(TOKEN_LIFETIME.total_seconds()))  # a string, as Airtel sends it
        return JSONResponse(
            {"access_token": issued, "expires_in": lifetime_s, "token_type": "bearer"}
        )

    async def encryption_key(request: Request) -> JSONResponse:
        await sim.authorised(request, with_body=False)
        valid_upto = (state.clock() + KEY_VALIDITY).strftime("%Y-%m-%d %H:%M:%S")
        data = {"key_id": 1, "key": state.keys.public_key_text().decode(), "valid_upto": valid_upto}
        return JSONResponse(envelope(True, "SUCCESS", "DP02010001001", data=data))

    app.add_api_route("/auth/oauth2/token", token, methods=["POST"])
    app.add_api_route("/v1/rsa/encryption-keys", encryption_key, methods=["GET"])
    collections = routes_collections.add_routes(app, sim)
    disbursements = routes_disbursements.add_routes(app, sim)
    routes_control.add_routes(app, sim, collections, disbursements)
    return app
