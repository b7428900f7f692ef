"""mpesakit 2.2.0 (httpx, pydantic) against the simulator, through its ``MpesaClient`` with the
base URL pointed at the simulator. It registers C2B URLs through v1 (it has no C2B simulate),
pays out through B2C v3, and offers ``generate_security_credential``, which encrypts the
password with a timestamp appended (reference §5.2): Daraja answers such a credential 2001."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from _common import Step, answered, config, correct_credential, not_sent, refused, run
from mpesakit import MpesaClient
from mpesakit.b2c.schemas import B2CCommandIDType
from mpesakit.errors import MpesaApiException
from mpesakit.security.get_credential import generate_security_credential
from pydantic import ValidationError

CFG = config()
HOOKS = CFG["callbacks"]
SHORTCODE = int(CFG["shortcode"])


def client_for(secret: str) -> MpesaClient:
    client = MpesaClient(CFG["key"], secret, environment="sandbox")
    client.http_client.base_url = CFG["base_url"]
    return client


def attempt(call: Callable[[], Any]) -> Step:
    try:
        return answered(call())
    except (ValidationError, ValueError) as exc:
        return not_sent(exc)
    except MpesaApiException as exc:
        return refused(exc.error.status_code, exc.error.raw_response, exc.error.error_message)


client = client_for(CFG["secret"])
checkout: dict[str, str] = {}


def stk(phone: str, amount: int) -> Any:
    return client.stk_push(
        business_short_code=SHORTCODE,
        transaction_type="CustomerPayBillOnline",
        amount=amount,
        party_a=phone,
        party_b=CFG["shortcode"],
        phone_number=phone,
        callback_url=f"{HOOKS}/stk",
        account_reference="LN12345",
        transaction_desc="Repayment",
        passkey=CFG["passkey"],
    )


def stk_push() -> Step:
    step = attempt(lambda: stk(CFG["phones"]["paid"], 10))
    checkout["id"] = (step["body"] or {}).get("CheckoutRequestID", "")
    return step


def c2b_register(path: str) -> Step:
    return attempt(
        lambda: client.c2b.register_url(
            short_code=SHORTCODE,
            response_type="Completed",
            confirmation_url=f"{path}/c2b/confirmation",
            validation_url=f"{path}/c2b/validation",
        )
    )


def b2c(originator: str, amount: int, credential: str) -> Step:
    return attempt(
        lambda: client.b2c.send_payment(
            originator_conversation_id=originator,
            initiator_name=CFG["initiator"],
            security_credential=credential,
            command_id=B2CCommandIDType.BusinessPayment,
            amount=amount,
            party_a=CFG["shortcode"],
            party_b=CFG["phones"]["payee"],
            remarks="Loan disbursement",
            queue_timeout_url=f"{HOOKS}/b2c/timeout",
            result_url=f"{HOOKS}/b2c/result",
        )
    )


CREDENTIAL = correct_credential(CFG["password"], CFG["cert_path"])
run(
    {
        "oauth_refused": lambda: attempt(client_for("not-the-secret").token_manager.get_token),
        "stk_push": stk_push,
        "stk_query": lambda: attempt(
            lambda: client.stk_query(
                business_short_code=SHORTCODE,
                checkout_request_id=checkout["id"],
                passkey=CFG["passkey"],
            )
        ),
        "stk_locked_first": lambda: attempt(lambda: stk(CFG["phones"]["pending"], 20)),
        "stk_locked": lambda: attempt(lambda: stk(CFG["phones"]["pending"], 21)),
        "stk_over_max": lambda: attempt(lambda: stk(CFG["phones"]["over_max"], 300_000)),
        "stk_repeat_first": lambda: attempt(lambda: stk(CFG["phones"]["repeat"], 30)),
        "stk_repeat": lambda: attempt(lambda: stk(CFG["phones"]["repeat"], 30)),
        "c2b_register_refused": lambda: c2b_register(CFG["keyword_callbacks"]),
        "c2b_register": lambda: c2b_register(HOOKS),
        "b2c_library_credential": lambda: b2c(
            "contract-library-credential",
            100,
            generate_security_credential(CFG["password"], CFG["cert_path"]),
        ),
        "b2c": lambda: b2c("contract-b2c", 100, CREDENTIAL),
        "b2c_below_min": lambda: b2c("contract-below", 5, CREDENTIAL),
        "b2c_over_max": lambda: b2c("contract-over", 300_000, CREDENTIAL),
        "status": lambda: attempt(
            lambda: client.transactions.query_status(
                initiator=CFG["initiator"],
                security_credential=CREDENTIAL,
                transaction_id=None,
                party_a=SHORTCODE,
                identifier_type=4,
                result_url=f"{HOOKS}/status/result",
                queue_timeout_url=f"{HOOKS}/status/timeout",
                remarks="Contract check",
                OriginalConversationID="contract-b2c",
            )
        ),
        "balance": lambda: attempt(
            lambda: client.balance.query(
                initiator=CFG["initiator"],
                security_credential=CREDENTIAL,
                command_id="AccountBalance",
                party_a=SHORTCODE,
                identifier_type=4,
                remarks="Contract check",
                result_url=f"{HOOKS}/balance/result",
                queue_timeout_url=f"{HOOKS}/balance/timeout",
            )
        ),
    }
)
