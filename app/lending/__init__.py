"""Loans: products' rules applied to borrowers — origination, accrual, delinquency, repayment."""
