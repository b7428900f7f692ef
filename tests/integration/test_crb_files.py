"""The bureau files of a small book: valid by the template, accepted by every simulated
bureau; a corrupted file is rejected by record, kept, and resolved by the next good file."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from app.borrowers.models import Borrower
from app.crb.export import FileKind, build_files
from app.crb.submissions import open_rejections, read_acknowledgements, submit
from app.lending.instalments import instalments_of
from integrations.crb.folders import BureauFolder
from integrations.crb.simulator import SimulatedBureau
from integrations.crb.template import BUREAUS, FileType
from integrations.crb.validation import validate_file
from tests.support.crb import account_rows, run_day, submissions
from tests.support.instalments import GROUP_CODE, add_group_product
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


def test_an_instalment_loan_reports_its_schedule_and_the_instalments_in_arrears(
    fund: Fund, tmp_path: Path
) -> None:
    add_group_product(fund, fund.clock())
    borrower_id = fund.register()
    with fund.sessions.unit_of_work() as session:
        session.get_one(Borrower, borrower_id).credit_limit_minor = 20_000 * KES
    fund.settle(fund.request(borrower_id, 12_000 * KES, "group-loan", product=GROUP_CODE).id)
    loan = fund.loan_of(borrower_id)
    with fund.sessions.reader() as session:
        first = instalments_of(session, loan.id)[0]
    fund.days_pass((first.due_on - fund.clock().date()).days + 5)
    run_day(fund, tmp_path)
    inbox = tmp_path / "bureaus" / "creditinfo" / "inbox"
    row = account_rows(next(inbox.glob("*ACCOUNT_DAILY*")))[loan.account_number]
    assert (row["product_type"], row["instalment_frequency"]) == ("GROUP3", "MONTHLY")
    assert row["instalment_amount"] == f"{first.total_minor // 100}.{first.total_minor % 100:02d}"
    assert (row["days_in_arrears"], row["instalments_in_arrears"]) == ("5", "1")
    assert row["amount_in_arrears"] == row["instalment_amount"]
    assert row["account_status"] == "ARREARS"


def test_on_the_first_of_the_month_the_monthly_files_go_too(fund: Fund, tmp_path: Path) -> None:
    small_book(fund)
    today = fund.clock().date()
    fund.days_pass(
        (today.replace(day=28) + timedelta(days=4)).replace(day=1).toordinal() - today.toordinal()
    )
    run_day(fund, tmp_path)
    kinds = sorted({(s.kind, s.file_type) for s in submissions(fund)})
    assert kinds == [(k, t) for k in ("daily", "monthly") for t in ("account", "consumer")]
    assert all(s.status == "accepted" for s in submissions(fund))
