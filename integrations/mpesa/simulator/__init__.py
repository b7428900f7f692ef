"""An in-process Daraja (M-Pesa) simulator for tests and the embedded default.

``state`` holds the simulated world (apps, the organisation's shortcode, wallets, tokens,
transactions, registered C2B URLs, scripted outcomes), ``keys`` makes the RSA key and
certificate the client encrypts its SecurityCredential with, and ``app.create_simulator``
serves Daraja's paths over FastAPI. Callbacks leave through an injected ``deliver(url, body)``
so tests can record them instead of sending HTTP; see ``app`` for the outcome table.
"""
