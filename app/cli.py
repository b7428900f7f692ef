"""The ``mkopo`` command. Every command reads its settings from ``MKOPO_*`` variables, so
several processes (API, worker, CLI) can share one database."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperCommand

if TYPE_CHECKING:
    from app.audit.log import Actor

app = typer.Typer(help="Mkopo: mobile-money microfinance fund backend.", no_args_is_help=True)
keys_app = typer.Typer(
    help="The ledger's Ed25519 sealing key, the field keys and the PIN pepper.",
    no_args_is_help=True,
)
users_app = typer.Typer(help="Staff users and their API tokens.", no_args_is_help=True)
ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
mpesa_app = typer.Typer(help="M-Pesa (Daraja) set-up.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log of staff actions.", no_args_is_help=True)
scoring_app = typer.Typer(help="Credit scorecards.", no_args_is_help=True)
loans_app = typer.Typer(help="Instalment loans.", no_args_is_help=True)
borrowers_app = typer.Typer(help="Borrowers: one-off corrections.", no_args_is_help=True)
crb_app = typer.Typer(help="Credit bureau files and listings (docs/crb.md).", no_args_is_help=True)
staff_app = typer.Typer(
    help="Staff console sign-in: passwords and second factors (docs/console.md).",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(ledger_app, name="ledger")
app.add_typer(mpesa_app, name="mpesa")
app.add_typer(audit_app, name="audit")
app.add_typer(scoring_app, name="scoring")
app.add_typer(loans_app, name="loans")
app.add_typer(borrowers_app, name="borrowers")
app.add_typer(crb_app, name="crb")
app.add_typer(staff_app, name="staff")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[int, typer.Option(min=1, max=32)] = 1,
) -> None:
    """Run the HTTP API (uvicorn)."""
    import uvicorn

    from app.settings import get_settings

    settings = get_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        access_log=False,
        log_level=settings.log_level.lower(),
    )


@app.command()
def worker(
    beat_only: Annotated[bool, typer.Option(help="Run only the scheduler")] = False,
    beat: Annotated[bool, typer.Option(help="Embed the scheduler (one per deployment)")] = True,
    concurrency: Annotated[int, typer.Option(min=1, max=64)] = 2,
) -> None:
    """Run the Celery worker, by default with the scheduler embedded (the embedded setup).

    With several workers, run them with ``--no-beat`` and one ``--beat-only`` process. The
    embedded broker's tables and queue are created first, once, so the consumer and the
    scheduler never race to create them. Exits 3 when its embedded scheduler dies.
    """
    from celery.bin.celery import celery as celery_command

    from app.observability.logging import configure_logging
    from app.settings import VAR_DIR, get_settings
    from app.tasks.broker import prepare_broker
    from app.worker import celery_app

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)  # inherited by beat and the pool
    prepare_broker(settings.broker_url, settings.task_queue)
    VAR_DIR.mkdir(exist_ok=True)
    schedule = str(VAR_DIR / "celerybeat-schedule")
    if beat_only:
        argv = ["beat", "--loglevel=INFO", f"--schedule={schedule}"]
    else:
        embedded = ["--beat", f"--schedule={schedule}"] if beat else []
        argv = ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", *embedded]
    # Celery's own command line, run so that it returns its exit status (``Celery.start``
    # drops it): a supervisor must see a worker that stopped because its beat died (3).
    celery_command.params[0].default = celery_app
    status = celery_command.main(args=argv, prog_name="celery", standalone_mode=False)
    if isinstance(status, int) and status:
        raise typer.Exit(status)


class SimulatorProvider(enum.StrEnum):
    DARAJA = "daraja"
    AIRTEL = "airtel"


@app.command()
def simulator(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Default 8100 (daraja), 8200 (airtel)")
    ] = None,
    provider: Annotated[SimulatorProvider, typer.Option()] = SimulatorProvider.DARAJA,
) -> None:
    """Run a provider simulator (Daraja or Airtel): same paths and payloads, callbacks sent."""
    import uvicorn

    from app.settings import get_settings

    if provider is SimulatorProvider.AIRTEL:
        import os

        from integrations.airtel.simulator import setup

        airtel = setup.build_simulator(os.environ, get_settings().mpesa_callback_base_url)
        uvicorn.run(airtel, host=host, port=port or setup.DEFAULT_PORT, access_log=False)
        return
    from app.simulators import build_simulator

    uvicorn.run(build_simulator(get_settings()), host=host, port=port or 8100, access_log=False)


@app.command()
def migrate(revision: Annotated[str, typer.Argument()] = "heads") -> None:
    """Apply database migrations (Alembic) up to REVISION, and create the embedded broker's
    tables and queue (nothing to create on Redis or RabbitMQ)."""
    from alembic import command

    from app.accounting.chart import open_chart
    from app.bootstrap import process_runtime
    from app.db.migrations_state import alembic_config
    from app.settings import get_settings
    from app.tasks.broker import prepare_broker
    from ledger import Ledger

    settings = get_settings()
    command.upgrade(alembic_config(settings.database_url), revision)
    rt = process_runtime()
    with rt.sessions.unit_of_work() as session:
        open_chart(Ledger(session, rt.clock))
    prepare_broker(settings.broker_url, settings.task_queue)
    typer.echo(f"database migrated to {revision}; chart of accounts open; broker ready")


@app.command("seed-demo")
def seed_demo_command() -> None:
    """Load demo data (idempotent): capital in the float, one borrower with a loan."""
    from app.bootstrap import process_runtime
    from app.demo.seed import seed_demo

    typer.echo(seed_demo(process_runtime()))


@app.command()
def reconcile(
    statement: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="M-Pesa or Airtel Money statement (CSV/XLSX)",
        ),
    ] = None,
    period_from: Annotated[
        str | None, typer.Option("--from", help="Or: first business date YYYY-MM-DD")
    ] = None,
    period_to: Annotated[str | None, typer.Option("--to", help="Last business date")] = None,
    again: Annotated[bool, typer.Option(help="A fresh run of a period run before")] = False,
    tolerance_cents: Annotated[int, typer.Option(min=0, max=10_000)] = 0,
    window_s: Annotated[int, typer.Option(min=1, max=604_800)] = 1_800,
    report_json: Annotated[Path | None, typer.Option(help="Write the JSON report here")] = None,
    report_csv: Annotated[Path | None, typer.Option(help="Write the CSV report here")] = None,
    provider: Annotated[
        str, typer.Option(help="Whose statement: safaricom (M-Pesa) or airtel")
    ] = "safaricom",
) -> None:
    """Reconcile a statement file (or a period of imported ones) against the ledger now.

    Running it again for the same file changes nothing and prints the same summary; a run
    interrupted by a crash resumes where it stopped."""
    from datetime import date

    from app.bootstrap import process_runtime
    from app.errors import DomainError
    from app.reconciliation.matching.rules import MatchRules
    from app.reconciliation.report import report_csv as csv_chunks
    from app.reconciliation.report import report_json as json_chunks
    from app.reconciliation.runs import (
        execute_run,
        get_run,
        start_period_run,
        start_statement_run,
    )
    from app.security.fields import FieldCipher, load_field_keys

    if provider not in ("safaricom", "airtel"):
        typer.echo("--provider is safaricom or airtel", err=True)
        raise typer.Exit(2)
    if (statement is None) == (period_from is None or period_to is None):
        typer.echo("give --statement FILE, or --from DATE and --to DATE", err=True)
        raise typer.Exit(2)
    rules = MatchRules(tolerance_cents, window_s)
    rt = process_runtime()
    try:
        with rt.sessions.unit_of_work() as session:
            if statement is not None:
                with statement.open("rb") as stream:
                    started = start_statement_run(
                        session, stream, statement.name, "cli", rt.clock(), rules, provider
                    )
            else:
                first, last = (
                    date.fromisoformat(period_from or ""),
                    date.fromisoformat(period_to or ""),
                )
                started = start_period_run(
                    session, (first, last), "cli", rt.clock(), rules, again, provider
                )
            run_id = started.run.id
    except (DomainError, ValueError) as exc:  # a rejected file, a bad or uncovered period
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None
    keys = rt.settings.field_keys_path
    cipher = FieldCipher(load_field_keys(keys).encryption_keys) if keys.is_file() else None
    status = execute_run(rt.sessions, rt.clock, run_id, cipher)
    for path, chunks in ((report_json, json_chunks), (report_csv, csv_chunks)):
        if path is not None:
            with path.open("wb") as out:
                for chunk in chunks(rt.sessions, run_id):
                    out.write(chunk)
    with rt.sessions.reader() as session:
        summary = get_run(session, run_id).summary
    typer.echo(json.dumps({"run_id": run_id, "status": status, "summary": summary}, indent=2))
    if status == "failed":
        raise typer.Exit(1)


@keys_app.command("generate")
def keys_generate(
    out: Annotated[Path | None, typer.Option(help="Sealing key path (default: settings)")] = None,
    if_missing: Annotated[bool, typer.Option()] = False,
) -> None:
    """Create the Ed25519 sealing key and the field keys (encryption, blind index, PIN
    pepper); never overwrites. With --if-missing, a field keys file without a PIN pepper key
    gets one, its other keys untouched."""
    from app.accounting.keys import write_new_key
    from app.security.fields import add_pin_pepper_key, generate_field_keys_file, load_field_keys
    from app.settings import get_settings

    settings = get_settings()
    wanted = [
        (out or settings.ledger_signing_key_path, write_new_key, "sealing key"),
        (settings.field_keys_path, generate_field_keys_file, "field keys"),
    ]
    for path, write, what in wanted:
        if path.exists():
            if if_missing:
                typer.echo(f"{what} already at {path}")
                continue
            typer.echo(f"refusing to overwrite {path}", err=True)
            raise typer.Exit(1)
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
        typer.echo(f"{what} written to {path}")
    # A field keys file made before PIN peppers: give it one, its other keys untouched.
    try:
        peppered = bool(load_field_keys(settings.field_keys_path).pin_pepper_keys)
    except (OSError, ValueError) as exc:  # left as it is: the app answers 503 and logs it
        typer.echo(f"field keys not usable, no pepper key added: {exc}", err=True)
        return
    if not peppered:
        add_pin_pepper_key(settings.field_keys_path)
        typer.echo(f"PIN pepper key added to {settings.field_keys_path}")


@keys_app.command("add-pepper")
def keys_add_pepper() -> None:
    """Add a new PIN pepper key to the field keys file, first: it peppers new PIN hashes,
    older ones still verify (and are rehashed at each borrower's next right PIN). Also gives
    a file made before peppers its first one. The other keys are left as they are."""
    from app.security.fields import InvalidFieldKeysFile, add_pin_pepper_key
    from app.security.pepper_keys import TooManyPepperKeys
    from app.settings import get_settings

    path = get_settings().field_keys_path
    try:
        keys = add_pin_pepper_key(path)
    except (OSError, InvalidFieldKeysFile, TooManyPepperKeys) as exc:
        typer.echo(f"no pepper key added: {exc}", err=True)
        raise typer.Exit(1) from None
    ids = ", ".join(pepper.key_id for pepper in keys.pin_pepper_keys)
    typer.echo(f"PIN pepper keys in {path}, newest first: {ids}")


@keys_app.command("wrap-old-pins")
def keys_wrap_old_pins() -> None:
    """Pepper, at rest, the PIN hashes made before peppers (no PIN needed): a leaked table
    then holds no hash that can be tried without the pepper. Safe to run again."""
    from app.bootstrap import process_runtime
    from app.borrowers.pin_wrapping import wrap_old_pin_hashes

    rt = process_runtime()
    with rt.sessions.unit_of_work() as session:
        wrapped = wrap_old_pin_hashes(session, rt.field_crypto().pins)
    typer.echo(json.dumps({"wrapped": wrapped}))


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="admin, credit_officer, auditor, support")],
) -> None:
    """Create a staff user and print its API token (shown once)."""
    from app.bootstrap import process_runtime
    from app.staff.models import Role
    from app.staff.service import InvalidUsername, UsernameTaken, create_staff_user

    try:
        staff_role = Role(role)
    except ValueError:
        typer.echo(f"unknown role {role!r}", err=True)
        raise typer.Exit(2) from None
    rt = process_runtime()
    try:
        with rt.sessions.unit_of_work() as session:
            user, token = create_staff_user(session, username, staff_role, rt.clock())
    except (InvalidUsername, UsernameTaken) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created {user.username} ({user.role}); token (shown once):\n{token}")


@ledger_app.command("seal")
def ledger_seal() -> None:
    """Seal every queued entry into signed blocks now."""
    from app.accounting.tasks import seal_ledger
    from app.bootstrap import process_runtime

    total = 0
    while (sealed := seal_ledger(process_runtime())) > 0:
        total += sealed
    typer.echo(f"sealed {total} entries")


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Recompute every seal block and every account's totals; exit 1 naming what disagrees."""
    from app.accounting.keys import trusted_public_keys
    from app.accounting.schemas import VerifyOut
    from app.bootstrap import process_runtime
    from ledger import Ledger

    rt = process_runtime()
    with rt.sessions.reader() as session:
        report = Ledger(session, rt.clock).verify(trusted_public_keys(rt.settings))
    typer.echo(VerifyOut.of(report).model_dump_json())
    for problem in report.problems():
        typer.echo(problem, err=True)
    if not report.ok:
        raise typer.Exit(1)


@scoring_app.command("train")
def scoring_train(
    data: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Labelled CSV")],
    label: Annotated[str, typer.Option(help="The label column")],
    bad_value: Annotated[str, typer.Option(help="The label value of a bad outcome")] = "bad",
    seed: Annotated[int, typer.Option()] = 20261128,
    folds: Annotated[int, typer.Option(min=2, max=20)] = 10,
    name: Annotated[str | None, typer.Option(help="Version name (default: the file's)")] = None,
    by: Annotated[
        str | None,
        typer.Option(help="The staff user (admin or credit officer) who trains it; to store"),
    ] = None,
    store: Annotated[bool, typer.Option(help="Store it as a draft version in the database")] = True,
    out: Annotated[Path | None, typer.Option(help="Also write the scorecard (JSON)")] = None,
) -> None:
    """Cross-validate a scorecard on a labelled CSV beside a plain logistic regression on the
    same folds, train it on all rows and store it as a draft version, audited under ``--by``
    (activating it is a maker-checker request in the admin API). The last line printed is
    the metrics as JSON."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.scoring.training import NotLabelledError, load_labelled_csv
    from app.scoring.versions import TrainedCard, data_fingerprint, store_version
    from app.scoring.workbench import train_and_evaluate

    trainer = None
    try:
        if store:
            trainer = _scorecard_trainer(by)
        table = load_labelled_csv(data, label, bad_value)
    except (NotLabelledError, ValueError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as exc:
        typer.echo(_database_trouble(exc), err=True)
        raise typer.Exit(1) from None
    card, metrics = train_and_evaluate(table, folds=folds, seed=seed)
    if out is not None:
        out.write_text(json.dumps(card.to_dict(), indent=2) + "\n")
        typer.echo(f"scorecard written to {out}")
    if trainer is not None:
        from app.bootstrap import process_runtime

        rt = process_runtime()
        fingerprint = data_fingerprint(data.read_bytes(), label, bad_value)
        with rt.sessions.unit_of_work() as session:
            version_id = store_version(
                session,
                TrainedCard(
                    card=card,
                    name=name or data.stem,
                    metrics=metrics,
                    data_fingerprint=fingerprint,
                    data_rows=len(table.bad),
                ),
                trained_by=trainer,
                now=rt.clock(),
            ).id
        metrics = {**metrics, "version": version_id}
        typer.echo(f"stored as draft scorecard version {version_id}")
    typer.echo(json.dumps(metrics))


def _scorecard_trainer(username: str | None) -> Actor:
    """The staff user storing a version: an active admin or credit officer."""
    from sqlalchemy import select

    from app.audit.log import Actor
    from app.bootstrap import process_runtime
    from app.staff.models import Role, StaffUser

    if username is None:
        raise ValueError("--by USERNAME (an admin or credit officer) is needed to store it")
    with process_runtime().sessions.reader() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    allowed = {Role.ADMIN.value, Role.CREDIT_OFFICER.value}
    if user is None or user.disabled_at is not None or user.role not in allowed:
        raise ValueError(f"{username!r} is not an active admin or credit officer")
    return Actor(user.username, user.role)


def _database_trouble(exc: Exception) -> str:
    return (
        f"the database cannot be used ({type(exc).__name__}): is it reachable and migrated "
        "(mkopo migrate)?"
    )


@scoring_app.command("simulate")
def scoring_simulate(
    out: Annotated[Path, typer.Option(dir_okay=False, help="The labelled CSV to write")],
    borrowers: Annotated[int, typer.Option(min=50, max=100_000)] = 2_000,
    seed: Annotated[int, typer.Option()] = 20261128,
) -> None:
    """SIMULATION ONLY: a labelled CSV of simulated borrowers' features (label column
    ``default``, bad value ``bad``), to train a scorecard with ``mkopo scoring train``."""
    from app.clock import business_date, system_clock
    from app.scoring.simulated import simulated_population, write_csv

    table = simulated_population(borrowers, seed, business_date(system_clock()))
    write_csv(table, out)
    typer.echo(f"{len(table.bad)} simulated borrowers written to {out} ({sum(table.bad)} bad)")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit log's hash chain; exit 1 and name the first break if it fails."""
    from dataclasses import asdict

    from app.audit.chain import verify_chain
    from app.bootstrap import process_runtime

    with process_runtime().sessions.reader() as session:
        report = verify_chain(session)
    typer.echo(
        json.dumps(
            {
                "ok": report.ok,
                "records_checked": report.records_checked,
                "first_break": asdict(report.first_break) if report.first_break else None,
            }
        )
    )
    if not report.ok:
        raise typer.Exit(1)


@mpesa_app.command("register-urls")
def mpesa_register_urls(
    response_type: Annotated[
        str, typer.Option(help="What M-Pesa does when our validation does not answer")
    ] = "Completed",
) -> None:
    """Register our C2B validation and confirmation URLs for the paybill (in production
    Safaricom accepts this once; changing them later needs their support)."""
    from app.bootstrap import process_runtime
    from integrations.mpesa.client import DarajaClient

    payments = process_runtime().ports.payments
    if not isinstance(payments, DarajaClient):
        typer.echo("MKOPO_PAYMENT_PROVIDER is not daraja: nothing to register", err=True)
        raise typer.Exit(1)
    ack = payments.register_c2b_urls(
        payments.callback_url("c2b/confirmation"),
        payments.callback_url("c2b/validation"),
        response_type,
    )
    typer.echo(json.dumps({"accepted": ack.accepted, "code": ack.code, "reason": ack.reason}))
    if not ack.accepted:
        raise typer.Exit(1)


@borrowers_app.command("renetwork")
def borrowers_renetwork(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, change nothing")] = False,
) -> None:
    """Correct each borrower's network from their decrypted number (those opted in before
    Airtel support are all ``safaricom``); borrowers with a payout or push in flight are
    skipped and listed. Prints the counts as JSON; running it again changes nothing."""
    from app.admin.borrower_networks import renetwork_borrowers
    from app.bootstrap import process_runtime

    rt = process_runtime()
    cipher = rt.field_crypto().cipher  # the field keys only: no provider is needed
    with rt.sessions.unit_of_work() as session:
        report = renetwork_borrowers(session, cipher, rt.clock(), dry_run=dry_run)
    typer.echo(json.dumps(report.as_dict(dry_run)))


@borrowers_app.command("backfill-adult-on")
def borrowers_backfill_adult_on(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, change nothing")] = False,
) -> None:
    """Write the day each borrower turned 18 for those who opted in before migration 0024,
    from their decrypted date of birth (until then the database gives them no new loan);
    those who were minors when they opted in are listed, never written. Prints JSON."""
    from app.bootstrap import process_runtime
    from app.borrowers.adult_backfill import backfill_adult_on

    rt = process_runtime()
    cipher = rt.field_crypto().cipher
    with rt.sessions.unit_of_work() as session:
        report = backfill_adult_on(session, cipher, dry_run=dry_run)
    typer.echo(json.dumps(report.as_dict(dry_run)))


class _OneLineArgumentErrors(TyperCommand):
    """Bad arguments: one line on stderr and exit 2 (for scripts), not a help panel."""

    # typer passes its own Context; the base class names click's, which typer vendors privately
    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        try:
            return super().parse_args(ctx, args)
        except typer.TyperException as exc:  # click's usage errors, as vendored by typer
            typer.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
            raise typer.Exit(2) from None


@loans_app.command("schedule", cls=_OneLineArgumentErrors)
def loans_schedule(
    principal: Annotated[str | None, typer.Option(help="KES: 100000 or 100000.50")] = None,
    annual_rate: Annotated[str | None, typer.Option(help="Percent a year: 7 or 7.25")] = None,
    method: Annotated[str | None, typer.Option(help="emi|declining|flat")] = None,
    frequency: Annotated[str | None, typer.Option(help="weekly|fortnightly|monthly")] = None,
    term: Annotated[str | None, typer.Option(help="Number of instalments")] = None,
    start: Annotated[str | None, typer.Option(help="Disbursement date YYYY-MM-DD")] = None,
    first_due: Annotated[str | None, typer.Option(help="A broken first period's due date")] = None,
    grace_principal: Annotated[str, typer.Option(help="Interest-only instalments")] = "0",
    grace_interest: Annotated[str, typer.Option(help="Instalments deferring interest")] = "0",
    rounding: Annotated[str, typer.Option("--round", help="cents|shillings")] = "cents",
    day_count: Annotated[str, typer.Option(help="act365|30/360")] = "act365",
) -> None:
    """Print a repayment schedule (docs/instalments.md): a JSON line per instalment, then
    the totals. Bad arguments exit 2 with one line on stderr."""
    from app.loan_math.schedules.methods import generate
    from app.loan_math.schedules.render import TermsText, schedule_lines, terms_from_text
    from app.loan_math.schedules.terms import InvalidTerms

    try:
        schedule = generate(
            terms_from_text(
                TermsText(
                    principal=principal,
                    annual_rate=annual_rate,
                    method=method,
                    frequency=frequency,
                    term=term,
                    start=start,
                    first_due=first_due,
                    grace_principal=grace_principal,
                    grace_interest=grace_interest,
                    rounding=rounding,
                    day_count=day_count,
                )
            )
        )
    except InvalidTerms as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for line in schedule_lines(schedule):
        typer.echo(line)


@crb_app.command("export", cls=_OneLineArgumentErrors)
def crb_export(
    on: Annotated[str, typer.Option("--date", help="File date YYYY-MM-DD")],
    kind: Annotated[str, typer.Option(help="daily|monthly")],
    out: Annotated[Path, typer.Option(help="Folder: one sub-folder per bureau", file_okay=False)],
) -> None:
    """Write each bureau's consumer and account files of a date (validated first; a file
    that breaks the template is not written and the command exits 1 with the errors). Bad
    arguments exit 2 with one line on stderr. Nothing is submitted or recorded."""
    from datetime import date

    from app.bootstrap import process_runtime
    from app.crb.book import UnreadableBorrower
    from app.crb.export import FileKind, InvalidExport, build_files, write_files
    from app.security.fields import InvalidFieldKeysFile

    try:
        as_of, file_kind = date.fromisoformat(on), FileKind(kind)
    except ValueError:
        typer.echo("error: --date is YYYY-MM-DD and --kind is daily or monthly", err=True)
        raise typer.Exit(2) from None
    rt = process_runtime()
    try:
        cipher = rt.field_crypto().cipher
        with rt.sessions.reader() as session:
            files = build_files(session, cipher, as_of, file_kind)
    except (InvalidExport, UnreadableBorrower, InvalidFieldKeysFile, OSError) as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None
    for path in write_files(files, out):
        typer.echo(str(path))


@crb_app.command("rejections")
def crb_rejections() -> None:
    """Records the bureaus rejected and no later accepted file has corrected, as JSON lines."""
    from app.bootstrap import process_runtime
    from app.crb.submissions import open_rejections

    rt = process_runtime()
    with rt.sessions.reader() as session:
        for row in open_rejections(session):
            typer.echo(json.dumps(row))


@staff_app.command("set-password")
def staff_set_password(
    username: Annotated[str, typer.Argument()],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="12 to 200 characters (asked for when not given)",
        ),
    ],
) -> None:
    """Set a staff user's console password (and lift any lockout)."""
    from app.bootstrap import process_runtime
    from app.staff.credentials import UnknownStaffUser, WeakPassword, set_password

    rt = process_runtime()
    try:
        with rt.sessions.unit_of_work() as session:
            set_password(session, username, password)
    except (UnknownStaffUser, WeakPassword) as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"password set for {username}")


@staff_app.command("enroll-totp")
def staff_enroll_totp(username: Annotated[str, typer.Argument()]) -> None:
    """Give a staff user a new TOTP secret (the old one stops working); prints it once, with
    the otpauth:// URI an authenticator app takes."""
    from app.bootstrap import process_runtime
    from app.staff.credentials import UnknownStaffUser, enroll_totp, totp_uri

    rt = process_runtime()
    try:
        with rt.sessions.unit_of_work() as session:
            secret = enroll_totp(session, rt.field_crypto().cipher, username)
    except UnknownStaffUser as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"TOTP secret for {username} (shown once):\n{secret}\n{totp_uri(secret, username)}")


@staff_app.command("totp-code")
def staff_totp_code(username: Annotated[str, typer.Argument()]) -> None:
    """The code a staff user's authenticator shows now: the demo's stand-in for a phone.
    Refused (exit 2) outside a development SQLite setup: elsewhere a second factor read off
    the server would be no second factor."""
    from app.bootstrap import process_runtime
    from app.settings import get_settings
    from app.staff.credentials import UnknownStaffUser, current_code

    settings = get_settings()
    if not settings.is_sqlite or settings.environment == "production":
        typer.echo("totp-code only works on the local SQLite (demo) setup", err=True)
        raise typer.Exit(2)
    rt = process_runtime()
    try:
        with rt.sessions.reader() as session:
            code = current_code(session, rt.field_crypto().cipher, username, rt.clock())
    except UnknownStaffUser as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from None
    typer.echo(code)


def main() -> None:
    app(prog_name="mkopo")


if __name__ == "__main__":
    main()
