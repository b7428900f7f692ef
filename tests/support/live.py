"""The whole service over real HTTP: the Daraja simulator under uvicorn in a thread of the
test process, and the service in one of two topologies, all sharing one database:

- embedded (``make run``): the API in a thread, one ``mkopo worker`` with its scheduler
  built in, an SQLite broker file;
- production (docker/compose.yaml): ``mkopo serve``, ``mkopo worker --no-beat`` and
  ``mkopo worker --beat-only`` as three processes, on Redis or RabbitMQ.

With ``airtel=True`` the Airtel Money simulator runs too, as a process of its own
(``tests/support/live_airtel.py``), and the API and the worker pay Airtel numbers through it.

The test process acts as a channel would (registers borrowers, requests loans and STK
repayments through the service functions, or dials the USSD menu) and as M-Pesa's customers
(through the simulator's state and control endpoint). Everything else crosses HTTP or the
broker.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import structlog
from sqlalchemy import func, select

from app.accounting.chart import Acct, open_chart
from app.accounting.keys import write_new_key
from app.bootstrap import build_ports
from app.borrowers.models import Borrower, ConsentChannel
from app.borrowers.service import prepare_pin
from app.clock import business_date, system_clock
from app.db.engine import Database, make_database
from app.db.session import Sessions
from app.lending.limits import LimitPolicy
from app.lending.models import Loan, Repayment
from app.lending.origination import LoanRequest, request_loan
from app.main import create_app
from app.mpesa.models import MpesaCallback, StkRequest, UnmatchedReceipt
from app.mpesa.stk import request_stk_repayment
from app.onboarding.service import OptInRequest, check_applicant, opt_in
from app.payments.models import Payout
from app.ports import Ports
from app.reports.subledger_check import check_subledger
from app.security.fields import generate_field_keys_file, load_field_crypto
from app.settings import Settings
from app.simulators import simulator_state
from app.tasks.celery_app import create_celery
from integrations.mpesa.client import DarajaClient
from integrations.mpesa.simulator.app import create_simulator
from integrations.mpesa.simulator.checks import httpx_deliverer
from integrations.mpesa.simulator.state import SimulatorState
from ledger import Entry, EntryRequest, Ledger, PostingLine
from tests.support.live_airtel import AirtelSimulator, airtel_env
from tests.support.live_processes import MkopoProcess, ServerThread, free_port, wait_until

CAPITAL_MINOR = 10_000_000 * 100
FAST_SCHEDULE = {
    "MKOPO_CALLBACKS_INTERVAL_S": "0.5",
    "MKOPO_PAYOUT_SWEEP_INTERVAL_S": "1",
    "MKOPO_PAYOUT_RESULT_GRACE_S": "2",
    "MKOPO_STK_SWEEP_INTERVAL_S": "1",
    "MKOPO_STK_QUERY_AFTER_S": "2",
    "MKOPO_LEDGER_SEAL_INTERVAL_S": "2",
    "MKOPO_SCHEDULE_GRACE_S": "10",
}
READINESS_BOUND_S = 3 * 0.5 + 10
"""The fastest task's staleness bound here: process-callbacks, 3 intervals + the grace."""


@dataclass(frozen=True)
class LiveBroker:
    """Where the tasks go: the embedded SQLite file, or a Redis or RabbitMQ server (then the
    API, the worker and beat run as separate processes, as in production)."""

    kind: str
    """embedded, redis or rabbitmq"""
    url: str
    queue: str

    @property
    def production(self) -> bool:
        return self.kind != "embedded"


@dataclass
class LiveStack:
    root: Path
    database: Database
    settings: Settings
    env: dict[str, str]
    simulator: SimulatorState
    broker: LiveBroker
    servers: list[ServerThread] = field(default_factory=list)
    processes: dict[str, MkopoProcess] = field(default_factory=dict)
    """The ``mkopo`` processes by role: worker (and api, beat in production; the Airtel
    simulator when asked for)."""
    airtel: AirtelSimulator | None = None
    _ports: Ports | None = None
    _ids: int = 0
    _inprocess_log: Any = None

    @property
    def sessions(self) -> Sessions:
        return Sessions(self.database)

    @property
    def api_url(self) -> str:
        return self.settings.mpesa_callback_base_url

    @property
    def simulator_url(self) -> str:
        return self.settings.mpesa_base_url

    # -- processes --------------------------------------------------------------------------

    def start_worker(self) -> None:
        self.processes["worker"].start()

    def kill_worker(self) -> None:
        """SIGKILL the worker and its children: no chance to finish or acknowledge anything."""
        self.processes["worker"].kill()

    def dead_processes(self) -> list[str]:
        return [name for name, process in self.processes.items() if not process.alive()]

    def capture_inprocess_log(self) -> None:
        """The log lines of what runs in this process (the simulator, and the API when it is
        not a process of its own) into inprocess.log: scanned for personal data with the
        processes' own logs."""
        self._inprocess_log = (self.root / "inprocess.log").open("a", encoding="utf-8")
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=self._inprocess_log))
        handler = logging.StreamHandler(self._inprocess_log)
        handler.set_name("live-inprocess-log")
        logging.getLogger().addHandler(handler)

    def log_lines(self) -> list[tuple[str, str]]:
        """Every line logged so far, in this process and by every ``mkopo`` process:
        (file, line)."""
        if self._inprocess_log is not None:
            self._inprocess_log.flush()
        files = ["inprocess.log", *(process.log_path.name for process in self.processes.values())]
        return [
            (name, line)
            for name in files
            if (self.root / name).exists()
            for line in (self.root / name).read_text(errors="replace").splitlines()
        ]

    def _release_inprocess_log(self) -> None:
        if self._inprocess_log is None:
            return
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stdout))
        root = logging.getLogger()
        for handler in [h for h in root.handlers if h.get_name() == "live-inprocess-log"]:
            root.removeHandler(handler)
        self._inprocess_log.close()
        self._inprocess_log = None

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()
        for server in reversed(self.servers):
            server.stop()
        if isinstance(self._ports, Ports) and isinstance(self._ports.payments, DarajaClient):
            self._ports.payments.close()
        self.database.dispose()
        self._release_inprocess_log()

    def worker_log(self) -> str:
        return "\n".join(process.log_tail() for process in self.processes.values())

    def readiness(self) -> httpx.Response:
        return httpx.get(f"{self.api_url}/readyz", timeout=10)

    # -- acting as a channel ----------------------------------------------------------------

    def ports(self) -> Ports:
        if self._ports is None:
            crypto = load_field_crypto(self.settings.field_keys_path)
            self._ports = build_ports(self.settings, system_clock, crypto)
        return self._ports

    def new_person(self, airtel: bool = False) -> tuple[str, str]:
        """A national ID and a phone (07...) the simulators pass: an adult, an old SIM, on
        Safaricom (0722...) or with ``airtel`` on Airtel (0733...)."""
        self._ids += 1
        national_id = f"{31_000_000 + self._ids * 10 + 1}"  # ends in 1: a valid adult
        network = 33_000_000 if airtel else 22_000_000
        phone = f"07{network + self._ids * 100 + 37:08d}"  # an old SIM with a wallet
        return national_id, phone

    def register(self, airtel: bool = False) -> tuple[int, str]:
        """A new eligible borrower with a number of their own: (borrower id, 2547... number)."""
        national_id, phone = self.new_person(airtel)
        ports = self.ports()
        applicant = check_applicant(ports, national_id, phone, business_date(system_clock()))
        with self.sessions.unit_of_work() as session:
            request = OptInRequest(
                applicant,
                prepare_pin(ports.pins, "4826"),
                terms_accepted=True,
                channel=ConsentChannel.APP,
            )
            borrower = opt_in(session, ports, LimitPolicy(), request, system_clock())
            return borrower.id, f"254{phone[1:]}"

    def request_loan(self, borrower_id: int, amount_minor: int) -> int:
        """Ask for a loan; the worker's payout sweep sends it (returns the payout id)."""
        self._ids += 1
        with self.sessions.unit_of_work() as session:
            payout = request_loan(
                session,
                Ledger(session, system_clock),
                LoanRequest(borrower_id, "personal", amount_minor, f"live-{self._ids}"),
                system_clock(),
            )
            return payout.id

    def request_stk(self, borrower_id: int, amount_minor: int) -> int:
        """Ask for an STK repayment and hand it to the worker, as the channels will."""
        self._ids += 1
        with self.sessions.unit_of_work() as session:
            request_id = request_stk_repayment(
                session, borrower_id, amount_minor, f"live-stk-{self._ids}", system_clock()
            ).id
        self.enqueue("mpesa.send_stk", request_id)
        return request_id

    def enqueue(self, task: str, *args: Any) -> None:
        """Hand a task to the worker through the broker, as the API does after a commit."""
        create_celery(self.settings).send_task(task, args=list(args))

    # -- acting as M-Pesa's customers ----------------------------------------------------------

    def sim(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = httpx.request(method, f"{self.simulator_url}{path}", timeout=10, **kwargs)
        answer.raise_for_status()
        return answer

    def set_outcome(self, msisdn: str, outcome: str, **extra: Any) -> None:
        self.sim("POST", "/__sim__/outcomes", json={"outcome": outcome, "msisdn": msisdn, **extra})

    def set_wallet(self, msisdn: str, balance_minor: int) -> None:
        """The customer's M-Pesa balance, as the simulator keeps it."""
        self.sim(
            "POST", "/__sim__/wallets", json={"msisdn": msisdn, "balance_minor": balance_minor}
        )

    def callbacks_waiting(self) -> int:
        """Callbacks stored and not processed yet."""
        with self.sessions.reader() as session:
            waiting = select(func.count()).where(MpesaCallback.status == "received")
            return session.scalar(waiting) or 0

    def register_c2b_urls(self, validation: bool = True) -> None:
        """Our C2B URLs; without ``validation`` the validation URL does not answer, so M-Pesa
        completes every payment (as on a paybill whose validation is not enabled)."""
        client = self.ports().payments
        assert isinstance(client, DarajaClient)
        validation_url = (
            client.callback_url("c2b/validation")
            if validation
            else f"http://127.0.0.1:{free_port()}/nobody-listens"
        )
        ack = client.register_c2b_urls(client.callback_url("c2b/confirmation"), validation_url)
        assert ack.accepted, ack

    def pay_bill(self, msisdn: str, amount_kes: int, account: str) -> None:
        """The customer pays the paybill from their phone (the sandbox's C2B simulate)."""
        settings = self.settings
        with httpx.Client(base_url=self.simulator_url, timeout=10) as http:
            token = http.get(
                "/oauth/v1/generate",
                params={"grant_type": "client_credentials"},
                auth=(
                    settings.mpesa_consumer_key.get_secret_value(),
                    settings.mpesa_consumer_secret.get_secret_value(),
                ),
            ).json()["access_token"]
            answer = http.post(
                "/mpesa/c2b/v2/simulate",
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "ShortCode": settings.mpesa_shortcode,
                    "CommandID": "CustomerPayBillOnline",
                    "Amount": str(amount_kes),
                    "Msisdn": msisdn,
                    "BillRefNumber": account,
                },
            )
            answer.raise_for_status()

    # -- looking ----------------------------------------------------------------------------

    def borrower_with_phone(self, msisdn: str) -> int | None:
        index = self.ports().blind_index.digest("msisdn", msisdn)
        with self.sessions.reader() as session:
            return session.scalar(select(Borrower.id).where(Borrower.phone_index == index))

    def payout(self, payout_id: int) -> Payout:
        with self.sessions.reader() as session:
            found = session.get(Payout, payout_id)
            assert found is not None
            return found

    def loan_of(self, borrower_id: int) -> Loan:
        with self.sessions.reader() as session:
            loan = session.scalars(
                select(Loan).where(Loan.borrower_id == borrower_id).order_by(Loan.id.desc())
            ).first()
            assert loan is not None
            return loan

    def stk_status(self, request_id: int) -> str:
        with self.sessions.reader() as session:
            return str(session.scalar(select(StkRequest.status).where(StkRequest.id == request_id)))

    def repayments(self, loan_id: int) -> int:
        with self.sessions.reader() as session:
            return session.scalar(select(func.count()).where(Repayment.loan_id == loan_id)) or 0

    def callbacks(self, kind: str) -> int:
        with self.sessions.reader() as session:
            return session.scalar(select(func.count()).where(MpesaCallback.kind == kind)) or 0

    def callback(self, kind: str, natural_key: str) -> MpesaCallback | None:
        with self.sessions.reader() as session:
            return session.scalar(
                select(MpesaCallback).where(
                    MpesaCallback.kind == kind, MpesaCallback.natural_key == natural_key
                )
            )

    def unmatched(self, receipt: str) -> UnmatchedReceipt | None:
        with self.sessions.reader() as session:
            return session.scalar(
                select(UnmatchedReceipt).where(UnmatchedReceipt.receipt == receipt)
            )

    def entries(self, reference: str) -> list[Entry]:
        with self.sessions.reader() as session:
            return Ledger(session, system_clock).find_entries(reference=reference)

    def sim_transactions(self, kind: str, msisdn: str) -> list[dict[str, Any]]:
        state = self.sim("GET", "/__sim__/state").json()
        return [t for t in state["transactions"] if t["kind"] == kind and t["msisdn"] == msisdn]

    def assert_books_agree(self) -> None:
        with self.sessions.reader() as session:
            ledger = Ledger(session, system_clock)
            assert ledger.trial_balance().net_by_currency == {"KES": 0}
            disagreements = [c for c in check_subledger(session, ledger) if not c.agrees]
        assert disagreements == []


def start_stack(
    root: Path, database_url: str, broker: LiveBroker, *, airtel: bool = False
) -> LiveStack:
    """The stack on ``broker``; with ``airtel``, the Airtel simulator as a process as well."""
    api_port, sim_port = free_port(), free_port()
    keys = root / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    env_settings = {
        "MKOPO_DATABASE_URL": database_url,
        "MKOPO_BROKER_URL": broker.url,
        "MKOPO_TASK_QUEUE": broker.queue,
        "MKOPO_PAYMENT_PROVIDER": "daraja",
        "MKOPO_MPESA_BASE_URL": f"http://127.0.0.1:{sim_port}",
        "MKOPO_MPESA_CALLBACK_BASE_URL": f"http://127.0.0.1:{api_port}",
        "MKOPO_MPESA_CALLBACK_TOKEN": "live-callback-token",
        "MKOPO_MPESA_CALLBACK_PATH_PREFIX": "/hooks/mm",  # not SPEC's default: both must work
        "MKOPO_MPESA_CERT_PATH": str(keys / "mpesa-sim-cert.pem"),
        "MKOPO_MPESA_TOKEN_PATH": str(root / "daraja-token.json"),
        "MKOPO_FIELD_KEYS_PATH": str(keys / "field-keys.json"),
        "MKOPO_LEDGER_SIGNING_KEY_PATH": str(keys / "ledger.pem"),
        "MKOPO_LOG_JSON": "true",
        **FAST_SCHEDULE,
        **(airtel_env(root, free_port()) if airtel else {}),
    }
    settings = Settings(**{k.removeprefix("MKOPO_").lower(): v for k, v in env_settings.items()})
    generate_field_keys_file(settings.field_keys_path)
    write_new_key(settings.ledger_signing_key_path)
    database = make_database(settings)
    env = {**os.environ, **env_settings, "PYTHONPATH": str(Path.cwd())}
    stack = LiveStack(
        root=root,
        database=database,
        settings=settings,
        env=env,
        simulator=simulator_state(settings),  # writes the certificate the client reads
        broker=broker,
    )
    _open_fund(stack.sessions, airtel)
    try:
        if airtel:
            _start_airtel(stack)
        _start_servers(stack, sim_port, api_port)
        stack.capture_inprocess_log()  # after create_app, which points the logs at stdout
        stack.register_c2b_urls()
        for process in stack.processes.values():
            if not process.alive():
                process.start()
    except BaseException:
        stack.stop()
        raise
    return stack


def _start_servers(stack: LiveStack, sim_port: int, api_port: int) -> None:
    """The simulator in a thread; the API in a thread (embedded) or as ``mkopo serve``."""
    simulator = ServerThread(create_simulator(stack.simulator, httpx_deliverer()), sim_port)
    simulator.start()
    stack.servers.append(simulator)

    def process(name: str, *args: str) -> MkopoProcess:
        stack.processes[name] = MkopoProcess(name, list(args), stack.root, stack.env)
        return stack.processes[name]

    if not stack.broker.production:
        api = ServerThread(create_app(stack.settings, system_clock), api_port)
        api.start()
        stack.servers.append(api)
        process("worker", "worker", "--concurrency", "1")
        return
    api_process = process("api", "serve", "--host", "127.0.0.1", "--port", str(api_port))
    api_process.start()
    wait_until(
        lambda: _answers(f"{stack.api_url}/healthz") or not api_process.alive(),
        60,
        "mkopo serve answered",
    )
    assert api_process.alive(), api_process.log_tail()
    process("worker", "worker", "--no-beat", "--concurrency", "2")
    process("beat", "worker", "--beat-only")


def _start_airtel(stack: LiveStack) -> None:
    """``mkopo simulator --provider airtel`` on its port; it writes the key pair the API and
    the worker read, so it starts first."""
    url = stack.settings.airtel_base_url
    args = ["simulator", "--provider", "airtel", "--port", url.rsplit(":", 1)[1]]
    process = MkopoProcess("airtel-simulator", args, stack.root, stack.env)
    stack.processes[process.name] = process
    stack.airtel = AirtelSimulator(process, url)
    stack.airtel.start()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _open_fund(sessions: Sessions, airtel: bool) -> None:
    """Capital on M-Pesa's float (1010), and with ``airtel`` on Airtel Money's (1011) too."""
    floats = {
        "live:capital": Acct.FLOAT,
        **({"live:capital-airtel": Acct.AIRTEL_FLOAT} if airtel else {}),
    }
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, system_clock)
        accounts = open_chart(ledger)
        for key, float_account in floats.items():
            ledger.post(
                EntryRequest(
                    key,
                    [
                        PostingLine.debit(accounts[float_account], CAPITAL_MINOR),
                        PostingLine.credit(accounts[Acct.CAPITAL], CAPITAL_MINOR),
                    ],
                    "capital",
                )
            )
