"""The fund's reports, read-only: portfolio, savings, statements, the subledger proof."""
