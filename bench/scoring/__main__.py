"""``python -m bench.scoring``: the command line (see the package's docstring)."""

from __future__ import annotations

import sys
from pathlib import Path

from app.scoring.evaluation import DEFAULT_FOLDS, DEFAULT_SEED, cross_validate
from app.scoring.training import load_labelled_csv, train_scorecard
from bench import scoring
from bench.common import report
from bench.scoring.doc import build_doc_section
from bench.scoring.evaluate import (
    DATASET,
    DEFAULT_SIMULATED_ROWS,
    LABEL_COLUMN,
    assemble,
    log,
    scoring_latency,
    simulated_figures,
)

BENCH = report.Benchmark("scoring", "eval-scoring", build_doc_section)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = report.parser_for(BENCH, scoring.__doc__, keep_db=False)
    parser.add_argument("--folds", type=int, default=DEFAULT_FOLDS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument(
        "--simulated", type=int, default=DEFAULT_SIMULATED_ROWS, metavar="N",
        help="simulated borrowers to cross-validate on",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.docs_only:
        report.rewrite_docs(BENCH, args.output)
        return 0
    table = load_labelled_csv(args.dataset, LABEL_COLUMN)
    log(f"{len(table.rows)} rows, {sum(table.bad)} bad; {args.folds}-fold CV, seed {args.seed}")
    cv = cross_validate(table, folds=args.folds, seed=args.seed)
    card = train_scorecard(table)
    latency = scoring_latency(card, table)
    data = assemble(cv, card, latency, BENCH.command(argv))
    data |= simulated_figures(args.simulated, args.seed, args.folds)
    return report.conclude(BENCH, args, data, hidden=("per_fold", "environment"))


if __name__ == "__main__":
    sys.exit(main())
