"""USSD hops per second and their latency on PostgreSQL, beside a trivial endpoint measured in
the same run: 200 concurrent sessions walking the borrow journey (``make bench-ussd``).

Run: ``.venv/bin/python -m bench.ussd [--seconds 10] [--sessions 200] [--workers 2]``

On a fresh database (``bench.common.databases``):

1. migrate, open the chart, fund the float and bulk-insert borrowers, each opted in with a
   KES 5,000 limit and a PIN; write a field-keys file;
2. start the API (``mkopo serve``, uvicorn, ``--workers``) on a free loopback port, its task
   queue on Celery's in-memory broker (the worker is not part of this measurement: a hop
   only hands the payout over); warm it up;
3. the baseline: ``GET /healthz`` closed-loop on ``--sessions`` connections; then the
   journey closed-loop (``bench.ussd.driver``): each of ``--sessions`` handsets walks
   sessions back to back, a new borrower each time, five hops per session (menu, Borrow,
   amount, confirm the disclosure, PIN, which checks the PIN and books the loan): capacity,
   and latency at saturation; then only the four hops before the PIN (no KDF, no booking),
   closed-loop: what a menu hop costs; then the whole journey paced, each handset pausing
   after every answer as a reader would, offering about half the capacity: latency below
   saturation;
4. stop the API; verify: every finished journey booked exactly one loan (one payout each,
   as many as the driver saw), no request failed, the books balance;
5. write ``bench/results/ussd.json`` and the ``ussd`` section of ``docs/performance.md``
   (``--docs-only`` rewrites the section from the JSON).

Timings are figures to read, never pass/fail; the exit status is 1 only when the run is
unsound (failed requests, unexpected answers, counts or books that disagree).
"""
