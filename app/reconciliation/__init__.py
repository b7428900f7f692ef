"""Reconciliation: the M-Pesa organisation statement against the ledger (docs/reconciliation.md).

Statement files are read as streams and stored once per line (``importer``); a run takes a
snapshot of the ledger's float movements by receipt and matches the statement lines against
it with set-based SQL, chunk by chunk (``runs``, ``matching``); whatever does not match is an
exception that staff resolve, under four eyes where money moves (``resolutions``).
"""
