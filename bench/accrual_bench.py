"""The daily accrual job on PostgreSQL: one business day for N active loans, timed.

Run: ``.venv/bin/python -m bench.accrual_bench [--sizes 100000,1000000] [--batch-size N]``

For each size, on a fresh database of the PostgreSQL server at ``MKOPO_BENCH_POSTGRES_URL``
(default ``postgresql://postgres@127.0.0.1:5432/test``; that database is used only to create
and drop scratch databases):

1. create it, migrate it with Alembic, open the chart (``open_chart``);
2. bulk-create N borrowers and N active Personal Loans with two ``INSERT ... SELECT FROM
   generate_series`` statements through psycopg (no origination, no payouts): principal
   between KES 100 and KES 50,000, disbursed ``id % 20`` days before D0 = D - 1 (D = today's
   business date), accrued up to D - 1 exactly as the job would have left them (interest,
   penalty, carry, from the closed form of ``app.lending.interest``, checked against
   ``accrue_day`` on a sample), then ONE opening ledger entry putting the portfolio's
   principal, interest and penalty in the control accounts (1200/1210/1220) so that the
   subledger agrees with the ledger before the run; VACUUM ANALYZE and CHECKPOINT;
3. time ONE ``accrue_through(sessions, clock, D)`` (the daily run, one more day per loan) with
   the given batch size: wall seconds, loans/s, CPU of this process and of PostgreSQL, the
   process's resident memory sampled every 50 ms from /proc/self/status during the call
   (peak and growth) besides ``getrusage`` (the whole process's peak, loan creation
   included), and a per-phase breakdown (wrappers around the job's batch-level functions);
4. verify: every loan advanced by exactly one day and its state equals the closed form for
   the new day; the interest and penalty added on the loans equal what the ledger's 1210 and
   1220 gained and the ``accrual_runs`` row's totals; the subledger still agrees with the
   ledger (``check_subledger``); one reminder SMS per loan reaching day 9, 14 or 19; no
   default. Any failure: exit status 1;
5. run it again for D: it must change nothing (loans, ledger, outbox); its time is reported;
6. drop the database.

Then ``bench/results/accrual.json`` and the ``accrual`` section of ``docs/performance.md``
(``--docs-only`` rewrites the section from the JSON). ``--profile FILE`` runs the timed call
under pyinstrument (if installed) and writes its text report; timings are then inflated, so
nothing else is written.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import func, select

from app.accounting.chart import Acct, FundAccounts, open_chart
from app.accounting.subledger_check import check_subledger
from app.borrowers.service import TERMS_VERSION
from app.clock import EAT, business_date, system_clock
from app.db.engine import Database, make_database
from app.db.session import Sessions
from app.lending import accrual, delinquency
from app.lending.interest import UNITS_PER_MINOR, AccrualState, accrue_day
from app.lending.models import AccrualRun, Loan
from app.products.models import Product
from app.products.terms import ProductTerms
from app.settings import Settings
from bench import common
from ledger import EntryRequest, Ledger, PostingLine

OUTPUT = common.RESULTS_DIR / "accrual.json"
DOC_SECTION = "accrual"
COMMAND = ".venv/bin/python -m bench.accrual_bench"
DEFAULT_SIZES = "100000,1000000"
SPREAD_DAYS = 20
"""Loans are disbursed ``id % 20`` days before D0: days 1 to 20 of their life on D."""
AIM_SECONDS_1M = 300.0
AIM_RSS_MB = 500.0
LINEAR_TOLERANCE = 1.2
"""Growth counts as linear when the per-loan time at the larger size is at most 20% above."""
RSS_SAMPLE_S = 0.05
CLOCK = system_clock
"""The job runs on the real clock; the business date D is passed explicitly."""


def log(message: str) -> None:
    print(f"[accrual-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def size_label(size: int) -> str:
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    if size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


# -- memory sampling ----------------------------------------------------------------------


def current_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


class RssSampler:
    """Samples this process's VmRSS every ``interval`` seconds in a background thread."""

    def __init__(self, interval: float = RSS_SAMPLE_S) -> None:
        self.interval = interval
        self.start_mb = current_rss_mb()
        self.peak_mb = self.start_mb or 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = current_rss_mb()
            if rss is not None:
                self.peak_mb = max(self.peak_mb, rss)
                self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        rss = current_rss_mb()
        if rss is not None:
            self.peak_mb = max(self.peak_mb, rss)
        self.end_mb = rss


# -- phase breakdown ----------------------------------------------------------------------


PHASES = (
    ("accrual", "accrue_batch", "batch"),
    ("accrual", "_apply_updates", "cas_update"),
    ("accrual", "_post_entries", "ledger_posts"),
    ("delinquency", "after_accrual", "delinquency"),
)
"""(module, function, phase): wrapped while timing to split the run's wall time."""


@contextmanager
def phase_timers() -> Iterator[dict[str, float]]:
    """Time the job's batch-level functions (a few wrapper calls per batch, negligible)."""
    modules = {"accrual": accrual, "delinquency": delinquency}
    spent: dict[str, float] = {}
    originals: list[tuple[Any, str, Any]] = []

    def timed(phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[phase] = spent.get(phase, 0.0) + time.perf_counter() - start

        return wrapper

    for module_name, name, phase in PHASES:
        module = modules[module_name]
        fn = getattr(module, name, None)
        if fn is None:
            continue
        originals.append((module, name, fn))
        setattr(module, name, timed(phase, fn))
    try:
        yield spent
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)


def phase_breakdown(spent: dict[str, float], total: float) -> dict[str, float | None]:
    batch = spent.get("batch")
    parts = {k: spent.get(k) for k in ("cas_update", "ledger_posts", "delinquency")}
    known = sum(v for v in parts.values() if v is not None)
    out: dict[str, float | None] = {
        "select_and_compute": None if batch is None else round(batch - known, 3),
        **{k: rounded(v, 3) for k, v in parts.items()},
        "transactions_and_run_row": None if batch is None else round(total - batch, 3),
    }
    return out


def rounded(value: float | None, digits: int = 2) -> float | None:
    return common.rounded(value, digits)


# -- the portfolio ------------------------------------------------------------------------


def closed_form_sql(days: str, rates: dict[str, int]) -> dict[str, str]:
    """SQL for a loan's accrual state after ``days`` days (no cap reached, none stopped).

    Days 1 .. penalty_from_day - 1 accrue at the regular rate, later days at the penalty
    rate; the whole cents posted are floor(total units / UNITS_PER_MINOR) (see
    ``app.lending.interest``), each day's cents going to that day's kind.
    """
    last_regular = rates["penalty_from_day"] - 1
    regular_units = f"(p * {rates['regular_rate_bp']} * LEAST({days}, {last_regular}))"
    penalty_units = f"(p * {rates['penalty_rate_bp']} * GREATEST({days} - {last_regular}, 0))"
    total = f"({regular_units} + {penalty_units})"
    interest = f"({regular_units} / {UNITS_PER_MINOR})"
    return {
        "interest": interest,
        "penalty": f"({total} / {UNITS_PER_MINOR} - {interest})",
        "carry": f"({total} %% {UNITS_PER_MINOR})",  # in queries with parameters
    }


PRINCIPAL_SQL = "(100 * (100 + (i * 7919) %% 49901))::bigint"  # %% for psycopg
"""Whole shillings from KES 100 to KES 50,000 (10,000 to 5,000,000 cents), varied by id."""


def check_closed_form(terms: ProductTerms, rng: random.Random) -> None:
    """The SQL closed form, in Python, against ``accrue_day`` for sample loans and days."""
    schedule = terms.schedule
    last_regular = terms.penalty_from_day - 1
    for _ in range(300):
        p = 100 * (100 + rng.randrange(49901))
        state = AccrualState()
        for n in range(1, SPREAD_DAYS + 2):
            state, _ = accrue_day(state, p, p, schedule)
            regular = p * terms.regular_rate_bp * min(n, last_regular)
            total = regular + p * terms.penalty_rate_bp * max(n - last_regular, 0)
            interest = regular // UNITS_PER_MINOR
            expected = (interest, total // UNITS_PER_MINOR - interest, total % UNITS_PER_MINOR)
            got = (state.interest_minor, state.penalty_minor, state.carry_units)
            if got != expected:
                raise SystemExit(f"closed form disagrees with accrue_day: p={p} day={n}")


def create_portfolio(
    libpq_url: str,
    size: int,
    product_id: int,
    terms: ProductTerms,
    d0: date,
    now: datetime,
    fillfactor: int | None = None,
) -> None:
    rates = {
        "regular_rate_bp": terms.regular_rate_bp,
        "penalty_rate_bp": terms.penalty_rate_bp,
        "penalty_from_day": terms.penalty_from_day,
    }
    state = closed_form_sql("n", rates)
    params: dict[str, Any] = {
        "size": size,
        "now": now,
        "terms_version": TERMS_VERSION,
        "limit": 5_000_000,
        "product_id": product_id,
        "terms": Jsonb(terms.snapshot()),
        "d0": d0,
        "spread": SPREAD_DAYS,
        "term_days": terms.term_days,
    }
    with psycopg.connect(libpq_url) as conn:
        if fillfactor is not None:  # an experiment: the schema leaves it at 100
            conn.execute(f"ALTER TABLE loans SET (fillfactor = {int(fillfactor)})")
        conn.execute(
            """
            INSERT INTO borrowers (
                id, national_id_index, national_id_enc, phone_index, phone_enc, full_name_enc,
                date_of_birth_enc, status, terms_version, opted_in_at, pin_hash,
                pin_failed_attempts, credit_limit_minor, loans_repaid_on_time,
                savings_long_minor, savings_short_minor, savings_short_held_minor,
                credit_balance_minor, created_at)
            SELECT i, 'bench-nid-idx-' || i, 'bench-nid-enc-' || i, 'bench-phone-idx-' || i,
                   'bench-phone-enc-' || i, 'bench-name-enc-' || i, 'bench-dob-enc-' || i,
                   'active', %(terms_version)s, %(now)s, 'bench-pin-hash-' || i, 0, %(limit)s,
                   0, 0, 0, 0, 0, %(now)s
            FROM generate_series(1, %(size)s::bigint) AS i
            """,
            params,
        )
        conn.execute(
            f"""
            INSERT INTO loans (
                id, account_number, borrower_id, product_id, product_terms, status,
                credit_limit_minor, principal_pending_minor, principal_disbursed_minor,
                principal_outstanding_minor, interest_outstanding_minor,
                penalty_outstanding_minor, days_accrued, carry_units, interest_accrued_minor,
                penalty_accrued_minor, disbursed_on, due_on, created_at)
            SELECT i, 'MK' || lpad(i::text, 10, '0'), i, %(product_id)s, %(terms)s, 'active',
                   %(limit)s, 0, p, p, {state["interest"]}, {state["penalty"]}, n,
                   {state["carry"]}, {state["interest"]}, {state["penalty"]},
                   %(d0)s::date - n, %(d0)s::date - n + %(term_days)s, %(now)s
            FROM (SELECT i, {PRINCIPAL_SQL} AS p, (i %% %(spread)s)::int AS n
                  FROM generate_series(1, %(size)s::bigint) AS i) AS g
            """,
            params,
        )
        for table in ("borrowers", "loans"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)",
                (size,),
            )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE) borrowers")
        conn.execute("VACUUM (ANALYZE) loans")


def post_opening_balances(
    sessions: Sessions, clock: Callable[[], datetime], accounts: FundAccounts, d0: date
) -> dict[str, int]:
    """One entry: the portfolio's principal, interest and penalty into the control accounts."""
    with sessions.unit_of_work() as session:
        principal, interest, penalty = session.execute(
            select(
                func.sum(Loan.principal_outstanding_minor),
                func.sum(Loan.interest_outstanding_minor),
                func.sum(Loan.penalty_outstanding_minor),
            )
        ).one()
        totals = {"principal": int(principal), "interest": int(interest), "penalty": int(penalty)}
        pairs = [
            (Acct.PRINCIPAL, Acct.CAPITAL, totals["principal"]),
            (Acct.INTEREST, Acct.INTEREST_INCOME, totals["interest"]),
            (Acct.PENALTY, Acct.PENALTY_INCOME, totals["penalty"]),
        ]
        lines = []
        for debit, credit, amount in pairs:
            if amount:
                lines += [
                    PostingLine.debit(accounts[debit], amount),
                    PostingLine.credit(accounts[credit], amount),
                ]
        Ledger(session, clock).post(
            EntryRequest(
                "bench:accrual:opening-balances",
                lines,
                "Benchmark portfolio: opening principal, interest and penalty receivable",
                effective_at=datetime.combine(d0, datetime.min.time(), tzinfo=EAT),
            )
        )
    return totals


# -- measurement and checks ---------------------------------------------------------------


def snapshot(sessions: Sessions, clock: Callable[[], datetime], through: date) -> dict[str, Any]:
    """Figures the run must move (or, re-run, leave alone)."""
    with sessions.reader() as session:
        ledger = Ledger(session, clock)
        accounts = {code: ledger.account_by_code(code).id for code in (Acct.INTEREST, Acct.PENALTY)}
        row = (
            session.connection()
            .exec_driver_sql(
                "SELECT count(*), sum(days_accrued), sum(interest_outstanding_minor),"
                " sum(penalty_outstanding_minor), sum(carry_units),"
                " count(*) FILTER (WHERE status = 'defaulted'),"
                " count(*) FILTER (WHERE days_accrued = %s::date - disbursed_on)"
                " FROM loans",
                (through,),
            )
            .one()
        )
        counts = session.connection().exec_driver_sql(
            "SELECT (SELECT count(*) FROM ledger_entries), (SELECT count(*) FROM sms_outbox),"
            " (SELECT count(*) FROM accrual_runs)"
        )
        entries, sms, runs = counts.one()
        return {
            "loans": int(row[0]),
            "days_accrued_sum": int(row[1] or 0),
            "interest_outstanding": int(row[2] or 0),
            "penalty_outstanding": int(row[3] or 0),
            "carry_sum": int(row[4] or 0),
            "defaulted": int(row[5]),
            "at_through": int(row[6]),
            "ledger_interest": ledger.balance(accounts[Acct.INTEREST]).posted_minor,
            "ledger_penalty": ledger.balance(accounts[Acct.PENALTY]).posted_minor,
            "ledger_entries": int(entries),
            "sms": int(sms),
            "accrual_runs": int(runs),
        }


def subledger_agrees(sessions: Sessions, clock: Callable[[], datetime]) -> list[str]:
    with sessions.reader() as session:
        checks = check_subledger(session, Ledger(session, clock))
    return [
        f"{c.account.value}: subledger {c.subledger_minor} != ledger {c.ledger_minor}"
        for c in checks
        if not c.agrees
    ]


def state_matches_closed_form(libpq_url: str, through: date, terms: ProductTerms) -> int:
    """Loans whose state is NOT the closed form for day (through - disbursed_on)."""
    rates = {
        "regular_rate_bp": terms.regular_rate_bp,
        "penalty_rate_bp": terms.penalty_rate_bp,
        "penalty_from_day": terms.penalty_from_day,
    }
    s = closed_form_sql("d", rates)
    with psycopg.connect(libpq_url) as conn:
        row = conn.execute(
            f"""
            SELECT count(*) FROM (
                SELECT l.*, l.principal_outstanding_minor AS p, (%s::date - disbursed_on) AS d
                FROM loans l) AS x
            WHERE days_accrued <> d
               OR interest_accrued_minor <> {s["interest"]}
               OR penalty_accrued_minor <> {s["penalty"]}
               OR carry_units <> {s["carry"]}
               OR interest_outstanding_minor <> interest_accrued_minor
               OR penalty_outstanding_minor <> penalty_accrued_minor
            """,
            (through,),
        ).fetchone()
    return int(row[0]) if row else -1


def expected_reminders(size: int, terms: ProductTerms) -> int:
    """Loans whose new day is a reminder day (one SMS each): ids with id % 20 = day - 1."""
    days = set(delinquency.reminder_days(terms.term_days, terms.default_day))
    return sum(1 for i in range(1, size + 1) if (i % SPREAD_DAYS) + 1 in days)


def verify_run(
    before: dict[str, Any],
    after: dict[str, Any],
    run: AccrualRun,
    through: date,
    size: int,
    terms: ProductTerms,
    off_form: int,
    disagreements: list[str],
) -> list[str]:
    failures = []
    interest_added = after["interest_outstanding"] - before["interest_outstanding"]
    penalty_added = after["penalty_outstanding"] - before["penalty_outstanding"]
    ledger_added = (
        after["ledger_interest"]
        + after["ledger_penalty"]
        - before["ledger_interest"]
        - before["ledger_penalty"]
    )
    if after["at_through"] != size:
        failures.append(f"{size - after['at_through']} loans did not reach day D")
    if after["days_accrued_sum"] - before["days_accrued_sum"] != size:
        failures.append("days_accrued did not advance by exactly one per loan")
    if off_form:
        failures.append(f"{off_form} loans' state differs from the closed form for day D")
    if interest_added + penalty_added != ledger_added:
        failures.append(
            f"loans gained {interest_added + penalty_added} cents, ledger 1210+1220 {ledger_added}"
        )
    if after["ledger_interest"] - before["ledger_interest"] != interest_added:
        failures.append("interest receivable (1210) moved differently from the loans' interest")
    if after["ledger_penalty"] - before["ledger_penalty"] != penalty_added:
        failures.append("penalty receivable (1220) moved differently from the loans' penalty")
    expected_run = (through, size, interest_added, penalty_added, 0)
    got_run = (
        run.business_date,
        run.loans_accrued,
        run.interest_minor,
        run.penalty_minor,
        run.loans_defaulted,
    )
    if got_run != expected_run:
        failures.append(f"accrual_runs row {got_run} != expected {expected_run}")
    if after["accrual_runs"] != before["accrual_runs"] + 1:
        failures.append("not exactly one accrual_runs row added")
    if after["defaulted"] != 0:
        failures.append(f"{after['defaulted']} loans defaulted; none should")
    reminders = expected_reminders(size, terms)
    if after["sms"] - before["sms"] != reminders:
        failures.append(f"{after['sms'] - before['sms']} reminders queued, expected {reminders}")
    failures += [f"subledger: {d}" for d in disagreements]
    return failures


def verify_rerun(after: dict[str, Any], again: dict[str, Any], run: AccrualRun) -> list[str]:
    failures = []
    unchanged = {k: v for k, v in after.items() if k != "accrual_runs"}
    now = {k: v for k, v in again.items() if k != "accrual_runs"}
    for key, value in unchanged.items():
        if now[key] != value:
            failures.append(f"re-run changed {key}: {value} -> {now[key]}")
    if (run.loans_accrued, run.interest_minor, run.penalty_minor, run.loans_defaulted) != (
        0,
        0,
        0,
        0,
    ):
        failures.append("re-run's accrual_runs row is not all zeros")
    return failures


POSTGRES_BACKGROUND = (
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum",
    "logical replication",
    "stats collector",
    "archiver",
)


def postgres_background_pids() -> set[int]:
    """PostgreSQL's own processes (checkpointer, WAL writer, autovacuum...), by command line."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and any(w in title for w in POSTGRES_BACKGROUND):
            pids.add(int(entry.name))
    return pids


def backend_pids(admin: str, database: str) -> set[int]:
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchall()
    return {int(r[0]) for r in rows}


class CpuMeter:
    """CPU time during the timed call: this process, its PostgreSQL backends, the rest."""

    def __init__(self) -> None:
        self.machine = common.CpuSample.take()
        self.table = common.process_cpu_table()
        self.background = postgres_background_pids()

    def result(self, wall: float, backends: set[int]) -> dict[str, Any]:
        machine = common.CpuSample.take()
        after = common.process_cpu_table()
        groups = {
            "bench": {os.getpid()},
            "backends": backends,
            "background": self.background | postgres_background_pids(),
        }
        spent = common.attribute_cpu(self.table, after, groups)
        busy = machine.busy_share_since(self.machine)
        cores = os.cpu_count() or 1
        machine_s = None if busy is None else busy * wall * cores
        ours = spent["bench"] + spent["backends"] + spent["background"]
        return {
            "machine_busy_pct": rounded(None if busy is None else busy * 100, 1),
            "machine_cpu_s": rounded(machine_s, 2),
            "bench_process_cpu_s": round(spent["bench"], 2),
            "bench_backends_cpu_s": round(spent["backends"], 2),
            "postgres_background_cpu_s": round(spent["background"], 2),
            "foreign_cpu_s": rounded(None if machine_s is None else max(machine_s - ours, 0), 2),
            "foreign_share": rounded(
                None if not machine_s else max(machine_s - ours, 0) / machine_s, 3
            ),
            "bench_process_cores": round(spent["bench"] / wall, 2) if wall else None,
        }


def wal_position(admin: str) -> tuple[str, int, int]:
    """(WAL LSN, checkpoints so far, full-page images so far) of the server."""
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pg_current_wal_lsn()::text,"
            " (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter),"
            " (SELECT wal_fpi FROM pg_stat_wal)"
        ).fetchone()
    assert row is not None
    return str(row[0]), int(row[1]), int(row[2])


def wal_since(admin: str, before: tuple[str, int, int]) -> dict[str, Any]:
    """WAL written, checkpoints and full-page images since ``before`` (the whole server)."""
    lsn, checkpoints, fpi = wal_position(admin)
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute("SELECT pg_wal_lsn_diff(%s, %s)", (lsn, before[0])).fetchone()
    assert row is not None
    return {
        "wal_mb": round(float(row[0]) / 1024 / 1024, 1),
        "checkpoints": checkpoints - before[1],
        "full_page_images": fpi - before[2],
    }


def profiled(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        from pyinstrument import Profiler  # noqa: PLC0415
    except ImportError as exc:
        raise SystemExit(
            "--profile needs pyinstrument (.venv/bin/pip install pyinstrument)"
        ) from exc
    return Profiler(interval=0.001)


@dataclass
class Portfolio:
    name: str
    libpq_url: str
    sessions: Sessions
    terms: ProductTerms
    through: date
    opening: dict[str, int]
    setup_s: float
    create_s: float


def prepare(
    admin: str, name: str, size: int, database: list[Database], fillfactor: int | None
) -> Portfolio:
    """Migrate, open the chart, create the loans, post the opening balances; check them."""
    libpq = admin.rsplit("/", 1)[0] + f"/{name}"
    url = common.sqlalchemy_url(admin, name)
    through = business_date(CLOCK())
    d0 = through - timedelta(days=1)
    watch = common.Stopwatch()
    common.migrate(url)
    database.append(make_database(Settings(database_url=url)))
    sessions = Sessions(database[0])
    with sessions.unit_of_work() as session:
        accounts = open_chart(Ledger(session, CLOCK))
        product = session.scalars(select(Product).where(Product.code == "personal")).one()
        product_id, terms = product.id, ProductTerms.of(product)
    check_closed_form(terms, random.Random(size))
    setup_s = watch.seconds()
    watch = common.Stopwatch()
    create_portfolio(libpq, size, product_id, terms, d0, CLOCK(), fillfactor)
    opening = post_opening_balances(sessions, CLOCK, accounts, d0)
    common.admin_execute(admin, "CHECKPOINT")
    create_s = watch.seconds()
    log(f"  created {size:,} borrowers and loans in {create_s:.1f} s")
    off = state_matches_closed_form(libpq, d0, terms)
    if off:
        raise SystemExit(f"setup: {off} loans are not at their closed-form state for D - 1")
    disagreements = subledger_agrees(sessions, CLOCK)
    if disagreements:
        raise SystemExit(f"setup: subledger disagrees before the run: {disagreements}")
    return Portfolio(name, libpq, sessions, terms, through, opening, setup_s, create_s)


def timed_run(
    admin: str, p: Portfolio, batch_size: int, profile: Path | None
) -> tuple[AccrualRun, dict[str, Any]]:
    """ONE ``accrue_through``: wall time, phases, CPU, RSS, WAL (and a profile if asked)."""
    sessions, through = p.sessions, p.through
    profiler = profiled(profile)
    wal = wal_position(admin)
    cpu = CpuMeter()
    with phase_timers() as spent, RssSampler() as rss:
        if profiler is not None:
            profiler.start()
        start = time.perf_counter()
        run = accrual.accrue_through(sessions, CLOCK, through, batch_size)
        seconds = time.perf_counter() - start
        if profiler is not None:
            profiler.stop()
    figures = {
        "seconds": round(seconds, 3),
        "phases_s": phase_breakdown(spent, seconds),
        "cpu": cpu.result(seconds, backend_pids(admin, p.name)),
        "wal": wal_since(admin, wal),
        "rss_mb": {
            "at_start": rounded(rss.start_mb, 1),
            "peak": round(rss.peak_mb, 1),
            "growth": rounded(None if rss.start_mb is None else rss.peak_mb - rss.start_mb, 1),
            "samples": rss.samples,
            "process_peak_getrusage": common.peak_rss()["self_mb"],
        },
    }
    if profiler is not None and profile is not None:
        profile.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
        log(f"  profile written to {profile}")
    return run, figures


def run_size(
    admin: str,
    size: int,
    batch_size: int,
    profile: Path | None,
    keep: bool,
    fillfactor: int | None = None,
) -> dict[str, Any]:
    name = common.scratch_name("mkopo_bench_accrual")
    log(f"{size:,} loans: database {name}")
    common.create_database(admin, name)
    database: list[Database] = []
    try:
        p = prepare(admin, name, size, database, fillfactor)
        before = snapshot(p.sessions, CLOCK, p.through)
        run, figures = timed_run(admin, p, batch_size, profile)
        seconds = figures["seconds"]
        log(
            f"  accrual: {seconds:.2f} s, {size / seconds:,.0f} loans/s, "
            f"peak {figures['rss_mb']['peak']:.0f} MB"
        )
        after = snapshot(p.sessions, CLOCK, p.through)
        failures = verify_run(
            before,
            after,
            run,
            p.through,
            size,
            p.terms,
            state_matches_closed_form(p.libpq_url, p.through, p.terms),
            subledger_agrees(p.sessions, CLOCK),
        )
        start = time.perf_counter()
        rerun = accrual.accrue_through(p.sessions, CLOCK, p.through, batch_size)
        rerun_s = time.perf_counter() - start
        rerun_failures = verify_rerun(after, snapshot(p.sessions, CLOCK, p.through), rerun)
        failures += rerun_failures
        log(f"  re-run: {rerun_s:.2f} s; {len(failures)} verification failures")
        for failure in failures:
            log(f"  FAILED: {failure}")
        batches = -(-size // batch_size)
        return {
            "loans": size,
            "business_date": p.through.isoformat(),
            "batch_size": batch_size,
            "seconds": seconds,
            "loans_per_s": round(size / seconds, 1),
            "cpu_seconds": round(
                figures["cpu"]["bench_process_cpu_s"] + figures["cpu"]["bench_backends_cpu_s"], 2
            ),
            "batches": batches,
            "ms_per_batch": round(seconds * 1000 / batches, 2),
            **{k: v for k, v in figures.items() if k != "seconds"},
            "run_row": {
                "loans_accrued": run.loans_accrued,
                "interest_minor": run.interest_minor,
                "penalty_minor": run.penalty_minor,
                "loans_defaulted": run.loans_defaulted,
            },
            "ledger_entries_posted": after["ledger_entries"] - before["ledger_entries"],
            "reminders_queued": after["sms"] - before["sms"],
            "rerun_seconds": round(rerun_s, 3),
            "rerun_loans_accrued": rerun.loans_accrued,
            "rerun_changed_nothing": not rerun_failures,
            "setup_seconds": round(p.setup_s, 1),
            "create_seconds": round(p.create_s, 1),
            "opening_balances_minor": p.opening,
            "verified": not failures,
            "failures": failures,
            "profiled": profile is not None,
            "loans_fillfactor": fillfactor,
        }
    finally:
        for db in database:
            db.dispose()
        if keep:
            log(f"  kept database {name}")
        else:
            common.drop_database(admin, name)


# -- output -------------------------------------------------------------------------------


def assemble(
    runs: dict[str, dict[str, Any]], batch_size: int, machine: dict[str, Any], argv: list[str]
) -> dict[str, Any]:
    def figure(label: str, key: str) -> Any:
        return runs.get(label, {}).get(key)

    s100k, s1m = figure("100k", "seconds"), figure("1m", "seconds")
    growth = round(s1m / s100k, 2) if s100k and s1m else None
    c100k, c1m = figure("100k", "cpu_seconds"), figure("1m", "cpu_seconds")
    cpu_growth = round(c1m / c100k, 2) if c100k and c1m else None
    peaks = [r["rss_mb"]["peak"] for r in runs.values()]
    return {
        "benchmark": "accrual",
        "timestamp": common.utc_timestamp(),
        "command": " ".join([COMMAND, *argv]),
        "seconds_100k": s100k,
        "seconds_1m": s1m,
        "loans_per_s_100k": figure("100k", "loans_per_s"),
        "loans_per_s_1m": figure("1m", "loans_per_s"),
        "peak_rss_mb": max(peaks) if peaks else None,
        "growth_ratio": growth,
        "cpu_growth_ratio": cpu_growth,
        "rerun_seconds_100k": figure("100k", "rerun_seconds"),
        "rerun_seconds_1m": figure("1m", "rerun_seconds"),
        "batch_size": batch_size,
        "aims": {
            "seconds_1m": AIM_SECONDS_1M,
            "peak_rss_mb": AIM_RSS_MB,
            "growth_ratio_max": round(10 * LINEAR_TOLERANCE, 1),
        },
        "verified": all(r["verified"] for r in runs.values()),
        "note": (
            "Loans are inserted directly (no origination); the ledger gets one opening entry "
            "with the portfolio's principal, interest and penalty receivable instead of one "
            "disbursement entry per loan, so the control accounts agree with the subledger but "
            "the ledger holds few entries. peak_rss_mb is the accrual call's peak VmRSS "
            "(sampled every 50 ms); rss_mb.process_peak_getrusage includes loan creation."
        ),
        "runs": runs,
        "machine": machine,
    }


def aims_met(data: dict[str, Any]) -> dict[str, bool | None]:
    s1m, rss, growth = data["seconds_1m"], data["peak_rss_mb"], data["growth_ratio"]
    return {
        "time": None if s1m is None else s1m < AIM_SECONDS_1M,
        "memory": None if rss is None else rss < AIM_RSS_MB,
        "linear": None if growth is None else growth <= 10 * LINEAR_TOLERANCE,
    }


def yes_no(value: bool | None) -> str:
    return "n/a" if value is None else "yes" if value else "no"


def build_table(data: dict[str, Any]) -> str:
    rows = []
    for label, r in data["runs"].items():
        phases = r["phases_s"]
        rows.append(
            [
                f"{r['loans']:,} ({label})",
                r["seconds"],
                f"{r['loans_per_s']:,.0f}",
                r["ms_per_batch"],
                phases.get("select_and_compute"),
                phases.get("cas_update"),
                phases.get("ledger_posts"),
                phases.get("delinquency"),
                phases.get("transactions_and_run_row"),
                r["cpu"]["bench_process_cpu_s"],
                r["cpu"]["bench_backends_cpu_s"],
                r["wal"]["wal_mb"],
                f"{r['rss_mb']['peak']} (+{r['rss_mb']['growth']})",
                r["rerun_seconds"],
                "yes" if r["verified"] else "NO",
            ]
        )
    return common.format_table(
        [
            "loans",
            "seconds",
            "loans/s",
            "ms/batch",
            "select+compute s",
            "CAS update s",
            "ledger s",
            "delinquency s",
            "txn+run row s",
            "Python CPU s",
            "backend CPU s",
            "WAL MB",
            "RSS peak MB (growth)",
            "re-run s",
            "verified",
        ],
        rows,
    )


def build_doc_section(data: dict[str, Any], table: str) -> str:
    aims = aims_met(data)
    machine = common.machine_line(data["machine"])
    runs = data["runs"].values()
    unchanged = all(r["rerun_changed_nothing"] for r in runs)
    paragraphs = [
        "## Daily accrual (make bench-accrual)",
        common.wrap_markdown(f"Last run {data['timestamp']} on {machine}."),
        common.wrap_markdown(
            f"Command: `{data['command']}`, {data.get('total_seconds')} s in all. Every figure "
            "of the run is in `bench/results/accrual.json`."
        ),
        common.wrap_markdown(
            "Each size runs on a fresh database migrated by Alembic: N borrowers and N active "
            "Personal Loans are inserted directly (two `INSERT ... SELECT FROM generate_series`, "
            "no origination), principal KES 100 to 50,000, disbursed 1 to 20 days before the "
            "business date D and already accrued to D - 1, and one opening ledger entry puts "
            "their principal, interest and penalty in 1200/1210/1220. The timed call is ONE "
            f"`accrue_through(sessions, clock, D)` with batch size {data['batch_size']:,}: one "
            "more day for every loan (15% of them reach day 9, 14 or 19 and get a reminder SMS; "
            "30% are in their penalty days; none reaches the default day). Phases are wall "
            "seconds inside the job's batch-level functions (select+compute is the batch's "
            "SELECT and the interest arithmetic; delinquency is mostly queuing the reminders); "
            "CPU is from `/proc/*/stat` (this process; its PostgreSQL backend); WAL is the "
            "server's, during the call; RSS is this process's VmRSS sampled every 50 ms during "
            "the call (peak, and growth over its start)."
        ),
        table,
        common.wrap_markdown(
            "Verified after each run: every loan advanced exactly one day and its interest, "
            "penalty and carry equal the closed form of `app.lending.interest` for day D; the "
            "interest and penalty the loans gained equal what 1210 and 1220 gained and the "
            "`accrual_runs` row; `check_subledger` agrees; one reminder per loan due one; no "
            f"default. Result: **{'all checks passed' if data['verified'] else 'FAILED'}**. "
            "A second run for the same date "
            + (
                "changed nothing (loans, ledger, outbox; it only adds an all-zero "
                "`accrual_runs` row)"
                if unchanged
                else "CHANGED something (see `failures` in the JSON)"
            )
            + " and took the `re-run s` above: it still reads every open loan, batch by batch."
        ),
        common.wrap_markdown(
            "Aims (this 2-core machine): 1,000,000 loans in under 5 minutes: "
            f"**{yes_no(aims['time'])}** ({data['seconds_1m']} s); peak RSS under 500 MB: "
            f"**{yes_no(aims['memory'])}** ({data['peak_rss_mb']} MB); linear growth (1m / "
            f"100k time <= {10 * LINEAR_TOLERANCE:.0f}): **{yes_no(aims['linear'])}** "
            f"(ratio {data['growth_ratio']}; of the CPU time of this process and its backend: "
            f"{data.get('cpu_growth_ratio')})."
        ),
    ]
    limits = limits_paragraph(data)
    if limits:
        paragraphs.append(common.wrap_markdown(limits))
    paragraphs += [common.wrap_markdown(text) for text in HISTORY]
    return "\n\n".join(paragraphs)


def limits_paragraph(data: dict[str, Any]) -> str:
    """What limits the figures, from the largest run."""
    if not data["runs"]:
        return ""
    r = max(data["runs"].values(), key=lambda run: run["loans"])
    n, cpu, phases, wal = r["loans"], r["cpu"], r["phases_s"], r["wal"]
    python_s, backend_s = cpu["bench_process_cpu_s"], cpu["bench_backends_cpu_s"]
    text = (
        f"What limits the figures ({n:,} loans): the job is one connection working batch after "
        "batch, so its wall time is this process's CPU time plus its PostgreSQL backend's, "
        f"one after the other ({python_s} s of Python + {backend_s} s of backend = "
        f"{round(python_s + backend_s, 1)} s of the {r['seconds']} s): it keeps at most one of "
        f"the two cores busy. Per loan that is {round(python_s * 1e6 / n)} us of Python "
        "(building the row objects, `accrue_day`, the update's parameters, the reminders' ORM "
        f"bulk insert) and {round(backend_s * 1e6 / n)} us in PostgreSQL, mostly the "
        "compare-and-set UPDATE: the loans rows are wide (the terms snapshot alone is about "
        "460 bytes of JSONB) and the table has the default fillfactor, so almost no update is "
        "HOT: each writes a whole new row version on another page and an entry in each of the "
        f"loans table's four indexes ({wal['wal_mb']} MB of WAL, {wal['checkpoints']} "
        f"checkpoints and {wal['full_page_images']:,} full-page images server-wide during "
        f"the call). By phase: select+compute {phases.get('select_and_compute')} s, "
        f"compare-and-set UPDATE {phases.get('cas_update')} s, reminders and defaults "
        f"{phases.get('delinquency')} s, ledger entries {phases.get('ledger_posts')} s "
        f"({r['ledger_entries_posted']} entries), transactions "
        f"{phases.get('transactions_and_run_row')} s."
    )
    share = cpu.get("foreign_share")
    if share is not None and share > 0.1:
        text += (
            f" The machine was NOT quiet: other processes took {round(share * 100)}% of its "
            "CPU during this call, so the wall times here are pessimistic; the CPU seconds "
            "are the steadier figure."
        )
    return text


HISTORY = (
    "Changes made on 2026-11-28 after profiling the 100k run with pyinstrument, all "
    "without changing what the job writes (checked by `tests/integration/"
    "test_lending_journey.py`, and by dumping loans, outbox, borrowers, limit decisions, "
    "ledger postings and accrual runs of a 45-day, 14-loan scenario with defaults, "
    "reminders, repayments and skipped days under the old and new code: identical on "
    "SQLite and PostgreSQL). Before them this benchmark measured 28.8 s for 100k and "
    "392.2 s for 1m (2,550 loans/s, growth ratio 13.6, RSS 97 MB; the machine was busy then "
    "too: for 1m, 157 s of Python CPU and 86 s of CPU of all PostgreSQL processes, against "
    "about 33 s and 28 s for the backend now). In the profile, 21.2 s "
    "of 43.6 s went to `queue_sms` called once per reminder (an ORM INSERT built, compiled "
    "from the cache and sent per SMS), 10.4 s to the executemany UPDATE (one statement per "
    "loan), 2.1 s to `ProductTerms.from_snapshot` per loan, 2.3 s to fetching the rows "
    "(JSON parsing of the snapshot per row) and 0.9 s to looking up the chart's accounts "
    "again in every batch. Now: (1) a batch's reminders are one ORM bulk INSERT ... ON "
    "CONFLICT DO NOTHING (those before a default are written before it, so the outbox "
    "keeps the loans' order); (2) on PostgreSQL the compare-and-sets are one `UPDATE loans "
    "... FROM unnest(...) WHERE loans.id = v.loan_id AND loans.days_accrued = v.old_days` "
    "with the same rowcount check (a loan moved by someone else still rolls the batch back "
    "with `AccrualRace`; SQLite keeps the executemany); (3) the snapshot is read as JSON "
    "text and parsed into a schedule once per distinct snapshot (`loan_terms`, an LRU "
    "cache); (4) the chart's accounts are looked up once per run.",
    "Not done, to decide: batches of 5,000 measured about 10% faster at 100k (10,000 no "
    "better), but hold each batch's row locks longer and group the ledger entries "
    "differently (`accrue_through(..., batch_size=...)` already allows it); skipping "
    "already-accrued loans in the SELECT would make a re-run nearly free but changes which "
    "loans a batch spans; two workers on disjoint id ranges could use the second core; "
    "keeping the terms by reference (a product-version id) instead of a JSONB snapshot on "
    "every loan would shrink the rows the UPDATE copies (with `--loans-fillfactor 80` only "
    "about 20% of updates were HOT, because the rows are that wide).",
)
"""Findings kept in the docs section (the baseline figures are from the run before them)."""


def write_outputs(data: dict[str, Any], output: Path, docs: bool) -> None:
    common.write_json(output, data)
    log(f"wrote {output}")
    if docs:
        common.replace_doc_section(DOC_SECTION, build_doc_section(data, build_table(data)))
        log(f"updated the {DOC_SECTION} section of {common.PERFORMANCE_DOC}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="loan counts, comma-separated")
    parser.add_argument("--batch-size", type=int, default=accrual.ACCRUAL_BATCH)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--no-docs", action="store_true", help="do not touch performance.md")
    parser.add_argument("--docs-only", action="store_true", help="rewrite the docs from JSON")
    parser.add_argument("--keep-db", action="store_true", help="keep the scratch databases")
    parser.add_argument(
        "--loans-fillfactor",
        type=int,
        help="experiment: ALTER TABLE loans SET (fillfactor = N) before loading (schema: 100)",
    )
    parser.add_argument(
        "--profile", type=Path, help="pyinstrument text report of the timed call (one size)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.docs_only:
        data = json.loads(args.output.read_text())
        common.replace_doc_section(DOC_SECTION, build_doc_section(data, build_table(data)))
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.profile and len(sizes) != 1:
        raise SystemExit("--profile takes one size")
    admin = common.admin_url()
    machine = common.machine_description(admin)
    started = datetime.now(UTC)
    runs = {
        size_label(size): run_size(
            admin, size, args.batch_size, args.profile, args.keep_db, args.loans_fillfactor
        )
        for size in sizes
    }
    data = assemble(runs, args.batch_size, machine, argv)
    data["total_seconds"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    print(build_table(data))
    print(json.dumps({k: v for k, v in data.items() if k not in ("runs", "machine")}, indent=2))
    if args.profile:
        log("profiled run: timings inflated, results not written")
    else:
        write_outputs(data, args.output, docs=not args.no_docs)
    return 0 if data["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
