"""Statement reconciliation on PostgreSQL: N statement lines against a ledger holding them.

Run: ``.venv/bin/python -m bench.recon [--sizes 100000,1000000] [--chunk N]``
(``make bench-recon``)

For each size, on a fresh database (``bench.common.databases``):

1. migrate it with Alembic (every head), open the chart, post the capital the day before;
2. seed the ledger with N provider movements of one day (``bench.recon.seed``: 80% paybill
   repayments, 20% B2C payouts with their payouts rows, in bulk SQL) and write the provider's
   statement of the same N movements to a CSV file (preamble, headers, running balance);
3. baseline: ``COPY`` of the file's N data rows into a scratch table (13 text columns), the
   fastest PostgreSQL ingests these rows on this machine right now;
4. time the reconciliation as ``mkopo reconcile --statement FILE`` does it: import (hash,
   streamed parse, one binary ``COPY`` into the store) then ``execute_run`` (ledger snapshot,
   matching in chunks, closing): wall seconds per phase, lines/s, this process's VmRSS
   sampled every 50 ms (peak, growth), CPU of this process and its PostgreSQL backends;
5. verify: every line matched, no exception, the float check explains everything, N lines
   stored; then reconcile the same file again: it must change nothing (timed);
6. drop the database and the file.

Then ``bench/results/recon.json`` and the ``recon`` section of ``docs/performance.md``
(``--docs-only`` rewrites the section from the JSON).
"""
