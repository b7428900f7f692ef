"""Daraja-shaped ids, envelopes and callback bodies, quirks included (reference §2-§4, §14):
an int ResultCode in callbacks, a ``Balance`` item without Value, a single ``ReferenceItem``
object, a masked C2B MSISDN, a string ``TransAmount`` and the ``OriginatorCoversationID`` typo.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from integrations.mpesa.credentials import NAIROBI
from integrations.mpesa.simulator.state import Transaction

SUCCESS_DESC = "The service request is processed successfully."
RESULT_DESCS: dict[int, str] = {
    0: SUCCESS_DESC,
    1: "The balance is insufficient for the transaction.",
    1032: "Request cancelled by user",
    1037: "DS timeout user cannot be reached",
    2001: "The initiator information is invalid.",
    8006: "The security credential is locked.",
    2040: "Credit Party customer type (Unregistered or Registered Customer) can't be supported "
    "by the service.",
}
QUEUE_TIMEOUT_URL = "https://sim.mpesa.local/mpesa/b2cresults/v1/submit"


def kes(amount_minor: int) -> float:
    return round(amount_minor / 100, 2)


def plain_kes(amount_minor: int) -> str:
    """Cents as ``700000.00`` / ``-1540.00``: no thousands separators (balance strings)."""
    sign = "-" if amount_minor < 0 else ""
    shillings, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{shillings}.{cents:02d}"


def eat_stamp(moment: datetime, fmt: str = "%Y%m%d%H%M%S") -> str:
    return moment.astimezone(NAIROBI).strftime(fmt)


def request_id() -> str:
    return f"{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}-" + (
        f"{secrets.token_hex(6)}{secrets.randbelow(10**7):07d}"
    )


def conversation_id(moment: datetime) -> str:
    """``AG_YYYYMMDD_`` + 20 hex characters."""
    return f"AG_{eat_stamp(moment, '%Y%m%d')}_{secrets.token_hex(10)}"


def checkout_id(moment: datetime, msisdn: str) -> str:
    """``ws_CO_`` + DDMMYYYYHHmmss + 3 digits + the MSISDN's last 9 digits."""
    return f"ws_CO_{eat_stamp(moment, '%d%m%Y%H%M%S')}{secrets.randbelow(1000):03d}{msisdn[-9:]}"


def masked_msisdn(msisdn: str) -> str:
    """C2B v2's mask: ``2547 ***** 678``."""
    return f"{msisdn[:4]} ***** {msisdn[-3:]}"


def error(code: str, message: str) -> dict[str, str]:
    return {"requestId": request_id(), "errorCode": code, "errorMessage": message}


def b2c_result(tx: Transaction, org_utility_minor: int, now: datetime) -> dict[str, Any]:
    code = tx.result_code if tx.result_code is not None else 0
    result: dict[str, Any] = {
        "ResultType": 0,
        "ResultCode": code,
        "ResultDesc": tx.result_desc,
        "OriginatorConversationID": tx.key,
        "ConversationID": tx.conversation_id,
        "TransactionID": tx.receipt,
    }
    if code == 0:
        result["ResultParameters"] = {
            "ResultParameter": [
                {"Key": "TransactionAmount", "Value": kes(tx.amount_minor)},
                {"Key": "TransactionReceipt", "Value": tx.receipt},
                {"Key": "ReceiverPartyPublicName", "Value": f"{tx.msisdn} - SIM CUSTOMER"},
                {
                    "Key": "TransactionCompletedDateTime",
                    "Value": eat_stamp(now, "%d.%m.%Y %H:%M:%S"),
                },
                {"Key": "B2CUtilityAccountAvailableFunds", "Value": kes(org_utility_minor)},
                {"Key": "B2CWorkingAccountAvailableFunds", "Value": 0.00},
                {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"},
                {"Key": "B2CChargesPaidAccountAvailableFunds", "Value": 0.00},
            ]
        }
    result["ReferenceData"] = {
        "ReferenceItem": {"Key": "QueueTimeoutURL", "Value": QUEUE_TIMEOUT_URL}
    }
    return {"Result": result}


def b2c_queue_timeout(tx: Transaction) -> dict[str, Any]:
    """No official sample exists (reference §4.5): the ``Result`` envelope community code uses."""
    return {
        "Result": {
            "ResultType": 0,
            "ResultCode": "SVC0001",
            "ResultDesc": "The request timed out while awaiting processing in the queue.",
            "OriginatorConversationID": tx.key,
            "ConversationID": tx.conversation_id,
        }
    }


def stk_callback(tx: Transaction, now: datetime) -> dict[str, Any]:
    callback: dict[str, Any] = {
        "MerchantRequestID": tx.merchant_request_id,
        "CheckoutRequestID": tx.key,
        "ResultCode": tx.result_code,
        "ResultDesc": tx.result_desc,
    }
    if tx.result_code == 0:
        callback["CallbackMetadata"] = {
            "Item": [
                {"Name": "Amount", "Value": kes(tx.amount_minor)},
                {"Name": "MpesaReceiptNumber", "Value": tx.receipt},
                {"Name": "Balance"},
                {"Name": "TransactionDate", "Value": int(eat_stamp(now))},
                {"Name": "PhoneNumber", "Value": int(tx.msisdn)},
            ]
        }
    return {"Body": {"stkCallback": callback}}


def c2b_notice(
    tx: Transaction,
    *,
    shortcode: str,
    command_id: str,
    bill_ref: str,
    org_balance_minor: int | None,
    now: datetime,
) -> dict[str, str]:
    """A validation (``org_balance_minor`` None: blank) or confirmation body, C2B v2."""
    return {
        "TransactionType": "Pay Bill" if command_id == "CustomerPayBillOnline" else "Buy Goods",
        "TransID": tx.receipt or "",
        "TransTime": eat_stamp(now),
        "TransAmount": f"{kes(tx.amount_minor):.2f}",
        "BusinessShortCode": shortcode,
        "BillRefNumber": bill_ref,
        "InvoiceNumber": "",
        "OrgAccountBalance": "" if org_balance_minor is None else f"{kes(org_balance_minor):.2f}",
        "ThirdPartyTransID": "",
        "MSISDN": masked_msisdn(tx.msisdn),
        "FirstName": "SIM",
        "MiddleName": "",
        "LastName": "CUSTOMER",
    }


def originator_typo_ack(description: str) -> dict[str, str]:
    return {
        "OriginatorCoversationID": str(uuid.uuid4()),
        "ResponseCode": "0",
        "ResponseDescription": description,
    }
