"""M-Pesa's limit rules, answered where Daraja answers them: in the result callback.

Daraja accepts an STK push or a B2C payout whose amount is a whole number and reports a broken
limit later, as a result code (reference §2.4, §4.4, §9 item 22; OFF3 MpesaExpressSimulate FAQ 5,
BusinessToCustomer FAQ 9):

====  =========================================================  ==============================
code  rule                                                        checked against
====  =========================================================  ==============================
2     below the minimum (STK KES 1, B2C KES 10)                   the amount
3     above the maximum per transaction (KES 250,000)             the amount
4     would exceed the customer's daily limit (KES 500,000)       the customer's day so far
8     would exceed the maximum balance                            B2C: the customer's wallet
                                                                  (KES 500,000); STK: the
                                                                  paybill's account (no figure is
                                                                  published: off by default)
====  =========================================================  ==============================

The rules are checked in that order, once the payment is processed. A customer's day is their
money moved through the simulator (payments out, payouts in) since midnight EAT; only the
current day is kept, so the book never grows past one day of customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from integrations.mpesa.credentials import NAIROBI

BELOW_MINIMUM = 2
ABOVE_MAXIMUM = 3
DAILY_LIMIT = 4
MAXIMUM_BALANCE = 8
LIMIT_CODES = (BELOW_MINIMUM, ABOVE_MAXIMUM, DAILY_LIMIT, MAXIMUM_BALANCE)
OK = 0


@dataclass(frozen=True)
class Limits:
    """The figures behind the rules, in cents; change them to follow Safaricom's."""

    stk_min_minor: int = 1_00
    stk_max_minor: int = 250_000_00
    b2c_min_minor: int = 10_00
    b2c_max_minor: int = 250_000_00
    customer_daily_minor: int = 500_000_00
    customer_balance_max_minor: int = 500_000_00
    org_balance_max_minor: int | None = None
    """The paybill's balance limit (STK code 8); None: no limit."""

    def stk_code(self, amount_minor: int, day_minor: int, org_balance_minor: int) -> int:
        """The limit rule an STK payment of ``amount_minor`` breaks (0: none)."""
        code = self._amount_code(amount_minor, self.stk_min_minor, self.stk_max_minor, day_minor)
        over = self.org_balance_max_minor is not None and (
            org_balance_minor + amount_minor > self.org_balance_max_minor
        )
        return code or (MAXIMUM_BALANCE if over else OK)

    def b2c_code(self, amount_minor: int, day_minor: int, wallet_minor: int) -> int:
        """The limit rule a B2C payout of ``amount_minor`` breaks (0: none)."""
        code = self._amount_code(amount_minor, self.b2c_min_minor, self.b2c_max_minor, day_minor)
        over = wallet_minor + amount_minor > self.customer_balance_max_minor
        return code or (MAXIMUM_BALANCE if over else OK)

    def _amount_code(
        self, amount_minor: int, minimum_minor: int, maximum_minor: int, day_minor: int
    ) -> int:
        if amount_minor < minimum_minor:
            return BELOW_MINIMUM
        if amount_minor > maximum_minor:
            return ABOVE_MAXIMUM
        if day_minor + amount_minor > self.customer_daily_minor:
            return DAILY_LIMIT
        return OK


class DailyTotals:
    """Each customer's money moved today (EAT), for the daily limit."""

    def __init__(self) -> None:
        self._day: date | None = None
        self._minor: dict[str, int] = {}

    def of(self, msisdn: str, moment: datetime) -> int:
        self._turn(moment)
        return self._minor.get(msisdn, 0)

    def add(self, msisdn: str, moment: datetime, amount_minor: int) -> None:
        self._turn(moment)
        self._minor[msisdn] = self._minor.get(msisdn, 0) + amount_minor

    def _turn(self, moment: datetime) -> None:
        # Only today counts: a new day (or a clock set back) starts an empty book.
        day = moment.astimezone(NAIROBI).date()
        if day != self._day:
            self._day, self._minor = day, {}
