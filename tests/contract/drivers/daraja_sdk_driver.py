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
from _common import Step, answered, config, correct_credential, not_sent, refused, run_scenario
from daraja import Mpesa
from daraja.exceptions import MpesaError
from daraja.utils import generate_security_credential
from pydantic import ValidationError

CFG = config()
daraja.environment.SANDBOX_BASE_URL = CFG["base_url"]
HOOKS = CFG["callbacks"]
SHORTCODE = int(CFG["shortcode"])


def client_for(secret: str) -> Mpesa:
    return Mpesa(
        {
            "consumer_key": CFG["key"],
            "consumer_secret": secret,
            "environment": "sandbox",
            "passkey": CFG["passkey"],
            "initiator_name": CFG["initiator"],
            "security_credential": correct_credential(CFG["password"], CFG["cert_path"]),
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


def stk(phone: str, amount: int, reference: str) -> Step:
    return attempt(
        lambda: client.stk_push(
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
    )


def b2c(originator: str, amount: int, credential: str) -> Step:
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


def org_request(kind: str, command: str, **fields: Any) -> dict[str, Any]:
    return {
        "CommandID": command,
        "PartyA": SHORTCODE,
        "Remarks": "Contract check",
        "ResultURL": f"{HOOKS}/{kind}/result",
        "QueueTimeOutURL": f"{HOOKS}/{kind}/timeout",
        **fields,
    }


run_scenario(
    CFG,
    oauth_refused=lambda: attempt(client_for("not-the-secret").get_access_token),
    stk=stk,
    stk_query=lambda checkout: attempt(
        lambda: client.stk_query(
            {"BusinessShortCode": CFG["shortcode"], "CheckoutRequestID": checkout}
        )
    ),
    c2b_register=lambda path: attempt(
        lambda: client.c2b_register_url(
            {
                "ShortCode": CFG["shortcode"],
                "ResponseType": "Completed",
                "ConfirmationURL": f"{path}/c2b/confirmation",
                "ValidationURL": f"{path}/c2b/validation",
            }
        )
    ),
    c2b_simulate=lambda: attempt(
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
    b2c=b2c,
    library_credential=generate_security_credential(CFG["password"], CFG["cert_path"]),
    status=lambda credential: attempt(
        lambda: client.transaction_status(
            org_request(
                "status",
                "TransactionStatusQuery",
                SecurityCredential=credential,
                OriginalConversationID="contract-b2c",
            )
        )
    ),
    balance=lambda credential: attempt(
        lambda: client.account_balance(
            org_request("balance", "AccountBalance", SecurityCredential=credential)
        )
    ),
)
