"""Savings: the 5% withheld from every disbursement (70% long-term, 30% short-term),
voluntary deposits, short-term withdrawals, the lien while a loan is in default."""
