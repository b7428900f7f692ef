"""The fund's books as seen through the API and the worker: read-only ledger endpoints,
sealing and hold-expiry tasks. The accounting engine itself is the ``ledger`` package."""
