"""mpesa-sdk 2.0.0 (requests) against the simulator. Its URLs are fixed to Safaricom's hosts,
so the driver points the sandbox host at the simulator. It calls C2B v1 and B2C v3, and has no
SecurityCredential helper: the developer builds one (``correct_credential``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from _common import Step, answered, config, not_sent, refused, run_scenario
from mpesa_sdk import (
    Mpesa,
    MpesaAPIError,
    MpesaConfigurationError,
    MpesaRequestError,
    generate_mpesa_express_password,
    generate_timestamp,
    oauth_generate_token,
    urls,
)

CFG = config()
urls.SANDBOX_BASE_URL = CFG["base_url"]
HOOKS = CFG["callbacks"]


def attempt(call: Callable[[], Any]) -> Step:
    try:
        return answered(call())
    except MpesaConfigurationError as exc:
        return not_sent(exc)
    except MpesaRequestError as exc:
        return refused(exc.status_code, None, str(exc))
    except MpesaAPIError as exc:
        return {"sent": True, "status": 200, "code": exc.code, "message": str(exc), "body": None}


def token(secret: str) -> str:
    body, _ = oauth_generate_token(CFG["key"], secret)
    return str(body["access_token"])


client = Mpesa(token(CFG["secret"]))


def password() -> dict[str, str]:
    timestamp = generate_timestamp()
    secret = generate_mpesa_express_password(CFG["shortcode"], CFG["passkey"], timestamp)
    return {"BusinessShortCode": CFG["shortcode"], "Password": secret, "Timestamp": timestamp}


def stk(phone: str, amount: int, reference: str) -> Step:
    return attempt(
        lambda: client.mpesa_express_payment(
            password()
            | {
                "Amount": amount,
                "PartyA": phone,
                "PartyB": CFG["shortcode"],
                "PhoneNumber": phone,
                "CallBackURL": f"{HOOKS}/stk",
                "AccountReference": reference,
                "TransactionDesc": "Repayment",
            }
        )
    )


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


def b2c(originator: str, amount: int, credential: str) -> Step:
    return attempt(
        lambda: client.b2c_payment_request(
            {
                "OriginatorConversationID": originator,
                "InitiatorName": CFG["initiator"],
                "SecurityCredential": credential,
                "CommandID": "BusinessPayment",
                "Amount": amount,
                "PartyA": CFG["shortcode"],
                "PartyB": CFG["phones"]["payee"],
                "Remarks": "Loan disbursement",
                "QueueTimeOutURL": f"{HOOKS}/b2c/timeout",
                "ResultURL": f"{HOOKS}/b2c/result",
            }
        )
    )


def org_request(kind: str, credential: str, **fields: str) -> dict[str, str]:
    return {
        "Initiator": CFG["initiator"],
        "SecurityCredential": credential,
        "PartyA": CFG["shortcode"],
        "Remarks": "Contract check",
        "QueueTimeOutURL": f"{HOOKS}/{kind}/timeout",
        "ResultURL": f"{HOOKS}/{kind}/result",
        **fields,
    }


run_scenario(
    CFG,
    oauth_refused=lambda: attempt(lambda: token("not-the-secret")),
    stk=stk,
    stk_query=lambda checkout: attempt(
        lambda: client.mpesa_express_query(password() | {"CheckoutRequestID": checkout})
    ),
    c2b_register=c2b_register,
    c2b_simulate=lambda: attempt(
        lambda: client.c2b_simulate_transaction(
            {
                "ShortCode": CFG["shortcode"],
                "Amount": 75,
                "Msisdn": CFG["phones"]["c2b_payer"],
                "BillRefNumber": "LN12345",
            }
        )
    ),
    b2c=b2c,
    status=lambda credential: attempt(
        lambda: client.transaction_status_request(
            org_request("status", credential, OriginalConversationID="contract-b2c")
        )
    ),
    balance=lambda credential: attempt(
        lambda: client.account_balance_request(org_request("balance", credential))
    ),
)
