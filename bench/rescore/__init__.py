"""The rescoring sweep on PostgreSQL: N borrowers due, scored by ``scoring.rescore_due``.

Run: ``.venv/bin/python -m bench.rescore [--borrowers 2000]`` (``make bench-rescore``)

On a fresh database (``bench.common.databases``):

1. migrate; store and activate a scorecard trained on 1,500 simulated borrowers;
2. insert N opted-in borrowers in bulk (simulated phone numbers, encrypted as in production),
   all due for rescoring now;
3. baseline, in this process and without the database: the same N decisions' work (the
   simulated two-year statement, its features, points, band and reasons), one at a time;
4. time the sweep as the beat task runs it (``rescore_due``: batches of 200, each borrower
   fetched outside a transaction and scored in a transaction of its own), with no time
   budget so it takes every borrower;
5. verify: one decision per borrower, every borrower's next review 120 days on, the sweep
   again finds nobody.

Then ``bench/results/rescore.json`` and the ``rescore`` section of ``docs/performance.md``
(``--docs-only`` rewrites the section from the JSON). Figures are not pass/fail; the
statement simulator's cost is inside both the baseline and the sweep (a real provider's
statement API would replace it with a network call).
"""
