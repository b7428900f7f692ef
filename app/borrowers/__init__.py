"""Borrowers: opt-in with identity checks, PINs, opt-out, freezing; their savings balances."""
