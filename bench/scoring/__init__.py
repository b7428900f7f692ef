"""Scorecard evaluation on German Credit: seeded, stratified 10-fold cross-validation.

Run: ``.venv/bin/python -m bench.scoring [--folds 10] [--seed N]`` (``make eval-scoring``)

1. read ``../shared/data/germancredit.csv`` (1,000 loans, label ``creditability`` good/bad,
   7 numeric and 13 categorical columns);
2. on the same seeded stratified folds, train the scorecard (``app.scoring``) on each training
   fold and rank the test fold by its points; beside it the baseline, scikit-learn's logistic
   regression on one-hot categoricals and standardised numerics; AUC, Gini and KS per fold
   and their means;
3. train once on every row and time 10,000 in-process scorings (``Scorecard.score``) of rows
   of the table, one at a time: ``score_p50_ms``, ``score_p99_ms``;
4. SIMULATION ONLY: the same cross-validation on a simulated population (``--simulated N``,
   default 4,000; ``app.scoring.simulated``, seed = ``--seed``, as of ``SIMULATED_TODAY`` so runs
   reproduce), beside the AUC of the hidden default probabilities themselves (the ceiling any
   model can reach on these labels); then a scorecard trained on the whole population rescores
   2,000 other simulated phones ``RESCORING_INTERVAL_DAYS`` later: band shares, PSI, moves;
   and times whole decisions (features of a two-year statement, then the card) on 1,000 of
   them: ``p50_ms``, ``p99_ms`` (the aim: p99 < 5 ms).

Then ``bench/results/scoring.json`` and the ``scoring`` section of ``docs/performance.md``
(``--docs-only`` rewrites the section from the JSON). Figures are not pass/fail: the aims are
a mean AUC of at least 0.78 and not below the baseline's.
"""
