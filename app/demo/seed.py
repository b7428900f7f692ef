"""Demo data for ``mkopo seed-demo``: the chart with capital in both floats (M-Pesa 1010,
Airtel Money 1011), an active scorecard (``app.demo.scorecard``) and one borrower on each
network with an active loan, made through the same service functions the API will call: the
Safaricom borrower is paid through M-Pesa, the Airtel borrower through Airtel Money (with
``make run``, the two local simulators).

Idempotent: the chart is opened by code, entries carry fixed idempotency keys, and each demo
borrower is created only once.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.accounting.chart import Acct, open_chart
from app.borrowers.models import ConsentChannel
from app.borrowers.service import find_by_phone, prepare_pin
from app.clock import business_date
from app.demo.scorecard import ensure_demo_scorecard
from app.demo.staff import ensure_demo_staff
from app.lending.limits import LimitPolicy
from app.lending.origination import LoanRequest, request_loan
from app.onboarding.service import OptInRequest, check_applicant, opt_in
from app.payments.payouts import record_payout_result, submit_payout
from app.runtime import Runtime
from integrations.payments.networks import Network
from ledger import EntryRequest, Ledger, PostingLine

CAPITAL_MINOR = 1_000_000 * 100  # KES 1,000,000 in each float
DEMO_NATIONAL_ID = "12345670"
DEMO_PHONE = "0712345678"
DEMO_PIN = "4826"
DEMO_LOAN_MINOR = 500 * 100


@dataclass(frozen=True, slots=True)
class DemoBorrower:
    national_id: str
    phone: str
    network: Network


DEMO_BORROWERS = (
    DemoBorrower(DEMO_NATIONAL_ID, DEMO_PHONE, Network.SAFARICOM),
    DemoBorrower("30000010", "0733123478", Network.AIRTEL),
)
_FLOATS = (
    (Acct.FLOAT, "demo:capital", "M-Pesa"),
    (Acct.AIRTEL_FLOAT, "demo:capital-airtel", "Airtel Money"),
)


def seed_demo(rt: Runtime) -> str:
    with rt.sessions.unit_of_work() as session:
        ledger = Ledger(session, rt.clock)
        accounts = open_chart(ledger)
        for account, key, wallet in _FLOATS:
            ledger.post(
                EntryRequest(
                    key,
                    [
                        PostingLine.debit(accounts[account], CAPITAL_MINOR),
                        PostingLine.credit(accounts[Acct.CAPITAL], CAPITAL_MINOR),
                    ],
                    f"Capital from the fund's bank account into the {wallet} float",
                    reference="demo",
                )
            )
    ensure_demo_scorecard(rt)
    made = [_borrow(rt, borrower) for borrower in DEMO_BORROWERS]
    staff = "\n".join(
        f"console sign-in: {s.username} ({s.role}), password {s.password}, TOTP secret "
        f"{s.totp_secret} (current code: mkopo staff totp-code {s.username})"
        for s in ensure_demo_staff(rt)
    )
    if not any(made):
        return f"demo data already in place\n{staff}"
    shown = ", ".join(f"{b.national_id} / {b.phone} ({b.network})" for b in DEMO_BORROWERS)
    return f"demo data in place: borrowers {shown}, each with a KES 500 loan\n{staff}"


def _borrow(rt: Runtime, demo: DemoBorrower) -> bool:
    """Opt the demo borrower in and pay them a loan; False if they are there already."""
    with rt.sessions.reader() as session:
        if find_by_phone(session, rt.ports, demo.phone) is not None:
            return False
    applicant = check_applicant(rt.ports, demo.national_id, demo.phone, business_date(rt.clock()))
    pin_hash = prepare_pin(rt.ports.pins, DEMO_PIN)
    with rt.sessions.unit_of_work() as session:
        request = OptInRequest(applicant, pin_hash, terms_accepted=True, channel=ConsentChannel.APP)
        borrower = opt_in(session, rt.ports, LimitPolicy(), request, rt.clock())
        payout = request_loan(
            session,
            Ledger(session, rt.clock),
            LoanRequest(borrower.id, "personal", DEMO_LOAN_MINOR, f"demo:loan-{demo.network}"),
            rt.clock(),
        )
    submit_payout(rt.sessions, rt.ports, rt.clock, payout.id)
    deliver = getattr(rt.ports.payments_for(demo.network), "deliver", None)
    for result in deliver() if deliver else []:  # the in-memory provider's "callback"
        with rt.sessions.unit_of_work() as session:
            record_payout_result(session, Ledger(session, rt.clock), result, rt.clock())
    return True
