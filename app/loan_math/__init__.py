"""Loan arithmetic without a database or a clock: interest and instalment schedules."""
