"""Safaricom Daraja (M-Pesa): the only place where Daraja's PascalCase payloads are read or written.

Everything past this package speaks the neutral types of ``integrations.payments.port`` and the
frozen results of ``integrations.mpesa.callbacks``.
"""
