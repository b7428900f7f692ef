"""The ``{"Result": {...}}`` callbacks — B2C, transaction status, account balance, reversal —
read into neutral types. Same rules as ``integrations.mpesa.callbacks``: the one
``MalformedCallback`` naming the field, money in cents, aware UTC times, string result codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from integrations.mpesa.normalise import (
    MalformedCallback,
    Parameters,
    balance_minor,
    eat_time,
    fields,
    key_values,
    optional_amount_minor,
    receipt,
    required_text,
    squeeze,
    text,
)
from integrations.payments.port import PayoutResult, ReversalOutcome

SUCCESS_CODE = "0"
"""The only result code that means the money moved."""
LIMIT_RULE_REASONS: dict[str, str] = {
    "2": "Below M-Pesa's minimum payout (limit rule 2)",
    "3": "Above M-Pesa's maximum per transaction (limit rule 3)",
    "4": "Over the customer's M-Pesa daily limit (limit rule 4)",
    "8": "The customer's M-Pesa balance would go over its maximum (limit rule 8)",
}
"""A failed payout's reason for M-Pesa's limit rules (reference §4.4), taken from the code:
Daraja's ResultDesc varies and says little ("Declined due to limit rule" is all of code 2)."""


@dataclass(frozen=True, slots=True)
class ResultEnvelope:
    """The ``{"Result": {...}}`` body shared by B2C, transaction status, account balance and
    reversal results. Read it once here, then take the view that fits the request."""

    result_type: str | None
    """"0" completed; "1" waiting for further messages."""
    result_code: str
    result_desc: str
    originator_id: str | None
    """Our id for the request (OriginatorConversationID)."""
    conversation_id: str | None
    transaction_id: str | None
    """M-Pesa's transaction id; a placeholder like ``OA90000000`` for queries."""
    parameters: Parameters
    reference_items: Parameters

    @property
    def succeeded(self) -> bool:
        return self.result_code == SUCCESS_CODE


def parse_result(body: object) -> ResultEnvelope:
    result = fields(fields(body, "body").get("Result"), "Result")
    originator_id = text(result.get("OriginatorConversationID"), "Result.OriginatorConversationID")
    conversation_id = text(result.get("ConversationID"), "Result.ConversationID")
    if originator_id is None and conversation_id is None:
        raise MalformedCallback(
            "Result.OriginatorConversationID", "missing (and no ConversationID)"
        )
    return ResultEnvelope(
        result_type=text(result.get("ResultType"), "Result.ResultType"),
        result_code=required_text(result.get("ResultCode"), "Result.ResultCode"),
        result_desc=text(result.get("ResultDesc"), "Result.ResultDesc") or "",
        originator_id=originator_id,
        conversation_id=conversation_id,
        transaction_id=text(result.get("TransactionID"), "Result.TransactionID"),
        parameters=key_values(
            result.get("ResultParameters"), "ResultParameter", "Result.ResultParameters"
        ),
        reference_items=key_values(
            result.get("ReferenceData"), "ReferenceItem", "Result.ReferenceData"
        ),
    )


def _param(key: str) -> str:
    return f"Result.ResultParameters[{key}]"


def _party_name(value: object, field: str) -> str | None:
    """``"254705912645 - NICHOLAS JOHN SONGOK"`` -> ``"NICHOLAS JOHN SONGOK"``; the number part,
    masked or not, is dropped."""
    found = text(value, field)
    if found is None:
        return None
    _, separator, name = found.partition(" - ")
    if separator:
        return name.strip() or None
    return None if all(char.isdigit() or char in "*+ " for char in found) else found


@dataclass(frozen=True, slots=True)
class B2CResult:
    """The outcome of one disbursement (B2C payment)."""

    originator_id: str
    conversation_id: str | None
    result_code: str
    result_desc: str
    receipt: str | None
    """Set only on success: on failure the TransactionID moved no money."""
    amount_minor: int | None
    completed_at: datetime | None
    receiver_name: str | None
    recipient_registered: bool | None
    utility_balance_minor: int | None
    """Our B2C utility account's available funds after the payment."""

    @property
    def succeeded(self) -> bool:
        return self.result_code == SUCCESS_CODE

    def to_payout_result(self) -> PayoutResult:
        return PayoutResult(
            originator_id=self.originator_id,
            succeeded=self.succeeded,
            receipt=self.receipt,
            code=self.result_code,
            reason=LIMIT_RULE_REASONS.get(self.result_code, self.result_desc),
            completed_at=self.completed_at,
        )


def b2c_result(envelope: ResultEnvelope) -> B2CResult:
    if envelope.originator_id is None:
        raise MalformedCallback("Result.OriginatorConversationID", "missing")
    params = envelope.parameters
    found_receipt = None
    if envelope.succeeded:
        found_receipt = receipt(
            params.get("TransactionReceipt"), _param("TransactionReceipt")
        ) or receipt(envelope.transaction_id, "Result.TransactionID")
    registered = text(
        params.get("B2CRecipientIsRegisteredCustomer"), _param("B2CRecipientIsRegisteredCustomer")
    )
    return B2CResult(
        originator_id=envelope.originator_id,
        conversation_id=envelope.conversation_id,
        result_code=envelope.result_code,
        result_desc=envelope.result_desc,
        receipt=found_receipt,
        amount_minor=optional_amount_minor(
            params.get("TransactionAmount"), _param("TransactionAmount")
        ),
        completed_at=eat_time(
            params.get("TransactionCompletedDateTime"), _param("TransactionCompletedDateTime")
        ),
        receiver_name=_party_name(
            params.get("ReceiverPartyPublicName"), _param("ReceiverPartyPublicName")
        ),
        recipient_registered={"Y": True, "N": False}.get((registered or "").upper()),
        utility_balance_minor=balance_minor(
            params.get("B2CUtilityAccountAvailableFunds"), _param("B2CUtilityAccountAvailableFunds")
        ),
    )


@dataclass(frozen=True, slots=True)
class TransactionStatusResult:
    """What M-Pesa knows about one earlier transaction (found by receipt or originator id)."""

    query_originator_id: str | None
    """Our id for the status query itself."""
    result_code: str
    result_desc: str
    status: str | None
    """"Completed", "Initiated", "Pending Authorized", "Cancelled", "Declined", "Expired"..."""
    receipt: str | None
    amount_minor: int | None
    originator_id: str | None
    """The queried transaction's originator id (ours, for a B2C payout)."""
    conversation_id: str | None
    initiated_at: datetime | None
    finalised_at: datetime | None
    debit_party: str | None
    """As sent, e.g. ``"600310 - Safaricom333"``."""
    credit_party: str | None
    charges: str | None
    """As sent, e.g. ``"Fee For B2C Payment|KES|22.40"``."""
    reason_type: str | None


def status_result(envelope: ResultEnvelope) -> TransactionStatusResult:
    params = envelope.parameters
    # Two DebitPartyName items: the first is the debit party, the second the credit party.
    # Older payloads name the second one CreditPartyName.
    parties = [text(value, _param("DebitPartyName")) for value in params.get_all("DebitPartyName")]
    credit = text(params.get("CreditPartyName"), _param("CreditPartyName"))
    if credit is None and len(parties) > 1:
        credit = parties[1]
    return TransactionStatusResult(
        query_originator_id=envelope.originator_id,
        result_code=envelope.result_code,
        result_desc=envelope.result_desc,
        status=text(params.get("TransactionStatus"), _param("TransactionStatus")),
        receipt=receipt(params.get("ReceiptNo"), _param("ReceiptNo")),
        amount_minor=optional_amount_minor(params.get("Amount"), _param("Amount")),
        originator_id=text(
            params.get("OriginatorConversationID"), _param("OriginatorConversationID")
        ),
        conversation_id=text(params.get("ConversationID"), _param("ConversationID")),
        initiated_at=eat_time(params.get("InitiatedTime"), _param("InitiatedTime")),
        finalised_at=eat_time(params.get("FinalisedTime"), _param("FinalisedTime")),
        debit_party=parties[0] if parties else None,
        credit_party=credit,
        charges=text(params.get("DebitPartyCharges"), _param("DebitPartyCharges")),
        reason_type=text(params.get("ReasonType"), _param("ReasonType")),
    )


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """One account of our shortcode; a balance is None when M-Pesa left its field out."""

    name: str
    currency: str | None
    current_minor: int | None
    available_minor: int | None
    reserved_minor: int | None
    uncleared_minor: int | None


@dataclass(frozen=True, slots=True)
class AccountBalances:
    originator_id: str | None
    result_code: str
    result_desc: str
    accounts: tuple[AccountBalance, ...]
    """Empty when the query failed."""
    completed_at: datetime | None

    def account(self, name: str) -> AccountBalance | None:
        """The account called ``name`` ("Utility Account"), ignoring case and spaces."""
        wanted = squeeze(name).lower()
        return next((a for a in self.accounts if squeeze(a.name).lower() == wanted), None)


MAX_ACCOUNTS = 20
_BALANCE_FIELDS = 6  # Alias|Currency|Current|Available|Reserved|Uncleared


def parse_account_balances(value: object, field: str) -> tuple[AccountBalance, ...]:
    """``"Working Account|KES|700000.00|700000.00|0.00|0.00&Float Account|..."`` -> accounts."""
    found = text(value, field)
    if found is None:
        return ()
    parts = [part for part in found.split("&") if part.strip()]
    if len(parts) > MAX_ACCOUNTS:
        raise MalformedCallback(field, f"more than {MAX_ACCOUNTS} accounts")
    accounts = []
    for part in parts:
        name, currency, *amounts = (part.split("|") + [""] * _BALANCE_FIELDS)[:_BALANCE_FIELDS]
        current, available, reserved, uncleared = (balance_minor(a, field) for a in amounts)
        accounts.append(
            AccountBalance(
                name=required_text(name, f"{field} account name"),
                currency=text(currency, field),
                current_minor=current,
                available_minor=available,
                reserved_minor=reserved,
                uncleared_minor=uncleared,
            )
        )
    return tuple(accounts)


def balance_result(envelope: ResultEnvelope) -> AccountBalances:
    params = envelope.parameters
    return AccountBalances(
        originator_id=envelope.originator_id,
        result_code=envelope.result_code,
        result_desc=envelope.result_desc,
        accounts=parse_account_balances(params.get("AccountBalance"), _param("AccountBalance")),
        completed_at=eat_time(params.get("BOCompletedTime"), _param("BOCompletedTime")),
    )


ALREADY_REVERSED_CODE = "R000001"


@dataclass(frozen=True, slots=True)
class ReversalResult:
    """The outcome of reversing a payment into our shortcode."""

    originator_id: str | None
    conversation_id: str | None
    result_code: str
    result_desc: str
    original_receipt: str | None
    reversal_receipt: str | None
    amount_minor: int | None
    charge_minor: int | None
    completed_at: datetime | None

    @property
    def succeeded(self) -> bool:
        return self.result_code == SUCCESS_CODE

    @property
    def already_reversed(self) -> bool:
        return self.result_code == ALREADY_REVERSED_CODE

    def to_outcome(self) -> ReversalOutcome:
        """Neutral form; "already reversed" counts as done (an earlier request won)."""
        return ReversalOutcome(
            self.original_receipt,
            self.conversation_id,
            self.succeeded or self.already_reversed,
            self.result_code,
            self.result_desc,
            self.reversal_receipt,
            self.completed_at,
        )


def reversal_result(envelope: ResultEnvelope) -> ReversalResult:
    params = envelope.parameters
    reversal_receipt = None
    if envelope.succeeded:
        reversal_receipt = receipt(envelope.transaction_id, "Result.TransactionID")
    return ReversalResult(
        originator_id=envelope.originator_id,
        conversation_id=envelope.conversation_id,
        result_code=envelope.result_code,
        result_desc=envelope.result_desc,
        original_receipt=receipt(
            params.get("OriginalTransactionID"), _param("OriginalTransactionID")
        ),
        reversal_receipt=reversal_receipt,
        amount_minor=optional_amount_minor(params.get("Amount"), _param("Amount")),
        charge_minor=optional_amount_minor(params.get("Charge"), _param("Charge")),
        completed_at=eat_time(params.get("TransCompletedTime"), _param("TransCompletedTime")),
    )
