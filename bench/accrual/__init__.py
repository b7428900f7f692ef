"""The daily accrual job on PostgreSQL: one business day for N active loans, timed.

Run: ``.venv/bin/python -m bench.accrual [--sizes 100000,1000000] [--batch-size N]``
(``make bench-accrual``)

For each size, on a fresh database (``bench.common.databases``):

1. create it, migrate it with Alembic, open the chart (``open_chart``);
2. bulk-create N borrowers and N active loans with two ``INSERT ... SELECT FROM
   generate_series`` statements through psycopg (``bench.common.seed``; no origination, no
   payouts), one in ten then turned into an instalment loan (``bench.accrual.instalments``:
   a 3-month EMI product, its schedule COPYed into ``loan_instalments``, nothing due by D),
   the rest Personal Loans: principal between KES 100 and KES 50,000, disbursed ``id % 20``
   days before D0 = D - 1 (D = today's business date), accrued up to D - 1 exactly as the
   job would have left them (interest, penalty, carry, from the closed form of
   ``app.loan_math.interest``, checked against ``accrue_day`` on a sample), then ONE opening
   ledger entry putting the portfolio's principal, interest and penalty in the control
   accounts (1200/1210/1220) so that the subledger agrees with the ledger before the run;
   VACUUM ANALYZE and CHECKPOINT;
3. time ONE ``accrue_through(sessions, clock, D)`` (the daily run, one more day per loan) with
   the given batch size: wall seconds, loans/s, CPU of this process and of PostgreSQL, the
   process's resident memory sampled every 50 ms during the call (peak and growth) besides
   ``getrusage`` (the whole process's peak, loan creation included), and a per-phase
   breakdown (wrappers around the job's batch-level functions);
4. verify: every loan advanced by exactly one day and its state equals the closed form for
   the new day (an instalment loan: nothing recognised or charged, its rows untouched); the
   interest and penalty added on the loans equal what the ledger's 1210 and 1220 gained and
   the ``accrual_runs`` row's totals; the subledger still agrees with the ledger
   (``check_subledger``); one reminder SMS per bullet loan reaching day 9, 14 or 19; no
   default. Any failure: exit status 1;
5. run it again for D: it must change nothing (loans, ledger, outbox); its time is reported;
6. drop the database.

Then ``bench/results/accrual.json`` and the ``accrual`` section of ``docs/performance.md``
(``--docs-only`` rewrites the section from the JSON). ``--profile FILE`` runs the timed call
under pyinstrument (if installed) and writes its text report; timings are then inflated, so
nothing else is written.
"""
