"""The staff console: server-rendered pages for fund staff at ``/console`` (docs/console.md).

A channel: it adds no rules. It calls the admin API's route functions and the domains' use
cases with the same roles (``app.staff.deps``) and the same ledger gate; what it adds is the
browser's way in: a password and TOTP sign-in, cookie sessions, CSRF tokens and strict headers.
"""
