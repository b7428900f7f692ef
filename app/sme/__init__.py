"""SME loans: registered businesses, their cash-flow limit, their applications (issue 14)."""
