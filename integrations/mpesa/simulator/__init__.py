"""An in-process Daraja (M-Pesa) simulator for tests and the embedded default.

``state`` holds the simulated world (apps, the organisation's accounts, wallets, tokens,
transactions, statement movements, registered C2B URLs, scripted ``outcomes``, ``faults``, the
initiator lock), ``keys`` makes the RSA key and certificate the client encrypts its
SecurityCredential with, and ``app.create_simulator`` serves Daraja's paths over FastAPI: one
``routes_*`` module per API family, ``routes_control`` for ``/__sim__/``. Bodies come from
``payloads`` and ``org_payloads``; ``statement`` writes the org-portal statement export;
``limits``, ``subscribers`` and ``callback_urls`` hold Daraja's limit, STK and URL rules.
Callbacks leave through an injected ``deliver(url, body)`` (via ``delivery``) so tests can record
them instead of sending HTTP; see ``app`` for the outcome table.
"""
