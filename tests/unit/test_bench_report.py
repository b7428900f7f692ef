"""What the benchmarks share besides load: the docs writer keeps every word outside its
markers, the tables and paragraphs it writes, the percentile, and the one CPU meter."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bench.common import report
from bench.common.measure import CpuMeter, percentile


def test_a_missing_document_is_created_with_its_title_intro_and_the_section(
    tmp_path: Path,
) -> None:
    doc = tmp_path / "performance.md"
    report.replace_doc_section("ledger", "## Ledger\n\n1,885 entries/s", doc)
    text = doc.read_text()
    assert text.startswith("# Performance\n\nEvery figure here is a ratio")
    assert text.endswith(
        "<!-- ledger:start -->\n## Ledger\n\n1,885 entries/s\n<!-- ledger:end -->\n"
    )


def test_rewriting_a_section_keeps_the_text_around_it_and_the_other_sections(
    tmp_path: Path,
) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(
        "# Performance\n\nWritten by hand.\n\n"
        "<!-- ledger:start -->\nold ledger\n<!-- ledger:end -->\n\nBetween, by hand.\n\n"
        "<!-- ussd:start -->\n59 hops/s\n<!-- ussd:end -->\n\nAfter, by hand.\n"
    )
    report.replace_doc_section("ledger", "new ledger\n\n", doc)
    assert doc.read_text() == (
        "# Performance\n\nWritten by hand.\n\n"
        "<!-- ledger:start -->\nnew ledger\n<!-- ledger:end -->\n\nBetween, by hand.\n\n"
        "<!-- ussd:start -->\n59 hops/s\n<!-- ussd:end -->\n\nAfter, by hand.\n"
    )


def test_a_section_without_markers_yet_is_appended(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nBy hand.\n\n\n")
    report.replace_doc_section("recon", "22,000 lines/s", doc)
    assert doc.read_text() == (
        "# Performance\n\nBy hand.\n\n<!-- recon:start -->\n22,000 lines/s\n<!-- recon:end -->\n"
    )


def test_a_table_pads_its_columns_and_leaves_missing_cells_empty() -> None:
    table = report.format_table(["case", "p99 ms"], [["uniform", 41.2], ["hot", None]])
    assert table.splitlines() == [
        "| case    | p99 ms |",
        "|---------|--------|",
        "| uniform | 41.2   |",
        "| hot     |        |",
    ]


def test_paragraphs_never_break_inside_a_code_span() -> None:
    text = "Run " + "it again " * 8 + "with `make bench-callbacks --no-docs here` to see."
    wrapped = report.wrap_markdown(text, width=40)
    assert "`make bench-callbacks --no-docs here`" in wrapped.replace("\n", " ")
    assert all("`" not in line or line.count("`") % 2 == 0 for line in wrapped.splitlines())


def test_figures_at_the_aim_sizes_and_their_growth() -> None:
    runs = {
        "100k": {"seconds": 4.5, "rss_mb": {"peak": 110.0}},
        "1m": {"seconds": 48.6, "rss_mb": {"peak": 121.5}},
    }
    assert report.at_aim_sizes(runs, "seconds") == {"seconds_100k": 4.5, "seconds_1m": 48.6}
    assert report.growth(runs, "seconds") == 10.8
    assert report.peak_rss_mb(runs) == 121.5
    assert report.growth({"2k": {"seconds": 1.0}}, "seconds") is None
    assert [report.size_label(n) for n in (1_000_000, 100_000, 2_500)] == ["1m", "100k", "2500"]


@pytest.mark.parametrize(("pct", "expected"), [(0, 10.0), (50, 25.0), (90, 37.0), (100, 40.0)])
def test_percentiles_interpolate_between_the_ordered_values(pct: float, expected: float) -> None:
    assert percentile([40.0, 10.0, 30.0, 20.0], pct) == pytest.approx(expected)


def test_no_values_have_no_percentile() -> None:
    assert percentile([], 99) is None


def test_the_cpu_meter_charges_this_process_cpu_to_its_group() -> None:
    meter = CpuMeter()
    burnt = time.process_time()
    while time.process_time() - burnt < 0.3:
        sum(i * i for i in range(1_000))
    use = meter.read({"me": {os.getpid()}})
    # Other threads of this process (servers earlier tests left running) may burn CPU too:
    # the bound is every core for the whole wall time.
    assert 0.25 <= use.spent["me"] <= use.wall_s * (os.cpu_count() or 1) + 0.05
    assert use.busy_share is not None
    assert 0.0 < use.busy_share <= 1.0
    assert set(use.spent) == {"me", "postgres_background", "other_postgres", "other_processes"}
    assert use.machine_s is not None
    assert use.machine_s >= use.spent["me"] * 0.9
