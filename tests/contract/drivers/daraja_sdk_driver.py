"""daraja-sdk-py 2.0.0 (httpx, pydantic) against the simulator. Its URLs are fixed to
Safaricom's hosts, so the driver points the sandbox host at the simulator. It calls C2B v2 and
B2C v3, validates amounts itself (STK 1..250,000), answers repeated identical POSTs from its own
idempotency cache, and retries HTTP 500s (turned off here: ``max_retries=0``). Its
``generate_security_credential`` encrypts the base64 of the password, not the password:
Daraja answers such a credential 2001."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import daraja.environment
import httpx
from _common import Step, answered, config, correct_credential, not_sent, refused, run
from daraja import Mpesa
from daraja.exceptions import MpesaError
from daraja.utils import generate_security_credential
from pydantic import ValidationError

CFG = config()
daraja.environment.SANDBOX_BASE_URL = CFG["base_url"]
HOOKS = CFG["callbacks"]
SHORTCODE = int(CFG["shortcode"])
CREDENTIAL = correct_credential(CFG["password"], CFG["cert_path"])


def client_for(secret: str) -> Mpesa:
    return Mpesa(
        {
            "consumer_key": CFG["key"],
            "consumer_secret": secret,
            "environment": "sandbox",
            "passkey": CFG["passkey"],
            "initiator_name": CFG["initiator"],
            "security_credential": CREDENTIAL,
            "max_retries": 0,
        }
    )


def attempt(call: Callable[[], Any]) -> Step:
    try:
        return answered(call())
    except ValidationError as exc:
        return not_sent(exc)
    except MpesaError as exc:
        return refused(exc.status_code, exc.raw_response, exc.message)
    except httpx.HTTPStatusError as exc:  # the token fetch lets httpx's own error through
        return refused(exc.response.status_code, exc.response.text)


client = client_for(CFG["secret"])
checkout: dict[str, str] = {}


def stk(phone: str, amount: int, reference: str = "LN12345") -> Any:
    return client.stk_push(
        {
            "BusinessShortCode": SHORTCODE,
            "TransactionType": "CustomerPayBillOnline",
            "Amount": amount,
            "PartyA": int(phone),
            "PartyB": SHORTCODE,
            "PhoneNumber": int(phone),
            "CallBackURL": f"{HOOKS}/stk",
            "AccountReference": reference,
            "TransactionDesc": "Repayment",
        }
    )


def stk_push() -> Step:
    step = attempt(lambda: stk(CFG["phones"]["paid"], 10))
    checkout["id"] = (step["body"] or {}).get("CheckoutRequestID", "")
    return step


def c2b_register(path: str) -> Step:
    return attempt(
        lambda: client.c2b_register_url(
            {
                "ShortCode": CFG["shortcode"],
                "ResponseType": "Completed",
                "ConfirmationURL": f"{path}/c2b/confirmation",
                "ValidationURL": f"{path}/c2b/validation",
            }
        )
    )


def b2c(originator: str, amount: int, credential: str = CREDENTIAL) -> Step:
    return attempt(
        lambda: client.b2c(
            {
                "OriginatorConversationID": originator,
                "SecurityCredential": credential,
                "CommandID": "BusinessPayment",
                "Amount": amount,
                "PartyA": SHORTCODE,
                "PartyB": int(CFG["phones"]["payee"]),
                "Remarks": "Loan disbursement",
                "QueueTimeOutURL": f"{HOOKS}/b2c/timeout",
                "ResultURL": f"{HOOKS}/b2c/result",
            }
        )
    )


run(
    {
        "oauth_refused": lambda: attempt(lambda: client_for("not-the-secret").get_access_token()),
        "stk_push": stk_push,
        "stk_query": lambda: attempt(
            lambda: client.stk_query(
                {"BusinessShortCode": CFG["shortcode"], "CheckoutRequestID": checkout["id"]}
            )
        ),
        "stk_locked_first": lambda: attempt(lambda: stk(CFG["phones"]["pending"], 20)),
        "stk_locked": lambda: attempt(lambda: stk(CFG["phones"]["pending"], 21)),
        "stk_over_max": lambda: attempt(lambda: stk(CFG["phones"]["over_max"], 300_000)),
        "stk_repeat_first": lambda: attempt(lambda: stk(CFG["phones"]["repeat"], 30, "LN1")),
        # A new reference: an identical request would be answered from the SDK's own cache.
        "stk_repeat": lambda: attempt(lambda: stk(CFG["phones"]["repeat"], 30, "LN2")),
        "c2b_register_refused": lambda: c2b_register(CFG["keyword_callbacks"]),
        "c2b_register": lambda: c2b_register(HOOKS),
        "c2b_simulate": lambda: attempt(
            lambda: client.c2b_simulate(
                {
                    "ShortCode": SHORTCODE,
                    "CommandID": "CustomerPayBillOnline",
                    "Amount": 75,
                    "Msisdn": int(CFG["phones"]["c2b_payer"]),
                    "BillRefNumber": "LN12345",
                }
            )
        ),
        "b2c_library_credential": lambda: b2c(
            "contract-library-credential",
            100,
            generate_security_credential(CFG["password"], CFG["cert_path"]),
        ),
        "b2c": lambda: b2c("contract-b2c", 100),
        "b2c_below_min": lambda: b2c("contract-below", 5),
        "b2c_over_max": lambda: b2c("contract-over", 300_000),
        "status": lambda: attempt(
            lambda: client.transaction_status(
                {
                    "CommandID": "TransactionStatusQuery",
                    "OriginalConversationID": "contract-b2c",
                    "PartyA": SHORTCODE,
                    "ResultURL": f"{HOOKS}/status/result",
                    "QueueTimeOutURL": f"{HOOKS}/status/timeout",
                    "Remarks": "Contract check",
                }
            )
        ),
        "balance": lambda: attempt(
            lambda: client.account_balance(
                {
                    "CommandID": "AccountBalance",
                    "PartyA": SHORTCODE,
                    "Remarks": "Contract check",
                    "ResultURL": f"{HOOKS}/balance/result",
                    "QueueTimeOutURL": f"{HOOKS}/balance/timeout",
                }
            )
        ),
    }
)
