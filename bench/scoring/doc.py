"""The ``scoring`` section of docs/performance.md, built from the evaluation's results."""

from __future__ import annotations

from typing import Any

from bench.common.report import format_table, wrap_markdown
from bench.scoring.evaluate import RESCORING_INTERVAL_DAYS

PSI_STABLE_BELOW = 0.1
PSI_SOME_SHIFT_BELOW = 0.25


def psi_verdict(psi: float) -> str:
    if psi < PSI_STABLE_BELOW:
        return f"stable (PSI < {PSI_STABLE_BELOW})"
    if psi < PSI_SOME_SHIFT_BELOW:
        return f"some shift (PSI {PSI_STABLE_BELOW} to {PSI_SOME_SHIFT_BELOW})"
    return f"a major shift (PSI >= {PSI_SOME_SHIFT_BELOW})"


def build_simulated_section(data: dict[str, Any]) -> list[str]:
    stability = data["band_stability"]
    bands = list(stability["shares_first"])
    table = format_table(
        ["model (simulated population)", "mean AUC", "mean Gini", "mean KS"],
        [
            ["scorecard", data["simulated_auc"], data["simulated_gini"], data["simulated_ks"]],
            ["baseline logistic regression", data["simulated_baseline_auc"],
             data["simulated_baseline_gini"], data["simulated_baseline_ks"]],
            ["hidden default probabilities (ceiling; whole population)",
             data["simulated_oracle_auc"], None, None],
        ],
    )  # fmt: skip
    shares = format_table(
        ["scored on", *bands],
        [
            [day, *(f"{stability[key][band]:.1%}" for band in bands)]
            for day, key in ((stability["first"], "shares_first"),
                             (stability["second"], "shares_second"))
        ],
    )  # fmt: skip
    return [
        wrap_markdown(
            f"SIMULATION ONLY: {data['simulated_rows']:,} simulated borrowers "
            f"(`app.scoring.simulated`, as of {data['simulated_today']}, seed {data['seed']}, bad "
            f"rate {data['simulated_bad_rate']:.1%}), labelled by one draw of their profile's "
            "hidden default probability; the same trainer and folds. The ceiling is the AUC of "
            "the hidden probabilities themselves on the same population: no model can expect to "
            "rank these labels better. Method: docs/scoring.md."
        ),
        table,
        wrap_markdown(
            f"Band stability: a scorecard trained on the whole simulated population scores "
            f"{stability['borrowers']:,} other simulated phones (seed {stability['seed']}) on "
            f"{stability['first']} and again {RESCORING_INTERVAL_DAYS} days later (the "
            f"rescoring interval). PSI {stability['psi']}: {psi_verdict(stability['psi'])}; "
            f"{stability['same_band_share']:.2%} keep their band, "
            f"{stability['within_one_band_share']:.2%} move at most one band. The simulator "
            "dates a SIM from the scoring day, so the later statement is a fresh draw of the "
            "same borrower over shifted months: this measures noise and season, not change."
        ),
        shares,
    ]


def build_doc_section(data: dict[str, Any]) -> str:
    table = format_table(
        ["model", "mean AUC", "mean Gini", "mean KS"],
        [
            ["scorecard (WoE bins + logistic regression, integer points)",
             data["german_auc"], data["german_gini"], data["german_ks"]],
            ["baseline (logistic regression, one-hot + standardised)",
             data["german_baseline_auc"], data["german_baseline_gini"],
             data["german_baseline_ks"]],
        ],
    )  # fmt: skip
    aucs = [f["auc"] for f in data["per_fold"]]
    met = "met" if data["aims_met"] else "NOT met"
    env = data["environment"]
    parts = [
        "## Scoring (make eval-scoring)",
        wrap_markdown(
            f"`{data['command']}`, {data['timestamp']}: German Credit ({data['rows']} loans), "
            f"seeded (seed {data['seed']}) stratified {data['folds']}-fold cross-validation; "
            "the scorecard is trained from scratch on each training fold (bins included) and "
            "ranks the test fold by its integer points; the baseline sees the same folds. "
            "Method: docs/scoring.md."
        ),
        table,
        wrap_markdown(
            f"Aims (mean AUC >= {data['aims']['auc_min']} and not below the baseline): {met}. "
            f"Scorecard AUC per fold ranges {min(aucs)} to {max(aucs)}. In-process, the "
            f"scorecard alone ({data['full_table_scorecard']['features']} features): p50 "
            f"{data['score_p50_ms']} ms, p99 {data['score_p99_ms']} ms over "
            f"{data['scorings_timed']:,} scorings. A whole decision (features from a two-year "
            f"statement of up to {data['decision_transactions_max']:,} transactions, then "
            f"points, band and reasons; aim p99 < 5 ms): p50 {data['p50_ms']} ms, p99 "
            f"{data['p99_ms']} ms over {data['decisions_timed']:,} decisions. "
            f"Machine: {env['cpu_model']}, {env['nproc']} cores; Python "
            f"{env['python']}, numpy {env['numpy']}, scikit-learn {env['scikit_learn']}."
        ),
        *build_simulated_section(data),
    ]
    return "\n\n".join(parts)
