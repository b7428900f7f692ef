"""The fund's chart of accounts and how product events map onto it."""
