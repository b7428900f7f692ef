"""SME loans in the app: register your business, see it and its limit, quote an SME loan
with its schedule, apply with the schedule quoted, see your applications and your business's
SME loan, and repay it by STK push (docs/app-api.md, "SME loans"; the rules: docs/sme.md)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import AppClock, ReadSession
from app.clock import business_date
from app.mobile.auth import CurrentBorrower
from app.mobile.deps import AppSessions, BoundedBodyRoute
from app.mobile.errors import NoOpenLoan
from app.mobile.loan_views import loan_view, quote_out
from app.mobile.money_moves import BorrowerMove
from app.mobile.ports import AppPorts
from app.mobile.queries import stk_exists, stk_view
from app.mobile.schemas import AmountIn, LoanOut, QuoteOut, StkRequestOut
from app.mpesa.stk import request_stk_repayment
from app.sme.applications import Application, applications_of, apply
from app.sme.models import SmeApplication
from app.sme.quotes import Ask, open_sme_loan, quote_sme, require_business
from app.sme.registration import NewBusiness, latest_decision, register_business
from app.sme.schemas import (
    BusinessIn,
    BusinessOut,
    SmeApplicationIn,
    SmeApplicationOut,
    SmeQuoteIn,
)
from ledger import Ledger

router = APIRouter(prefix="/sme", route_class=BoundedBodyRoute, tags=["app: SME loans"])


@router.post("/business", status_code=201, summary="Register your business (one per owner)")
def create_business(
    body: BusinessIn,
    owner: CurrentBorrower,
    sessions: AppSessions,
    clock: AppClock,
    ports: AppPorts,
) -> BusinessOut:
    now = clock()
    new = NewBusiness(body.registration_number, body.kra_pin, body.till_number)
    with sessions.unit_of_work() as session:
        business = register_business(
            session, ports, owner.borrower_id, new, business_date(now), now
        )
        return BusinessOut.of(business, latest_decision(session, business.id))


@router.get("/business", summary="Your business, its limit and why")
def my_business(owner: CurrentBorrower, session: ReadSession) -> BusinessOut:
    business = require_business(session, owner.borrower_id)
    return BusinessOut.of(business, latest_decision(session, business.id))


@router.post("/quotes", summary="What an SME loan would cost, with its schedule")
def quote_sme_loan(
    body: SmeQuoteIn, owner: CurrentBorrower, session: ReadSession, clock: AppClock
) -> QuoteOut:
    ask = Ask(body.amount_minor, body.instalments)
    return quote_out(quote_sme(session, owner.borrower_id, ask, business_date(clock())))


@router.post(
    "/applications",
    status_code=201,
    summary="Apply with the schedule you were quoted; a credit officer decides",
    responses={400: {"description": "Idempotency-Key missing"}},
)
def apply_for_sme_loan(body: SmeApplicationIn, move: BorrowerMove) -> SmeApplicationOut:
    schedule = [(row.due_on, row.total_minor) for row in body.schedule]

    def act(session: Session, _ledger: Ledger, key: str) -> SmeApplicationOut:
        now = move.clock()
        asked = Application(Ask(body.amount_minor, body.instalments), schedule, key)
        return SmeApplicationOut.of(
            apply(session, move.borrower_id, asked, business_date(now), now)
        )

    return move.run("sme-application", _application_exists, act)


def _application_exists(session: Session, key: str) -> bool:
    found = select(SmeApplication.id).where(SmeApplication.request_key == key)
    return session.scalar(found) is not None


@router.get("/applications", summary="Your business's applications, newest first")
def my_applications(owner: CurrentBorrower, session: ReadSession) -> list[SmeApplicationOut]:
    business = require_business(session, owner.borrower_id)
    return [SmeApplicationOut.of(a) for a in applications_of(session, business.id)]


@router.get(
    "/loan",
    summary="Your business's open SME loan: balances, schedule, arrears and settlement",
    responses={404: {"description": "No open SME loan"}},
)
def my_sme_loan(owner: CurrentBorrower, session: ReadSession, clock: AppClock) -> LoanOut:
    business = require_business(session, owner.borrower_id)
    loan = open_sme_loan(session, business.id)
    if loan is None:
        raise NoOpenLoan("Your business has no open SME loan")
    return loan_view(session, loan, business_date(clock()))


@router.post(
    "/repayments",
    status_code=201,
    summary="Repay the SME loan from your wallet (an instalment, the arrears or the settlement)",
    responses={400: {"description": "Idempotency-Key missing"}},
)
def repay_sme_loan(body: AmountIn, move: BorrowerMove) -> StkRequestOut:
    def prompt(session: Session, _ledger: Ledger, key: str) -> StkRequestOut:
        business = require_business(session, move.borrower_id)
        loan = open_sme_loan(session, business.id)
        if loan is None:
            raise NoOpenLoan("Your business has no open SME loan")
        now = move.clock()
        return stk_view(
            request_stk_repayment(
                session, move.borrower_id, body.amount_minor, key, now, loan_id=loan.id
            )
        )

    return move.run("sme-repayment", stk_exists, prompt)
