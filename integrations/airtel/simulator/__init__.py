"""A strict Airtel Money Open API simulator for tests and the embedded default (port 8200).

``state`` holds the simulated world (the app's credentials, the merchant's collection and
disbursement accounts, wallets, tokens, transactions, statement movements, scripted outcomes,
faults); ``keys`` is the RSA key pair whose public half the client encrypts with; ``app``
serves Airtel's paths (the outcome table is there); ``statement`` writes the CSV export.
Callbacks leave through an injected ``deliver(url, body)`` so tests can record them. The
callback plumbing (``Courier``, ``ResponseDelay``, ``httpx_deliverer``) is shared with the
Daraja simulator.
"""
