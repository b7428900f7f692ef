"""The bureau files of a small book: valid by the template, accepted by every simulated
bureau; a corrupted file is rejected by record, kept, and resolved by the next good file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from app.crb.export import FileKind, build_files
from app.crb.submissions import open_rejections, read_acknowledgements, submit
from integrations.crb.folders import BureauFolder
from integrations.crb.simulator import SimulatedBureau
from integrations.crb.template import BUREAUS, FileType
from integrations.crb.validation import validate_file
from tests.support.crb import account_rows, run_day, submissions
from tests.support.lending import KES, Fund


def small_book(fund: Fund) -> tuple[int, int]:
    """One borrower repaid, one owing and past due."""
    repaid = fund.register("12345670", "0712345678")
    owing = fund.register("30000010", "0712345612")
    fund.borrow(repaid, 1_000 * KES, "book-repaid")
    fund.borrow(owing, 1_500 * KES, "book-owing")
    fund.days_pass(15)
    fund.repay(fund.loan_of(repaid).id, fund.loan_of(repaid).outstanding_minor, "RKL00000010")
    fund.days_pass(3)
    return repaid, owing


def test_a_small_book_makes_valid_files_that_every_bureau_accepts(
    fund: Fund, tmp_path: Path
) -> None:
    repaid, owing = small_book(fund)
    today = fund.clock().date()
    with fund.sessions.reader() as session:
        files = build_files(session, fund.ports.cipher, today, FileKind.DAILY)
    assert {(f.bureau, f.file_type) for f in files} == {(b, t) for b in BUREAUS for t in FileType}
    for f in files:
        assert validate_file(f.file_type, f.data.decode()) == []
    consumer = next(f for f in files if f.file_type is FileType.CONSUMER).data.decode()
    assert "|254712345678|" in consumer
    assert "|254712345612|" in consumer
    assert "pin" not in consumer.lower()

    run_day(fund, tmp_path)
    assert [(s.status, s.rejections) for s in submissions(fund)] == [("accepted", 0)] * 6
    inbox = tmp_path / "bureaus" / "transunion" / "inbox"
    rows = account_rows(next(inbox.glob("*ACCOUNT_DAILY*")))
    paid, late = rows[fund.loan_of(repaid).account_number], rows[fund.loan_of(owing).account_number]
    assert (paid["account_status"], paid["current_balance"], paid["date_last_payment"]) == (
        "CLOSED",
        "0.00",
        paid["date_closed"],
    )
    assert late["account_status"] == "ARREARS"
    assert (late["days_in_arrears"], late["instalments_in_arrears"]) == ("4", "1")
    assert late["amount_in_arrears"] == late["current_balance"]
    assert late["original_amount"] == "1500.00"


def test_a_corrupted_file_is_rejected_by_record_and_the_next_good_file_resolves_it(
    fund: Fund, tmp_path: Path
) -> None:
    small_book(fund)
    bureaus = tmp_path / "bureaus"
    with fund.sessions.reader() as session:
        files = build_files(session, fund.ports.cipher, fund.clock().date(), FileKind.DAILY)
    good = next(f for f in files if f.bureau == "metropol" and f.file_type is FileType.ACCOUNT)
    lines = good.data.decode().split("\n")
    lines[2] = lines[2].replace("|KES|", "|USD|")
    corrupted = dataclasses.replace(good, data="\n".join(lines).encode())
    with fund.sessions.unit_of_work() as session:
        submit(session, [corrupted], bureaus, fund.clock())
    SimulatedBureau(BureauFolder(bureaus, "metropol")).process()
    with fund.sessions.unit_of_work() as session:
        assert read_acknowledgements(session, bureaus, fund.clock()) == 1
    with fund.sessions.reader() as session:
        assert [r | {"id": 0} for r in open_rejections(session)] == [
            {
                "id": 0,
                "bureau": "metropol",
                "file": good.name,
                "record": 2,
                "field": "currency",
                "reason": "not one of KES",
            }
        ]
    assert [(s.status, s.rejections) for s in submissions(fund)] == [("rejected", 1)]

    fund.days_pass(1)
    run_day(fund, tmp_path)  # the next day's full file carries the record corrected
    with fund.sessions.reader() as session:
        assert open_rejections(session) == []
