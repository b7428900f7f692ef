"""Loan products as data: amounts, term, rates, delinquency days, savings split, allocation."""
