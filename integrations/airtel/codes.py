"""Airtel's codes and what each means for the fund: the ``DP008...`` (collections) and
``DP009...`` (disbursements) response codes, the ``ESB...`` / ``ROUTER...`` result codes, and
the transaction statuses ``TS`` / ``TF`` / ``TIP`` / ``TA`` / ``TR`` (``TI`` seen too).

Sources: airtelmoney-py ``errors.py`` (a copy of Airtel's code tables, Uganda), 121-platform's
result mapper (Zambia, in production), moodle-paygw_airtelafrica ``airtel_helper.php`` (the ESB
and ROUTER tables). Invariant: a code that might mean the money moved is never read as a
refusal; "ambiguous" and "timed out, may be processed" are UNKNOWN, to be enquired.
"""

from __future__ import annotations

import enum


class Meaning(enum.StrEnum):
    SUCCESS = "success"
    IN_PROGRESS = "in_progress"
    """Taken and in flight: the result comes by callback or enquiry."""
    AMBIGUOUS = "ambiguous"
    """Airtel cannot say: enquire, never resend under a new id."""
    FAILED = "failed"
    """Refused or failed: nothing moved."""
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    """Our transaction id was used before: an earlier send arrived."""


S, P, A, F, N, D = (
    Meaning.SUCCESS,
    Meaning.IN_PROGRESS,
    Meaning.AMBIGUOUS,
    Meaning.FAILED,
    Meaning.NOT_FOUND,
    Meaning.DUPLICATE,
)

COLLECTION_CODES: dict[str, tuple[Meaning, str]] = {
    "DP00800001000": (A, "Ambiguous: still processing, enquire"),
    "DP00800001001": (S, "Success"),
    "DP00800001002": (F, "Incorrect PIN"),
    "DP00800001003": (F, "Exceeds withdrawal amount limit(s)"),
    "DP00800001004": (F, "Invalid amount"),
    "DP00800001005": (F, "User didn't enter the PIN"),
    "DP00800001006": (P, "In process"),
    "DP00800001007": (F, "Not enough balance"),
    "DP00800001008": (F, "Refused"),
    "DP00800001009": (F, "Do not honor"),
    "DP00800001010": (F, "Transaction not permitted to payee"),
    "DP00800001024": (F, "Transaction timed out"),
    "DP00800001025": (N, "Transaction not found"),
    "DP00800001026": (F, "Forbidden: x-signature and payload did not match"),
    "DP00800001029": (F, "Transaction expired"),
}
DISBURSEMENT_CODES: dict[str, tuple[Meaning, str]] = {
    "DP00900001000": (A, "Ambiguous: still processing, enquire"),
    "DP00900001001": (S, "Success"),
    "DP00900001003": (F, "Maximum transaction limit reached"),
    "DP00900001004": (F, "Invalid amount"),
    "DP00900001005": (F, "Transaction failed"),
    "DP00900001006": (P, "In process"),
    "DP00900001007": (F, "Insufficient funds"),
    "DP00900001009": (F, "Invalid initiatee"),
    "DP00900001010": (F, "User not allowed"),
    "DP00900001011": (F, "Transaction not allowed: a similar one exists"),
    "DP00900001012": (F, "Invalid mobile number"),
    "DP00900001013": (F, "Refused"),
    "DP00900001014": (A, "Timed out: may be processed or failed, enquire"),
    "DP00900001015": (N, "Transaction not found"),
    "DP00900001016": (F, "Forbidden: x-signature and payload did not match"),
    "DP00900001017": (D, "Duplicate transaction id"),
}
RESULT_CODES: dict[str, tuple[Meaning, str]] = {
    "ESB000001": (A, "Something went wrong"),
    "ESB000004": (F, "An error occurred while initiating the payment"),
    "ESB000008": (F, "Field validation"),
    "ESB000011": (F, "Failed"),
    "ESB000014": (A, "An error occurred while fetching the transaction status"),
    "ESB000033": (F, "Invalid MSISDN length"),
    "ESB000034": (F, "Invalid country name"),
    "ESB000035": (F, "Invalid currency code"),
    "ESB000036": (F, "Invalid MSISDN length, or not starting with 0"),
    "ESB000039": (F, "Vendor is not configured to do transactions in the country"),
    "ESB000041": (D, "External transaction id already exists"),
    "ESB000045": (N, "No transaction found with the provided transaction id"),
    "ROUTER001": (F, "The wallet is not configured"),
    "ROUTER003": (F, "Mandatory parameters are missing in the header or body"),
    "ROUTER005": (F, "Country route is not configured"),
    "ROUTER006": (F, "Invalid country code"),
    "ROUTER007": (F, "Not authorised in the provided country"),
    "ROUTER112": (F, "Invalid currency"),
    "ROUTER114": (F, "An error occurred while validating the PIN"),
    "ROUTER115": (F, "The PIN is incorrect"),
    "ROUTER116": (F, "The encrypted PIN is incorrect"),
    "ROUTER117": (F, "An error occurred while generating the response"),
}
"""``status.result_code`` values; ``ESB000010`` ("OK") says nothing about the transaction."""
RESULT_OK = "ESB000010"
RESPONSE_CODES = {**COLLECTION_CODES, **DISBURSEMENT_CODES}


class TxStatus(enum.StrEnum):
    SUCCESS = "TS"
    FAILED = "TF"
    IN_PROGRESS = "TIP"
    AMBIGUOUS = "TA"
    REVERSED = "TR"
    INITIATED = "TI"
    """Seen by some clients (lepresk/momo-api PR 20); read as in progress."""


FINAL_STATUSES = frozenset({TxStatus.SUCCESS, TxStatus.FAILED, TxStatus.REVERSED})


def meaning_of(response_code: str | None, result_code: str | None) -> Meaning | None:
    """What the codes say (the response code first), or None when neither is known."""
    for code, table in ((response_code, RESPONSE_CODES), (result_code, RESULT_CODES)):
        if code is not None and code in table:
            return table[code][0]
    return None


def describe(code: str) -> str:
    return {**RESPONSE_CODES, **RESULT_CODES}.get(code, (None, ""))[1]


def tx_status(raw: str | None) -> TxStatus | None:
    """A transaction status, upper-cased; None for anything else (read as not final)."""
    try:
        return TxStatus((raw or "").strip().upper())
    except ValueError:
        return None
