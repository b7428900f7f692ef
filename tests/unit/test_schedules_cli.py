"""``mkopo loans schedule``: JSON lines in the documented format, and one-line refusals.

Run through Typer's CliRunner, and once as a real process of the installed ``mkopo``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app

GROUP_LOAN = [
    "--principal",
    "100000",
    "--annual-rate",
    "7",
    "--method",
    "emi",
    "--frequency",
    "monthly",
    "--term",
    "6",
    "--start",
    "2026-01-15",
]
AMOUNT = re.compile(r"(0|[1-9][0-9]*)\.[0-9]{2}")
INSTALMENT_KEYS = ["number", "due_date", "principal", "interest", "total", "balance_after"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["loans", "schedule", *args])
    return result.exit_code, result.stdout, result.stderr


def cents(text: str) -> int:
    assert AMOUNT.fullmatch(text), text
    shillings, cents = text.split(".")
    return int(shillings) * 100 + int(cents)


def check_format(stdout: str, instalments: int) -> list[dict[str, object]]:
    """Every line JSON; instalments with exactly the documented keys, in order; amounts as
    decimal strings with two places; a totals line that adds up."""
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert len(lines) == instalments + 1
    rows, totals = lines[:-1], lines[-1]
    for number, row in enumerate(rows, start=1):
        assert list(row) == INSTALMENT_KEYS
        assert row["number"] == number
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(row["due_date"]))
        principal, interest, total = (
            cents(str(row[k])) for k in ("principal", "interest", "total")
        )
        assert total == principal + interest
        cents(str(row["balance_after"]))
    assert list(totals) == ["principal", "interest", "total"]
    for key in totals:
        assert cents(str(totals[key])) == sum(cents(str(row[key])) for row in rows)
    assert rows[-1]["balance_after"] == "0.00"
    return rows


def test_the_group_loan_schedule_prints_a_json_line_per_instalment_then_totals() -> None:
    code, stdout, stderr = run(*GROUP_LOAN)
    assert (code, stderr) == (0, "")
    rows = check_format(stdout, 6)
    assert [row["due_date"] for row in rows] == [
        "2026-02-15",
        "2026-03-15",
        "2026-04-15",
        "2026-05-15",
        "2026-06-15",
        "2026-07-15",
    ]
    # 100,000 x 7% x 31/365 (15 January to 15 February) = 594.52
    assert rows[0]["interest"] == "594.52"
    assert json.loads(stdout.splitlines()[-1])["principal"] == "100000.00"


@pytest.mark.parametrize(
    "extra",
    [
        ["--method", "declining", "--frequency", "weekly"],
        ["--method", "flat", "--frequency", "fortnightly", "--day-count", "30/360"],
        ["--round", "shillings", "--grace-principal", "2"],
        ["--principal", "100000.50", "--annual-rate", "7.25", "--first-due", "2026-03-01"],
    ],
    ids=["declining weekly", "flat fortnightly 30/360", "shillings with grace", "broken period"],
)
def test_every_option_prints_the_same_format(extra: list[str]) -> None:
    code, stdout, _ = run(*GROUP_LOAN, *extra)
    assert code == 0
    check_format(stdout, 6)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--principal", "-5"], "--principal must be a positive amount in KES"),
        (["--principal", "0"], "principal must be more than 0"),
        (["--term", "0"], "term must be between 1 and 360"),
        (["--term", "six"], "--term must be a whole number"),
        (["--method", "balloon"], "--method must be one of emi|declining|flat"),
        (["--frequency", "daily"], "--frequency must be one of weekly|fortnightly|monthly"),
        (["--start", "2026-02-30"], "--start must be a date YYYY-MM-DD"),
        (["--start", "15/01/2026"], "--start must be a date YYYY-MM-DD"),
        (["--annual-rate", "100.5"], "annual rate must be between 0 and 100"),
        (["--annual-rate", "7,5"], "--annual-rate must be a percent"),
        (["--round", "pennies"], "--round must be one of cents|shillings"),
        (["--day-count", "act360"], "--day-count must be one of act365|30/360"),
        (["--grace-principal", "6"], "grace on principal must be at least 0 and less"),
        (["--first-due", "2026-06-01"], "first due date must be after the start"),
        (["--colour", "blue"], "No such option: --colour"),
        (["surplus"], "unexpected extra argument"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_on_stderr(change: list[str], message: str) -> None:
    args = list(GROUP_LOAN)
    if change[0].startswith("--") and change[0] in args:
        args[args.index(change[0]) + 1] = change[1]
    else:
        args += change
    code, stdout, stderr = run(*args)
    assert code == 2
    assert stdout == ""
    assert stderr.count("\n") == 1, stderr
    assert stderr.endswith("\n")
    assert stderr.startswith("error: ")
    assert message in stderr, stderr


def test_missing_arguments_are_named_on_one_line() -> None:
    code, _, stderr = run("--principal", "100000")
    assert code == 2
    assert stderr == ("error: missing --annual-rate, --method, --frequency, --term, --start\n")


def test_an_option_without_its_value_is_one_line_too() -> None:
    code, _, stderr = run(*GROUP_LOAN, "--principal")
    assert code == 2
    assert stderr == "error: Option '--principal' requires an argument.\n"


def test_the_installed_command_prints_the_same_lines_as_a_real_process() -> None:
    mkopo = Path(sys.executable).with_name("mkopo")
    done = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(mkopo), "loans", "schedule", *GROUP_LOAN, "--method", "declining"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    check_format(done.stdout, 6)
    assert done.stdout == run(*GROUP_LOAN, "--method", "declining")[1]
    refused = subprocess.run(  # noqa: S603
        [str(mkopo), "loans", "schedule", *GROUP_LOAN, "--principal", "-5"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.count("\n") == 1
    assert "Traceback" not in refused.stderr
