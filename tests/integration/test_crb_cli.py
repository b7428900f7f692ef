"""``mkopo crb export``: bad arguments exit 2 with one line; good ones write each bureau's
files; ``mkopo crb rejections`` lists what the bureaus refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from app.borrowers.models import Borrower
from app.cli import app
from integrations.crb.template import BUREAUS
from tests.integration.test_borrower_networks import cli_fund  # noqa: F401 - the fixture
from tests.support.lending import KES, Fund


@pytest.mark.parametrize(
    "arguments",
    [
        ["--date", "2026-13-01", "--kind", "daily"],
        ["--date", "2026-12-01", "--kind", "weekly"],
        ["--date", "2026-12-01"],
        ["--date", "2026-12-01", "--kind", "daily", "--bogus", "1"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, arguments: list[str]) -> None:
    result = CliRunner().invoke(app, ["crb", "export", *arguments, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("error:")
    assert not (tmp_path / "o").exists()


@pytest.mark.slow  # a whole fund, as every test of the ``fund`` fixture
def test_good_arguments_write_a_consumer_and_an_account_file_per_bureau(
    cli_fund: Fund,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    borrower_id = cli_fund.register()
    cli_fund.borrow(borrower_id, 1_000 * KES)
    day = cli_fund.clock().date()
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["crb", "export", "--date", day.isoformat(), "--kind", "monthly", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.txt"))
    assert written == sorted(
        f"{b}/MKOPO_{b.upper()}_{t}_MONTHLY_{day:%Y%m%d}.txt"
        for b in BUREAUS
        for t in ("CONSUMER", "ACCOUNT")
    )
    account = (out / "metropol" / f"MKOPO_METROPOL_ACCOUNT_MONTHLY_{day:%Y%m%d}.txt").read_text()
    assert cli_fund.loan_of(borrower_id).account_number in account
    listed = CliRunner().invoke(app, ["crb", "rejections"])
    assert (listed.exit_code, listed.output) == (0, "")


@pytest.mark.slow
def test_a_file_that_breaks_the_template_is_not_written_and_the_command_exits_1(
    cli_fund: Fund,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    borrower_id = cli_fund.register()
    cli_fund.borrow(borrower_id, 1_000 * KES)
    with cli_fund.sessions.unit_of_work() as session:
        session.execute(
            update(Borrower)
            .where(Borrower.id == borrower_id)
            .values(full_name_enc=cli_fund.ports.cipher.encrypt("R2D2 Droid"))
        )
    out = tmp_path / "out"
    day = cli_fund.clock().date().isoformat()
    result = CliRunner().invoke(
        app, ["crb", "export", "--date", day, "--kind", "daily", "--out", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert "consumer record 1 forename: not in the name format" in result.output
    assert not out.exists()
