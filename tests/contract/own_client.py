"""Mkopo's own Daraja client driven through the contract scenario, in process, over HTTP: the
same steps as the drivers of the PyPI libraries (``drivers/``), recorded in the same form.

It calls C2B v2 only and has no C2B simulate; it refuses amounts outside Daraja's per
transaction range itself (``AmountOutOfRange``), so those steps are never sent. Its callback
URLs carry its configurable path prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from integrations.mpesa.client import (
    AmountOutOfRange,
    DarajaClient,
    DarajaConfig,
    DarajaNotSent,
    RequestAck,
)
from integrations.payments.port import CollectionSubmit, PayoutOrder, Submission, SubmitResult

Step = dict[str, Any]
TOKEN = "tok"


def _clock() -> datetime:
    return datetime.now(UTC)


def client(cfg: dict[str, Any], *, secret: str | None = None, prefix: str) -> DarajaClient:
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
    return DarajaClient(config, clock=_clock, sleep=lambda _: None)


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


def run_scenario(cfg: dict[str, Any], prefix: str) -> dict[str, Step]:
    """The contract's steps through ``DarajaClient``; callbacks under ``prefix``."""
    phones = cfg["phones"]
    records: dict[str, Step] = {}
    with client(cfg, secret="not-the-secret", prefix=prefix) as refused_keys:
        try:
            refused_keys.account_balance()
        except DarajaNotSent as exc:
            status = 400 if "HTTP 400" in str(exc) else None
            records["oauth_refused"] = {"sent": True, "status": status, "message": None}
    with client(cfg, prefix=prefix) as daraja, client(cfg, prefix=cfg["keyword_prefix"]) as plain:

        def payout(originator: str, amount_kes: int) -> Step:
            order = PayoutOrder(originator, phones["payee"], amount_kes * 100, "Loan disbursement")
            return attempt(lambda: daraja.submit_payout(order))

        def stk(phone: str, amount_kes: int) -> Step:
            return attempt(lambda: daraja.stk_push(phone, amount_kes * 100, "LN12345"))

        records["stk_push"] = stk(phones["paid"], 10)
        query = daraja.stk_query(records["stk_push"]["body"]["CheckoutRequestID"])
        records["stk_query"] = {
            "sent": True,
            "status": 200,
            "code": query.code,
            "body": {"ResultCode": query.code},
        }
        records["stk_locked_first"] = stk(phones["pending"], 20)
        records["stk_locked"] = stk(phones["pending"], 21)
        records["stk_over_max"] = stk(phones["over_max"], 300_000)
        records["stk_repeat_first"] = stk(phones["repeat"], 30)
        records["stk_repeat"] = stk(phones["repeat"], 30)
        records["c2b_register_refused"] = attempt(
            lambda: plain.register_c2b_urls(
                plain.callback_url("c2b/confirmation"), plain.callback_url("c2b/validation")
            )
        )
        records["c2b_register"] = attempt(
            lambda: daraja.register_c2b_urls(
                daraja.callback_url("c2b/confirmation"), daraja.callback_url("c2b/validation")
            )
        )
        records["b2c"] = payout("contract-b2c", 100)
        records["b2c_below_min"] = payout("contract-below", 5)
        records["b2c_over_max"] = payout("contract-over", 300_000)
        records["status"] = attempt(lambda: daraja.transaction_status(originator_id="contract-b2c"))
        records["balance"] = attempt(daraja.account_balance)
    return records
