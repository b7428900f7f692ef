"""Daraja-shaped ids, envelopes and callback bodies, quirks included (reference §2-§4, §14):
an int ResultCode in callbacks, a ``Balance`` item without Value, a single ``ReferenceItem``
object, a masked (v2) or hashed (v1) C2B MSISDN, a string ``TransAmount`` and the
``OriginatorCoversationID`` typo, with each version's id formats.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations.mpesa.credentials import NAIROBI
from integrations.mpesa.simulator.state import Transaction

SUCCESS_DESC = "The service request is processed successfully."
RESULT_DESCS: dict[int, str] = {
    0: SUCCESS_DESC,
    1: "The balance is insufficient for the transaction.",
    2: "Declined due to limit rule.",
    3: "Declined due to limit rule: greater than the maximum transaction amount.",
    4: "Declined due to limit rule: would exceed daily transfer limit.",
    8: "Declined due to limit rule: would exceed the maximum balance.",
    17: "Rule limited.",
    1019: "Transaction has expired.",
    1025: "An error occurred while sending a push request.",
    1032: "Request cancelled by user",
    1037: "DS timeout user cannot be reached",
    2001: "The initiator information is invalid.",
    8006: "The security credential is locked.",
    2040: "Credit Party customer type (Unregistered or Registered Customer) can't be supported "
    "by the service.",
}
"""STK and shared texts (OFF3 MpesaExpressSimulate result table); B2C words a few differently."""
B2C_RESULT_DESCS: dict[int, str] = {
    **RESULT_DESCS,
    2: "Declined due to limit rule",
    4: "Declined due to limit rule: would exceed daily transfer limit",
    26: "Traffic blocking (SystemTooBusy)",
}
"""OFF3 BusinessToCustomer result table; 26 from the generic table (OFF3 AccountBalance)."""
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


def legacy_id() -> str:
    """An id in the style of Daraja's v1 answers: ``7619-37765134-1``, ``19455-424535-1``."""
    return f"{1000 + secrets.randbelow(99_000)}-{100_000 + secrets.randbelow(99_900_000)}-" + (
        f"{1 + secrets.randbelow(9)}"
    )


def conversation_id(moment: datetime) -> str:
    """``AG_YYYYMMDD_`` + 20 hex characters."""
    return f"AG_{eat_stamp(moment, '%Y%m%d')}_{secrets.token_hex(10)}"


def checkout_id(moment: datetime, msisdn: str) -> str:
    """``ws_CO_`` + DDMMYYYYHHmmss + 3 digits + the MSISDN's last 9 digits."""
    return f"ws_CO_{eat_stamp(moment, '%d%m%Y%H%M%S')}{secrets.randbelow(1000):03d}{msisdn[-9:]}"


def c2b_msisdn(msisdn: str, version: str) -> str:
    """The payer as C2B notices show it (OFF3 CustomerToBusiness FAQ 3): v1, the SHA-256 hex of
    the 12-digit number; v2, masked as ``2547 ***** 678``."""
    if version == "v1":
        return hashlib.sha256(msisdn.encode("ascii")).hexdigest()
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


@dataclass(frozen=True, slots=True, kw_only=True)
class PaybillAddress:
    """Where a C2B payment was sent, and how the receiving URLs were registered."""

    shortcode: str
    command_id: str
    """``CustomerPayBillOnline`` or ``CustomerBuyGoodsOnline``."""
    bill_ref: str
    version: str
    """The C2B API version the URLs were registered through ("v1" or "v2")."""


def c2b_notice(
    tx: Transaction, address: PaybillAddress, *, org_balance_minor: int | None, now: datetime
) -> dict[str, str]:
    """A validation (``org_balance_minor`` None: blank) or confirmation body for URLs registered
    through C2B ``address.version``."""
    shortcode, command_id, bill_ref = address.shortcode, address.command_id, address.bill_ref
    version = address.version
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
        "MSISDN": c2b_msisdn(tx.msisdn, version),
        "FirstName": "SIM",
        "MiddleName": "",
        "LastName": "CUSTOMER",
    }


def c2b_ack(description: str, version: str) -> dict[str, str]:
    """The C2B answer, Safaricom's ``OriginatorCoversationID`` typo included: v2's id is like
    ``6e86-45dd-91ac-fd5d4178ab523408729`` (OFF3 CustomerToBusiness), v1's like
    ``7619-37765134-1`` (OFF3 CustomerToBusinessRegisterURL)."""
    return {
        "OriginatorCoversationID": legacy_id() if version == "v1" else request_id(),
        "ResponseCode": "0",
        "ResponseDescription": description,
    }


def c2b_v1_simulate_ack(moment: datetime) -> dict[str, str]:
    """C2B v1 simulate's answer: ConversationID, OriginatorCoversationID, ResponseDescription and
    no ResponseCode ([OLD] field list; the typo as in the v1 capture in ISSUE
    safaricom/mpesa-php-sdk#32)."""
    return {
        "ConversationID": conversation_id(moment),
        "OriginatorCoversationID": legacy_id(),
        "ResponseDescription": "Accept the service request successfully.",
    }
