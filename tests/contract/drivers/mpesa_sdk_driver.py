"""mpesa-sdk 2.0.0 (requests) against the simulator. Its URLs are fixed to Safaricom's hosts,
so the driver points the sandbox host at the simulator. It calls C2B v1 and B2C v3, and has no
SecurityCredential helper: the developer builds one (``correct_credential``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from _common import Step, answered, config, correct_credential, not_sent, refused, run
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
checkout: dict[str, str] = {}


def stk(phone: str, amount: int) -> Any:
    timestamp = generate_timestamp()
    return client.mpesa_express_payment(
        {
            "BusinessShortCode": CFG["shortcode"],
            "Password": generate_mpesa_express_password(
                CFG["shortcode"], CFG["passkey"], timestamp
            ),
            "Timestamp": timestamp,
            "Amount": amount,
            "PartyA": phone,
            "PartyB": CFG["shortcode"],
            "PhoneNumber": phone,
            "CallBackURL": f"{HOOKS}/stk",
            "AccountReference": "LN12345",
            "TransactionDesc": "Repayment",
        }
    )


def stk_push() -> Step:
    step = attempt(lambda: stk(CFG["phones"]["paid"], 10))
    checkout["id"] = (step["body"] or {}).get("CheckoutRequestID", "")
    return step


def stk_query() -> Step:
    timestamp = generate_timestamp()
    return attempt(
        lambda: client.mpesa_express_query(
            {
                "BusinessShortCode": CFG["shortcode"],
                "Password": generate_mpesa_express_password(
                    CFG["shortcode"], CFG["passkey"], timestamp
                ),
                "Timestamp": timestamp,
                "CheckoutRequestID": checkout["id"],
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


def b2c(originator: str, amount: int) -> Step:
    return attempt(
        lambda: client.b2c_payment_request(
            {
                "OriginatorConversationID": originator,
                "InitiatorName": CFG["initiator"],
                "SecurityCredential": correct_credential(CFG["password"], CFG["cert_path"]),
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


def org_request(kind: str, **fields: str) -> dict[str, str]:
    return {
        "Initiator": CFG["initiator"],
        "SecurityCredential": correct_credential(CFG["password"], CFG["cert_path"]),
        "PartyA": CFG["shortcode"],
        "Remarks": "Contract check",
        "QueueTimeOutURL": f"{HOOKS}/{kind}/timeout",
        "ResultURL": f"{HOOKS}/{kind}/result",
        **fields,
    }


def oauth_refused() -> Step:
    return attempt(lambda: token("not-the-secret"))


run(
    {
        "oauth_refused": oauth_refused,
        "stk_push": stk_push,
        "stk_query": stk_query,
        "stk_locked_first": lambda: attempt(lambda: stk(CFG["phones"]["pending"], 20)),
        "stk_locked": lambda: attempt(lambda: stk(CFG["phones"]["pending"], 21)),
        "stk_over_max": lambda: attempt(lambda: stk(CFG["phones"]["over_max"], 300_000)),
        "stk_repeat_first": lambda: attempt(lambda: stk(CFG["phones"]["repeat"], 30)),
        "stk_repeat": lambda: attempt(lambda: stk(CFG["phones"]["repeat"], 30)),
        "c2b_register_refused": lambda: c2b_register(CFG["keyword_callbacks"]),
        "c2b_register": lambda: c2b_register(HOOKS),
        "c2b_simulate": lambda: attempt(
            lambda: client.c2b_simulate_transaction(
                {
                    "ShortCode": CFG["shortcode"],
                    "Amount": 75,
                    "Msisdn": CFG["phones"]["c2b_payer"],
                    "BillRefNumber": "LN12345",
                }
            )
        ),
        "b2c": lambda: b2c("contract-b2c", 100),
        "b2c_below_min": lambda: b2c("contract-below", 5),
        "b2c_over_max": lambda: b2c("contract-over", 300_000),
        "status": lambda: attempt(
            lambda: client.transaction_status_request(
                org_request("status", OriginalConversationID="contract-b2c")
            )
        ),
        "balance": lambda: attempt(lambda: client.account_balance_request(org_request("balance"))),
    }
)
