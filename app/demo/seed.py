"""Demo data for ``mkopo seed-demo``: the chart with capital in the float, an active scorecard
(``app.demo.scorecard``) and one borrower with an active loan, made through the same service
functions the API will call.

Idempotent: the chart is opened by code, entries carry fixed idempotency keys, and the demo
borrower is created only once.
"""

from __future__ import annotations

from app.accounting.chart import Acct, open_chart
from app.borrowers.service import find_by_phone, prepare_pin
from app.clock import business_date
from app.demo.scorecard import ensure_demo_scorecard
from app.lending.limits import LimitPolicy
from app.lending.origination import LoanRequest, request_loan
from app.onboarding.service import OptInRequest, check_applicant, opt_in
from app.payments.payouts import record_payout_result, submit_payout
from app.runtime import Runtime
from ledger import EntryRequest, Ledger, PostingLine

CAPITAL_MINOR = 1_000_000 * 100  # KES 1,000,000 in the float
DEMO_NATIONAL_ID = "12345670"
DEMO_PHONE = "0712345678"
DEMO_PIN = "4826"
DEMO_LOAN_MINOR = 500 * 100


def seed_demo(rt: Runtime) -> str:
    with rt.sessions.unit_of_work() as session:
        ledger = Ledger(session, rt.clock)
        accounts = open_chart(ledger)
        ledger.post(
            EntryRequest(
                "demo:capital",
                [
                    PostingLine.debit(accounts[Acct.FLOAT], CAPITAL_MINOR),
                    PostingLine.credit(accounts[Acct.CAPITAL], CAPITAL_MINOR),
                ],
                "Capital from the fund's bank account into the M-Pesa float",
                reference="demo",
            )
        )
        if find_by_phone(session, rt.ports, DEMO_PHONE) is not None:
            return "demo data already in place"
    ensure_demo_scorecard(rt)
    applicant = check_applicant(rt.ports, DEMO_NATIONAL_ID, DEMO_PHONE, business_date(rt.clock()))
    pin_hash = prepare_pin(DEMO_PIN)
    with rt.sessions.unit_of_work() as session:
        request = OptInRequest(applicant, pin_hash, terms_accepted=True)
        borrower = opt_in(session, rt.ports, LimitPolicy(), request, rt.clock())
        payout = request_loan(
            session,
            Ledger(session, rt.clock),
            LoanRequest(borrower.id, "personal", DEMO_LOAN_MINOR, "demo:loan-1"),
            rt.clock(),
        )
    submit_payout(rt.sessions, rt.ports, rt.clock, payout.id)
    deliver = getattr(rt.ports.payments, "deliver", None)
    for result in deliver() if deliver else []:  # the in-memory provider's "callback"
        with rt.sessions.unit_of_work() as session:
            record_payout_result(session, Ledger(session, rt.clock), result, rt.clock())
    return "demo data in place: borrower 12345670 / 0712345678 with a KES 500 loan"
