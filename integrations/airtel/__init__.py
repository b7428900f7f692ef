"""Airtel Money Africa's Open API: the only place where Airtel's payloads are read or written.

``client.AirtelClient`` implements ``integrations.payments.port.PaymentProvider``;
``callbacks`` reads Airtel's callbacks into the port's types; ``simulator`` is a strict
stand-in for the API. Everything past this package speaks the port's neutral types.
"""
