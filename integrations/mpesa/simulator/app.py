"""A FastAPI app serving Daraja's paths over a ``SimulatorState``.

Outcomes are scripted by the last two digits of the customer's number (or set through
``POST /__sim__/outcomes``, for one number or for the next request only):

===  ============  ======================================  ======================================
sfx  outcome       STK push                                B2C payout
===  ============  ======================================  ======================================
00   success       callback ResultCode 0, receipt          result 0, receipt, utility debited
01   cancelled     1032 Request cancelled by user          2040 recipient not registered
02   insufficient  1 (also whenever the wallet is short)   1 (also whenever utility is short)
03   wrong_pin     2001 (the customer's wrong PIN)         2001 (also on a wrong credential)
04   lost          completes, NO callback (query works)    completes, NO result callback
05   duplicate     callback sent ``copies`` (2) times at   result sent ``copies`` (2) times at
                   once, on parallel threads               once, on parallel threads
06   timeout       1037 DS timeout                         queue-timeout notice, no money moves
                                                           (status query: Expired)
07   late          completes, NO callback (STK has no      queue-timeout notice, yet the money
                   queue-timeout URL to be late on)        moves; NO result (status: Completed)
08   delayed       callback ``delay_s`` (3 s) later        result ``delay_s`` (3 s) later
09   expired       1019 Transaction has expired            queue-timeout notice, as ``timeout``
10   push_error    1025 error sending the push request     26 system too busy
--   pending       open until /__sim__/stk/{id}/resolve    in flight until
                                                           /__sim__/b2c/{id}/resolve (status:
                                                           Initiated)
===  ============  ======================================  ======================================

Any other suffix succeeds. ``{"outcome": "duplicate", "copies": 5}`` and ``{"outcome":
"delayed", "delay_s": 1.5}`` tune the two. Callbacks leave through ``deliver(url, body)`` after
the answer (``delivery``); a delayed one on a timer thread, so nothing waits for it. For C2B
validation, ``deliver``'s return value is read as the validator's answer: a mapping whose
ResultCode is not 0 cancels the payment; anything else (None, an unreachable URL) applies the
registered ResponseType.

Daraja's rules beyond the script: limit rules answered in the result callback (``limits``: 2, 3,
4, 8), a phone's open prompt locking it and the same amount within 2 minutes declined with 17
(``subscribers``), C2B URLs Safaricom refuses refused at registration (``callback_urls``), and
every refusal in Daraja's envelope: unknown paths ``404.001.01``, wrong methods ``405.001``, a body
without ``Content-Type: application/json`` ``400.002.02`` (``core``). docs/simulators.md gives
each rule's source.

Transaction Status, Account Balance and Reversal (``routes_org``) post their results to the
request's ResultURL. Three consecutive wrong SecurityCredentials lock the initiator (8006 on
B2C, status, balance and reversal) until ``POST /__sim__/initiator/unlock``.

Fault toggles (``POST``/``GET``/``DELETE /__sim__/faults``, see ``faults``): ``spike_arrest``
(the next n authorised calls answer HTTP 500 ``500.003.02``), ``response_delay_s`` with
``paths`` and ``count`` (answers held back after processing), ``early_query_pending``; and
``POST /__sim__/tokens/revoke``. ``GET /__sim__/statement.csv`` exports the org-portal statement.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from integrations.mpesa.simulator import (
    payloads,
    routes_b2c,
    routes_c2b,
    routes_control,
    routes_org,
    routes_stk,
)
from integrations.mpesa.simulator.checks import DarajaError, Deliver, httpx_deliverer
from integrations.mpesa.simulator.core import Sim
from integrations.mpesa.simulator.faults import API_FAMILIES
from integrations.mpesa.simulator.state import SimulatorState
from integrations.simulator_faults import ResponseDelay

__all__ = ["Deliver", "create_simulator", "httpx_deliverer"]

NOT_FOUND = ("404.001.01", "Resource not found")
METHOD_NOT_ALLOWED = "405.001"
METHOD_NOT_ALLOWED_STATUS = 405
"""Daraja's own envelopes for an unknown path or a wrong method (OFF3 MpesaExpressSimulate
error table: "405.001 Method Not Allowed (e.g. GET Method Not Allowed)")."""


def create_simulator(state: SimulatorState, deliver: Deliver) -> FastAPI:
    app = FastAPI(title="Daraja simulator", docs_url=None, redoc_url=None, openapi_url=None)
    sim = Sim(state, deliver)

    @app.exception_handler(DarajaError)
    async def refused(_: Request, exc: DarajaError) -> JSONResponse:
        return JSONResponse(payloads.error(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(HTTPException)
    async def routing_error(request: Request, exc: HTTPException) -> JSONResponse:
        # Starlette's routing raises only 404 (no such path) and 405 (wrong method).
        if exc.status_code == METHOD_NOT_ALLOWED_STATUS:
            code, message = METHOD_NOT_ALLOWED, f"{request.method} Method Not Allowed"
        else:
            code, message = NOT_FOUND
        return JSONResponse(
            payloads.error(code, message), status_code=exc.status_code, headers=exc.headers
        )

    app.add_middleware(
        ResponseDelay, take_delay=state.take_response_delay, family_of=API_FAMILIES.get
    )
    app.add_api_route("/oauth/v1/generate", sim.oauth, methods=["GET"])
    routes_b2c.add_routes(app, sim)
    routes_stk.add_routes(app, sim)
    routes_c2b.add_routes(app, sim)
    routes_org.add_routes(app, sim)
    routes_control.add_routes(app, sim)
    return app
