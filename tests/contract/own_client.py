"""Mkopo's own Daraja client driven through the contract scenario (``drivers/_common.py``), in
process, over HTTP, recorded in the same form as the PyPI libraries' drivers.

It calls C2B v2 only and has no C2B simulate; it builds its SecurityCredential itself; it
refuses amounts outside Daraja's per transaction range itself (``AmountOutOfRange``), so those
steps are never sent. Its callback URLs carry its configurable path prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from integrations.http_retry import RetryPolicy
from integrations.mpesa.client import (
    AmountOutOfRange,
    DarajaClient,
    DarajaConfig,
    DarajaNotSent,
    RequestAck,
)
from integrations.payments.port import CollectionSubmit, PayoutOrder, Submission, SubmitResult
from tests.contract.drivers._common import Step, scenario

TOKEN = "tok"


def _clock() -> datetime:
    return datetime.now(UTC)


def client(cfg: dict[str, Any], prefix: str, secret: str | None = None) -> DarajaClient:
    config = DarajaConfig(
        base_url=cfg["base_url"],
        consumer_key=cfg["key"],
        consumer_secret=cfg["secret"] if secret is None else secret,
        shortcode=cfg["shortcode"],
        passkey=cfg["passkey"],
        initiator_name=cfg["initiator"],
        initiator_password=cfg["password"],
        cert_bytes=cfg["cert_pem"],
        callback_base_url="https://fund.example",
        callback_token=TOKEN,
        callback_path_prefix=prefix,
    )
    return DarajaClient(config, clock=_clock, retry=RetryPolicy(sleep=lambda _: None))


def record(answer: CollectionSubmit | SubmitResult | RequestAck) -> Step:
    if isinstance(answer, RequestAck):
        accepted = answer.accepted
        body = {"OriginatorConversationID": answer.originator_conversation_id}
    else:
        accepted = answer.submission is Submission.ACCEPTED
        ref = answer.checkout_id if isinstance(answer, CollectionSubmit) else answer.provider_ref
        body = {"CheckoutRequestID": ref}
    if accepted:
        return {"sent": True, "status": 200, "code": "0", "body": body}
    return {
        "sent": True,
        "status": None,
        "code": answer.code,
        "message": answer.reason,
        "body": None,
    }


def attempt(call: Callable[[], CollectionSubmit | SubmitResult | RequestAck]) -> Step:
    try:
        return record(call())
    except AmountOutOfRange as exc:
        return {"sent": False, "status": None, "code": None, "message": str(exc), "body": None}


def oauth_refused(cfg: dict[str, Any], prefix: str) -> Step:
    with client(cfg, prefix, secret="not-the-secret") as refused_keys:
        try:
            refused_keys.account_balance()
        except DarajaNotSent as exc:
            status = 400 if "HTTP 400" in str(exc) else None
            return {"sent": True, "status": status, "message": None, "body": None}
    return {"sent": True, "status": 200, "code": "0", "body": {}}


def run_scenario(cfg: dict[str, Any], prefix: str) -> dict[str, Step]:
    """The contract's steps through ``DarajaClient``; its callbacks under ``prefix``."""
    with client(cfg, prefix) as daraja:

        def stk_query(checkout: str) -> Step:
            code = daraja.stk_query(checkout).code
            return {"sent": True, "status": 200, "code": code, "body": {"ResultCode": code}}

        def payout(originator: str, amount_kes: int, _credential: str) -> Step:
            order = PayoutOrder(originator, cfg["phones"]["payee"], amount_kes * 100, "Loan")
            return attempt(lambda: daraja.submit_payout(order))

        return scenario(
            cfg,
            oauth_refused=lambda: oauth_refused(cfg, prefix),
            stk=lambda phone, amount_kes, reference: attempt(
                lambda: daraja.stk_push(phone, amount_kes * 100, reference)
            ),
            stk_query=stk_query,
            c2b_register=lambda path: attempt(
                lambda: daraja.register_c2b_urls(
                    f"{path}/c2b/confirmation", f"{path}/c2b/validation"
                )
            ),
            b2c=payout,
            status=lambda _: attempt(
                lambda: daraja.transaction_status(originator_id="contract-b2c")
            ),
            balance=lambda _: attempt(daraja.account_balance),
        )
