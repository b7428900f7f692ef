"""Ledger write throughput on PostgreSQL, as ratios of a pgbench baseline from the same run.

Run: ``.venv/bin/python -m bench.ledger [--seconds 20] [--workers 8]`` (``make bench-ledger``)

One run does, on scratch databases (``bench.common.databases``):

1. the baseline: ``pgbench -i -s 10`` then ``pgbench -c W -j 2 -T 30`` on a scratch database;
2. a fresh database migrated by Alembic, with 10,000 accounts (half assets, half
   liabilities, no balance constraint) and one hot asset account, then these cases, each for
   a fixed time with W concurrent workers (processes by default; ``--mode threads`` for
   threads), every transaction a ``Sessions.unit_of_work`` of its own:

   - ``uniform+sealer``: one two-posting entry per transaction on two random accounts, while
     the sealer (``Ledger.seal_next_block`` in a loop, in its own process) seals behind them;
     then the queue left unsealed when the writers stop, and how long the sealer takes to
     drain it;
   - ``uniform``: the same without the sealer (the headline ``uniform_tps``);
   - ``hot``: the same, but 30% of the entries have the hot account as one side;
   - ``batched``: 100 entries per transaction through ``Ledger.post_many``, over random
     accounts (``--batched-accounts random``, the default): a batch moves each account once
     and takes its locks in the global order, so concurrent batches cannot deadlock.

3. the sealer alone on the backlog the other cases left, then ``verify``; consistency checks
   (entries in the database = entries the workers counted, debits = credits);
4. peak RSS, CPU per entry by group of processes (writers, sealer, the benchmark's PostgreSQL
   backends, PostgreSQL's background processes, anything else on the machine, which flags a
   disturbed run), then ``bench/results/ledger.json`` and the ``ledger`` section of
   ``docs/performance.md`` (``--docs-only`` rewrites it from the JSON).

Every exception in a worker is counted and reported; a failed transaction's entries are not
counted. Timings are figures to read, never pass/fail; the exit status is 1 only when the
run itself is unsound (errors, counts that disagree, a seal chain that does not verify).
"""

from bench.common.report import logger

log = logger("ledger-bench")
