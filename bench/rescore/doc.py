"""The ``rescore`` section of docs/performance.md, built from the benchmark's results."""

from __future__ import annotations

from typing import Any

from app.scoring.schedule import DEFAULT_BUDGET_S
from bench.common.machine import machine_line
from bench.common.report import format_table, wrap_markdown

BEAT_SHARE = DEFAULT_BUDGET_S / 60
"""The share of each minute the beat-scheduled sweep works."""


def build_doc_section(data: dict[str, Any]) -> str:
    base = data["baseline"]
    table = format_table(
        ["what", "borrowers/s", "ratio"],
        [
            ["baseline: statement + features + card, in-process", base["per_s"], 1.0],
            ["the sweep (one transaction per borrower)", data["sweep_per_s"],
             data["ratio_to_baseline"]],
        ],
    )  # fmt: skip
    verified = "verified" if data["verified"] else "NOT verified: " + "; ".join(data["failures"])
    return "\n\n".join(
        [
            "## Rescoring sweep (make bench-rescore)",
            wrap_markdown(
                f"`{data['command']}`, {data['timestamp']}: {data['borrowers']:,} borrowers due "
                "on PostgreSQL, scored by `rescore_due` as the beat task runs it (statement "
                "fetched outside a transaction, one transaction per borrower, row locked). The "
                "baseline is the same decisions' work without the database. The statement "
                "simulator's cost is in both."
            ),
            table,
            wrap_markdown(
                f"{data['sweep_seconds']} s for {data['borrowers']:,} borrowers: one worker "
                f"would take about {data['hours_per_million']} hours per million borrowers "
                f"(a first scoring of a whole book, or one 4-month cycle), about "
                f"{round(data['hours_per_million'] / BEAT_SHARE, 1)} hours as the beat task "
                f"runs it (45 s of every minute). Checks: {verified} "
                "(one decision per borrower, next review 120 days on, a second sweep finds "
                f"nobody). {machine_line(data['machine'])}"
            ),
        ]
    )
