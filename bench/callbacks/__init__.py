"""M-Pesa C2B confirmations and Airtel Money collection callbacks end to end on PostgreSQL:
accepted into the inbox over HTTP, then processed into posted, allocated repayments; against a
trivial endpoint of the same server (``make bench-callbacks``).

Run: ``.venv/bin/python -m bench.callbacks [--seconds 30] [--loans 20000]
[--connections 16] [--workers 2] [--processors 1]``

On a fresh database (``bench.common.databases``):

1. migrate, open the chart, put capital in the float and bulk-insert N borrowers, each with
   an ACTIVE Personal Loan (``bench.callbacks.seed``); write a field-keys file;
2. start the API (``mkopo serve``, uvicorn, ``--workers``) on a free loopback port, pointed
   at the database, the keys and a random callback token; warm it up;
3. the baseline: the load generator (``bench.common.load``, closed loop, ``--connections``
   keep-alive connections) on ``GET /healthz`` (no database work); then POSTing C2B
   confirmations to ``/callbacks/mpesa/{token}/c2b/confirmation``, each with a unique
   TransID, KES 10, BillRefNumber cycling over the loans' account numbers. Accepted = an
   HTTP 200 carrying Daraja's acknowledgement; the inbox must hold one row per accepted
   request (plus at most one per connection: a request whose answer was lost);
4. stop the API; time the worker's ``process_pending`` over everything stored
   (``bench.callbacks.process``); then store more confirmations directly and process them
   under cProfile for the "where the time goes" figures; verify every confirmation became
   one repayment and one ledger entry, none failed, the trial balance is zero and the loans
   agree with the ledger;
5. Airtel (``bench.callbacks.airtel``): start the API again and POST collection callbacks
   for as long; insert the USSD pushes they answer and serve the Airtel simulator holding them
   as paid, so the worker's enquiry is answered; time ``process_pending`` with the Airtel
   client; verify each became one repayment and one entry on the Airtel float. Both
   providers' figures are ratios to the same run's ``/healthz`` baseline;
6. write ``bench/results/callbacks.json`` and the ``callbacks`` section of
   ``docs/performance.md`` (``--docs-only`` rewrites the section from the JSON).

Timings are figures to read, never pass/fail; the exit status is 1 only when the run is
unsound (failed requests, counts that disagree, books that do not balance).
"""
