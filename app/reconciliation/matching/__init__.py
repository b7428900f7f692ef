"""Matching statement lines against the ledger snapshot: the receipt join, then the rules."""
