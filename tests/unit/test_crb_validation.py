"""The template's validator and the drop-folder bureau: the same rules on both sides."""

from __future__ import annotations

import json
from pathlib import Path

from integrations.crb.folders import BureauFolder, ack_name
from integrations.crb.simulator import SimulatedBureau
from integrations.crb.template import SEPARATOR, FileType, file_name, header
from integrations.crb.validation import RecordError, validate_file

ACCOUNT = {
    "lender_code": "MKOPO",
    "customer_number": "1",
    "id_number": "12345670",
    "account_number": "HF0000001",
    "product_type": "PERSONAL",
    "date_opened": "20261101",
    "original_amount": "2000.00",
    "currency": "KES",
    "instalment_amount": "2000.00",
    "instalment_frequency": "ONCE",
    "current_balance": "2150.40",
    "amount_in_arrears": "2150.40",
    "instalments_in_arrears": "1",
    "days_in_arrears": "16",
    "account_status": "LISTED",
    "account_status_date": "20261207",
    "date_last_payment": "",
    "date_closed": "",
    "prudential_class": "NORMAL",
    "dispute_flag": "N",
    "file_date": "20261207",
}


def account_file(*changes: dict[str, str]) -> str:
    rows = [SEPARATOR.join((ACCOUNT | change).values()) for change in changes]
    return "\n".join([header(FileType.ACCOUNT), *rows]) + "\n"


def test_a_listed_account_above_kes_1000_is_valid() -> None:
    assert validate_file(FileType.ACCOUNT, account_file({})) == []


def test_errors_name_the_record_the_field_and_the_reason() -> None:
    text = account_file({}, {"id_number": ""}, {"date_opened": "20261332"})
    assert validate_file(FileType.ACCOUNT, text) == [
        RecordError(2, "id_number", "required"),
        RecordError(3, "date_opened", "not a date YYYYMMDD"),
    ]


def test_no_negative_listing_at_kes_1000_or_less() -> None:
    text = account_file({"current_balance": "1000.00", "amount_in_arrears": "1000.00"})
    assert validate_file(FileType.ACCOUNT, text) == [
        RecordError(1, "account_status", "no negative listing for KES 1,000 or less")
    ]


def test_a_closed_account_needs_its_closing_date_and_owes_nothing() -> None:
    closed = {"account_status": "CLOSED", "current_balance": "5.00", "amount_in_arrears": "0.00"}
    fields = [e.field for e in validate_file(FileType.ACCOUNT, account_file(closed))]
    assert fields == ["date_closed", "current_balance"]


def test_a_wrong_header_or_field_count_is_caught() -> None:
    assert validate_file(FileType.CONSUMER, account_file({}))[0].record == 0
    broken = account_file({}) + "MKOPO|1|2\n"
    assert validate_file(FileType.ACCOUNT, broken) == [RecordError(2, "record", "3 fields, not 21")]


def test_the_bureau_accepts_a_good_file_and_rejects_a_corrupted_one_by_record(
    tmp_path: Path,
) -> None:
    folder = BureauFolder(tmp_path, "metropol")
    bureau = SimulatedBureau(folder)
    good = file_name("metropol", FileType.ACCOUNT, "daily", "20261207")
    bad = file_name("metropol", FileType.ACCOUNT, "daily", "20261208")
    folder.drop(good, account_file({}).encode())
    folder.drop(bad, account_file({}, {"currency": "USD"}).encode())
    folder.drop("notes.txt", b"hello")

    assert bureau.process() == [good, bad, "notes.txt"]
    assert bureau.process() == []  # an answered file is never answered again
    acks = {n: json.loads((folder.acknowledgements / ack_name(n)).read_text()) for n in (good, bad)}
    accepted = acks[good]
    assert (accepted["status"], accepted["records"], accepted["errors"]) == ("accepted", 1, [])
    assert acks[bad]["status"] == "rejected"
    assert acks[bad]["errors"] == [{"record": 2, "field": "currency", "reason": "not one of KES"}]
    notes = json.loads((folder.acknowledgements / ack_name("notes.txt")).read_text())
    assert notes["errors"][0]["record"] == 0
