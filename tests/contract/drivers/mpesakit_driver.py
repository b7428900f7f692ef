"""mpesakit 2.2.0 (httpx, pydantic) against the simulator, through its ``MpesaClient`` with the
base URL pointed at the simulator. It registers C2B URLs through v1 (it has no C2B simulate),
pays out through B2C v3, and offers ``generate_security_credential``, which encrypts the
password with a timestamp appended (reference §5.2): Daraja answers such a credential 2001."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from _common import Step, answered, config, not_sent, refused, run_scenario
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


def stk(phone: str, amount: int, reference: str) -> Step:
    return attempt(
        lambda: client.stk_push(
            business_short_code=SHORTCODE,
            transaction_type="CustomerPayBillOnline",
            amount=amount,
            party_a=phone,
            party_b=CFG["shortcode"],
            phone_number=phone,
            callback_url=f"{HOOKS}/stk",
            account_reference=reference,
            transaction_desc="Repayment",
            passkey=CFG["passkey"],
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


run_scenario(
    CFG,
    oauth_refused=lambda: attempt(client_for("not-the-secret").token_manager.get_token),
    stk=stk,
    stk_query=lambda checkout: attempt(
        lambda: client.stk_query(
            business_short_code=SHORTCODE, checkout_request_id=checkout, passkey=CFG["passkey"]
        )
    ),
    c2b_register=lambda path: attempt(
        lambda: client.c2b.register_url(
            short_code=SHORTCODE,
            response_type="Completed",
            confirmation_url=f"{path}/c2b/confirmation",
            validation_url=f"{path}/c2b/validation",
        )
    ),
    b2c=b2c,
    library_credential=generate_security_credential(CFG["password"], CFG["cert_path"]),
    status=lambda credential: attempt(
        lambda: client.transactions.query_status(
            initiator=CFG["initiator"],
            security_credential=credential,
            transaction_id=None,
            party_a=SHORTCODE,
            identifier_type=4,
            result_url=f"{HOOKS}/status/result",
            queue_timeout_url=f"{HOOKS}/status/timeout",
            remarks="Contract check",
            OriginalConversationID="contract-b2c",
        )
    ),
    balance=lambda credential: attempt(
        lambda: client.balance.query(
            initiator=CFG["initiator"],
            security_credential=credential,
            command_id="AccountBalance",
            party_a=SHORTCODE,
            identifier_type=4,
            remarks="Contract check",
            result_url=f"{HOOKS}/balance/result",
            queue_timeout_url=f"{HOOKS}/balance/timeout",
        )
    ),
)
