"""Repayment schedules for instalment loans: a pure engine (no database, no clock).

``generate(terms)`` builds a schedule; ``recalc`` recalculates it after a prepayment or a late
payment; ``settlement`` quotes an early settlement as of a date; ``render`` reads and writes the
text of the ``mkopo loans schedule`` command. The rules and worked examples are in
docs/instalments.md. Money is integer cents, rates exact decimals: never a float.
"""
