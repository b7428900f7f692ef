"""Result bodies of the organisation requests: Transaction Status (reference §6.1), Account
Balance (§6.2) and Reversal (§6.3), quirks included.

- Status: reference §6.1's shape for payouts and reversals (two ``DebitPartyName`` items,
  string times and amount, a ``TransactionReason`` and a ``ReferenceItem`` without Value); for
  customer payments (C2B, STK) the shape seen in real callbacks (``CreditPartyName``,
  ``MMF Account For Customer``, int times, a float amount). The outer TransactionID is the
  non-financial placeholder ``XXX0000000``.
- Balance: ``ResultType`` and ``ResultCode`` as strings, the ``&``/``|`` AccountBalance string,
  and on failure ``ResultParameter`` as ONE object holding an int ``BOCompletedTime``.
- Reversal: string ``R0000..`` codes; failures carry no ResultParameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations.mpesa.simulator.payloads import (
    RESULT_DESCS,
    SUCCESS_DESC,
    conversation_id,
    eat_stamp,
    kes,
    plain_kes,
    request_id,
)
from integrations.mpesa.simulator.state import (
    CUSTOMER_NAME,
    Organisation,
    Transaction,
    TxState,
    receipt_prefix,
)
from integrations.mpesa.simulator.statement import b2c_reason_type, paid_in_reason_type

ACCEPTED_DESC = "Accept the service request successfully."
BALANCE_TIMEOUT_URL = "https://sim.mpesa.local/mpesa/abresults/v1/submit"
REVERSAL_TIMEOUT_URL = "https://sim.mpesa.local/mpesa/reversalresults/v1/submit"

NOT_FOUND_CODE = 2032
"""Status of an id M-Pesa does not know. Not in the reference: a sandbox capture pinned in a
third-party SDK's tests (``The transaction receipt number does not exist.``)."""
NOT_FOUND_DESC = "The transaction receipt number does not exist."
ALREADY_REVERSED = ("R000001", "The transaction has already been reversed.")
INVALID_ORIGINAL = ("R000002", "The OriginalTransactionID is invalid.")
AMOUNT_MISMATCH = (25, "Invalid request parameters: the amount differs from the original.")
"""Generic code 25 (InvalidRequestParameters, reference §4.4): the simulator reverses whole
payments only; what M-Pesa does with a different amount is unconfirmed."""

TRANSACTION_STATUSES: dict[TxState, str] = {
    TxState.PENDING: "Initiated",
    TxState.COMPLETED: "Completed",
    TxState.FAILED: "Cancelled",
    TxState.TIMED_OUT: "Expired",
}
"""The reference lists the values but maps no failure to one: a refusal reads "Cancelled", a
queue timeout that moved no money "Expired", a payout still in flight "Initiated"."""


@dataclass(frozen=True)
class OrgRequest:
    """One status, balance or reversal request, as Daraja identifies it."""

    originator_id: str
    conversation_id: str
    result_url: str
    occasion: str | None = None


def new_request(result_url: str, now: datetime, occasion: str | None = None) -> OrgRequest:
    return OrgRequest(request_id(), conversation_id(now), result_url, occasion)


def ack(request: OrgRequest) -> dict[str, str]:
    """The synchronous answer, the same as B2C's."""
    return {
        "OriginatorConversationID": request.originator_id,
        "ConversationID": request.conversation_id,
        "ResponseCode": "0",
        "ResponseDescription": ACCEPTED_DESC,
    }


def placeholder_id(now: datetime) -> str:
    """The TransactionID of a non-financial result: ``OA90000000``."""
    return receipt_prefix(now) + "0000000"


def _item(key: str, value: object = None) -> dict[str, object]:
    """A ResultParameter; without ``value`` the item has no Value key at all."""
    return {"Key": key} if value is None else {"Key": key, "Value": value}


@dataclass(frozen=True, slots=True)
class ResultStatus:
    """A result's ``ResultCode``, ``ResultDesc`` and ``ResultType``, typed as Daraja types them
    in each answer (an int in one, a string in another)."""

    code: int | str
    desc: str
    result_type: int | str = 0


def _envelope(
    request: OrgRequest,
    status: ResultStatus,
    transaction_id: str,
    reference: dict[str, object],
    parameters: object = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ResultType": status.result_type,
        "ResultCode": status.code,
        "ResultDesc": status.desc,
        "OriginatorConversationID": request.originator_id,
        "ConversationID": request.conversation_id,
        "TransactionID": transaction_id,
    }
    if parameters is not None:
        result["ResultParameters"] = {"ResultParameter": parameters}
    result["ReferenceData"] = {"ReferenceItem": reference}
    return {"Result": result}


# -- transaction status ----------------------------------------------------------------------


def _whole_or_decimal(amount_minor: int) -> str:
    shillings, cents = divmod(amount_minor, 100)
    return str(shillings) if cents == 0 else plain_kes(amount_minor)


def _paid_out_parameters(tx: Transaction, org: Organisation) -> list[dict[str, object]]:
    """Reference §6.1: the organisation pays (a payout, or a reversal back to the payer)."""
    payout = tx.kind == "b2c"
    finalised = eat_stamp(tx.completed_at) if tx.completed_at else None
    return [
        _item("DebitPartyName", f"{org.shortcode} - {org.name}"),
        _item("DebitPartyName", f"{tx.msisdn} - {CUSTOMER_NAME}"),
        _item("OriginatorConversationID", tx.key),
        _item("InitiatedTime", eat_stamp(tx.created_at)),
        _item("DebitAccountType", "Utility Account" if payout else "Working Account"),
        _item("DebitPartyCharges", "Fee For B2C Payment|KES|0.00" if payout else None),
        _item("TransactionReason"),
        _item("ReasonType", b2c_reason_type(tx.command_id) if payout else "Reversal"),
        _item("TransactionStatus", TRANSACTION_STATUSES[tx.state]),
        _item("FinalisedTime", finalised),
        _item("Amount", _whole_or_decimal(tx.amount_minor)),
        _item("ConversationID", tx.conversation_id),
        _item("ReceiptNo", tx.receipt),
    ]


def _paid_in_parameters(tx: Transaction, org: Organisation) -> list[dict[str, object]]:
    """As real status results of STK/C2B payments show them (no originator id of ours)."""
    finalised = int(eat_stamp(tx.completed_at)) if tx.completed_at else None
    return [
        _item("DebitPartyName", f"{tx.msisdn} - {CUSTOMER_NAME}"),
        _item("CreditPartyName", f"{org.shortcode} - {org.name}"),
        _item("OriginatorConversationID"),
        _item("InitiatedTime", int(eat_stamp(tx.created_at))),
        _item("CreditPartyCharges"),
        _item("DebitAccountType", "MMF Account For Customer"),
        _item("TransactionReason"),
        _item("ReasonType", paid_in_reason_type(tx.kind, tx.command_id)),
        _item("TransactionStatus", TRANSACTION_STATUSES[tx.state]),
        _item("FinalisedTime", finalised),
        _item("Amount", kes(tx.amount_minor)),
        _item("ConversationID", tx.conversation_id),
        _item("ReceiptNo", tx.receipt),
    ]


def status_found(
    request: OrgRequest, tx: Transaction, org: Organisation, now: datetime
) -> dict[str, Any]:
    paid_in = tx.kind in ("stk", "c2b")
    parameters = _paid_in_parameters(tx, org) if paid_in else _paid_out_parameters(tx, org)
    return _envelope(
        request,
        ResultStatus(0, SUCCESS_DESC),
        placeholder_id(now),
        _item("Occasion"),  # reference §6.1: the Key, without Value, whatever was sent
        parameters,
    )


def status_failed(request: OrgRequest, code: int, desc: str, now: datetime) -> dict[str, Any]:
    return _envelope(request, ResultStatus(code, desc), placeholder_id(now), _item("Occasion"))


# -- account balance -------------------------------------------------------------------------


def _account(name: str, amount_minor: int) -> str:
    amount = plain_kes(amount_minor)
    return f"{name}|KES|{amount}|{amount}|0.00|0.00"


def account_balance_text(org: Organisation) -> str:
    """``Alias|Currency|Current|Available|Reserved|Uncleared``, joined by ``&``."""
    return "&".join(
        [
            _account("Working Account", org.working_minor),
            _account("Float Account", 0),
            _account("Utility Account", org.utility_minor),
            _account("Charges Paid Account", org.charges_minor),
            _account("Organization Settlement Account", 0),
        ]
    )


def balance_result(request: OrgRequest, org: Organisation, now: datetime) -> dict[str, Any]:
    # The reference's balance sample has no full stop.
    status = ResultStatus("0", SUCCESS_DESC.rstrip("."), result_type="0")
    return _envelope(
        request,
        status,
        placeholder_id(now),
        _item("QueueTimeoutURL", BALANCE_TIMEOUT_URL),
        [
            _item("AccountBalance", account_balance_text(org)),
            _item("BOCompletedTime", eat_stamp(now)),
        ],
    )


def balance_failed(request: OrgRequest, code: int, now: datetime) -> dict[str, Any]:
    """A refused balance query: one bare ``ResultParameter`` object with an int time."""
    return _envelope(
        request,
        ResultStatus(str(code), RESULT_DESCS[code], result_type="0"),
        placeholder_id(now),
        _item("QueueTimeoutURL", BALANCE_TIMEOUT_URL),
        _item("BOCompletedTime", int(eat_stamp(now))),
    )


# -- reversal --------------------------------------------------------------------------------


def reversal_done(
    request: OrgRequest,
    reversal: Transaction,
    original: Transaction,
    org: Organisation,
    now: datetime,
) -> dict[str, Any]:
    assert reversal.receipt is not None
    return _envelope(
        request,
        ResultStatus(0, SUCCESS_DESC),
        reversal.receipt,
        _item("QueueTimeoutURL", REVERSAL_TIMEOUT_URL),
        [
            _item("DebitAccountBalance", _account("Working Account", org.working_minor)),
            _item("Amount", kes(reversal.amount_minor)),
            _item("TransCompletedTime", int(eat_stamp(now))),
            _item("OriginalTransactionID", original.receipt),
            _item("Charge", 0.0),
            _item("CreditPartyPublicName", f"{original.msisdn} - {CUSTOMER_NAME}"),
            _item("DebitPartyPublicName", f"{org.shortcode} - {org.name}"),
        ],
    )


def reversal_failed(
    request: OrgRequest, code: int | str, desc: str, now: datetime
) -> dict[str, Any]:
    return _envelope(
        request,
        ResultStatus(code, desc),
        placeholder_id(now),
        _item("QueueTimeoutURL", REVERSAL_TIMEOUT_URL),
    )
