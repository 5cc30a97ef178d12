"""`mikrobot`: the command line. Each command wires settings → stages → output, nothing more."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar

import click

from bot.classify.model import TRAINING_EPOCHS
from bot.context import load_triage_context
from bot.logs import configure_logging
from bot.settings import Settings
from bot.triage import TriageContext, error_verdict, read_mail, triage_safely
from bot.verdict import Category, Verdict

log = logging.getLogger("mikrobot")
DEFAULT_LABELS = Path("fixtures/labels.jsonl")
CALIBRATION_LABELS = Path("fixtures/handwritten/dev/labels.jsonl")


def mail_files(path: Path) -> Iterator[Path]:
    """One .eml file, or every *.eml below a folder in sorted path order (the contract)."""
    if path.is_dir():
        yield from sorted(p for p in path.rglob("*.eml") if not p.is_dir())
    else:
        yield path


def triage_file(path: Path, context: TriageContext) -> Verdict:
    """Never raises: an unreadable file or a crash in a stage becomes an `error` verdict."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        return error_verdict(str(path), f"cannot read file: {error.strerror or error}")
    return triage_safely(raw, str(path), context)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail to stderr.")
def main(verbose: bool) -> None:
    """mikrobot: triage of SSB's microdata inbox."""
    configure_logging(
        logging.DEBUG if verbose else logging.WARNING,
        "ts=%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
    )
    # pdfminer logs a warning per damaged object; the attachment's `error` already says it.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)


@main.command("triage")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="JSON Lines on stdout (the triage contract).")
def triage_command(path: Path, as_json: bool) -> None:
    """The verdict on one .eml file or every .eml in a folder; touches no mailbox or database."""
    context = load_triage_context(Settings())
    rows = []
    for file in mail_files(path):
        verdict = triage_file(file, context)
        if as_json:
            click.echo(json.dumps(verdict.to_json(), ensure_ascii=False))
        else:
            rows.append(verdict)
    if not as_json:
        _print_table(rows)


def _console() -> Any:
    """Rich's console; as wide as a caseworker's screen even when piped (rich assumes 80)."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=160)


def _print_table(verdicts: list[Verdict]) -> None:
    from rich.table import Table

    table = Table(show_lines=False)
    for column in (
        "file",
        "category",
        "conf.",
        "lang",
        "case ref.",
        "org. no.",
        "missing",
        "reply",
    ):
        table.add_column(column)
    for v in verdicts:
        table.add_row(
            v.file,
            v.category.value + (" (auto)" if v.auto_generated else ""),
            f"{v.confidence:.2f}",
            v.language,
            v.fields.case_reference or "",
            v.fields.organization_number or "",
            ", ".join(v.missing),
            v.reply.action.value if not v.error else f"error: {v.error}",
        )
    _console().print(table)


@main.command()
@click.option("--labels", type=click.Path(exists=True, path_type=Path), default=DEFAULT_LABELS)
@click.option(
    "--split", default="train", show_default=True, help="Which labelled split to learn from."
)
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="Model folder (default: settings)."
)
@click.option("--epochs", default=TRAINING_EPOCHS, show_default=True)
@click.option(
    "--held-out",
    type=click.Path(exists=True, path_type=Path),
    default=CALIBRATION_LABELS,
    show_default=True,
    help="Labelled mail the model never learns from, for the calibration.",
)
def train(labels: Path, split: str, out: Path | None, epochs: int, held_out: Path) -> None:
    """Train the text classifier on the labelled fixtures and save it, then calibrate it."""
    from bot.classify.model import save_classifier, train_classifier
    from bot.evaluate import labelled_mail, read_labels

    settings = Settings()
    context = load_triage_context(settings, with_model=False)
    examples = []
    for label in read_labels(labels, split):
        read = read_mail(labelled_mail(labels, label).read_bytes(), context)
        examples.append((read.inputs, Category(label.category)))
    classifier = train_classifier(examples, epochs=epochs)
    target = out or settings.model_dir
    save_classifier(classifier, target)
    click.echo(f"trained on {len(examples)} mails ({split} split); saved to {target}", err=True)
    _calibrate(labels, split, held_out, target, epochs, context)


@main.command()
@click.option("--labels", type=click.Path(exists=True, path_type=Path), default=DEFAULT_LABELS)
@click.option("--split", default="train", show_default=True, help="The split the model learned.")
@click.option(
    "--held-out",
    type=click.Path(exists=True, path_type=Path),
    default=CALIBRATION_LABELS,
    show_default=True,
    help="Labelled mail the model never learned from.",
)
@click.option("--epochs", default=TRAINING_EPOCHS, show_default=True)
def calibrate(labels: Path, split: str, held_out: Path, epochs: int) -> None:
    """Refit the confidence calibration beside the model (after changing the rules)."""
    settings = Settings()
    context = load_triage_context(settings, with_model=False)
    _calibrate(labels, split, held_out, settings.model_dir, epochs, context)


def _calibrate(
    labels: Path, split: str, held_out: Path, model_dir: Path, epochs: int, context: TriageContext
) -> None:
    """Fit the temperature on the training split out of fold plus `held_out`, and save it.
    Auto-generated mail never reaches the classifier, so it is left out of the fit."""
    from bot.classify import ClassifierInput
    from bot.classify.calibration import fit_calibration, save_calibration
    from bot.classify.model import TextClassifier
    from bot.evaluate import labelled_mail, read_labels

    def inputs(path: Path, which: str | None) -> list[tuple[ClassifierInput, Category]]:
        return [
            (
                read_mail(labelled_mail(path, label).read_bytes(), context).inputs,
                Category(label.category),
            )
            for label in read_labels(path, which)
            if not label.auto_generated
        ]

    model = TextClassifier.load(model_dir).without_calibration()
    calibration = fit_calibration(
        inputs(labels, split),
        inputs(held_out, None),
        context.rules,
        model,
        epochs=epochs,
        names=(f"{labels} {split} split, 5-fold", str(held_out)),
    )
    path = save_calibration(calibration, model_dir)
    click.echo(
        f"calibrated on {calibration.fitted_on} mails: temperature {calibration.temperature}; "
        f"saved to {path}",
        err=True,
    )


@main.command()
@click.option("--labels", type=click.Path(exists=True, path_type=Path), default=DEFAULT_LABELS)
@click.option("--split", default="test", show_default=True, help="Which labelled split to score.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option("--errors", default=0, help="Also list this many disagreements.")
@click.option(
    "--verdicts",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Score these `mikrobot triage --json` lines (e.g. from an older version) instead of "
    "triaging the labelled mail now.",
)
@click.option(
    "--threads",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Also replay this threads.jsonl: does every multi-mail case complete?",
)
def evaluate(
    labels: Path, split: str, as_json: bool, errors: int, verdicts: Path | None,
    threads: Path | None,
) -> None:  # fmt: skip
    """Precision, recall, F1, confusion matrix, field and missing-item accuracy, reply
    action, false requests; with --threads, whether each thread's replies were right."""
    from bot.evaluate import evaluate as score
    from bot.evaluate import labelled_mail, read_labels
    from bot.verdict import Verdict

    context = load_triage_context(Settings())
    if verdicts is not None:
        given = {}
        for line in verdicts.read_text(encoding="utf-8").splitlines():
            if line.strip():
                verdict = Verdict.from_json(json.loads(line))
                given[Path(verdict.file).resolve()] = verdict
        pairs = [
            (label, given[labelled_mail(labels, label).resolve()])
            for label in read_labels(labels, split)
        ]
    else:
        pairs = [
            (label, triage_file(labelled_mail(labels, label), context))
            for label in read_labels(labels, split)
        ]
    report = score(pairs)
    if threads is None:
        click.echo(json.dumps(report.to_json(), indent=2) if as_json else report.to_text(errors))
        return
    from bot.thread_evaluation import evaluate_threads

    replayed = evaluate_threads(threads, context)
    if as_json:
        click.echo(json.dumps({**report.to_json(), "threads": replayed.to_json()}, indent=2))
    else:
        click.echo(report.to_text(errors) + "\n\n" + replayed.to_text(errors))


@main.command()
@click.option("--once", is_flag=True, help="Process what is waiting, deliver replies, and exit.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    help="Triage in N worker processes (PostgreSQL); 0: all in this process.",
)
def run(once: bool, workers: int) -> None:
    """The service: file every mail as a ticket, move it, and send the replies.

    Any number of `mikrobot run` processes may share one PostgreSQL database: one fetches
    each mailbox (the others stand by to take over) and all their workers triage.
    """
    from bot.service import StopOnSignals, WorkerPool, open_service, open_source_and_store

    stop = StopOnSignals()  # first: a SIGTERM while the model loads is a clean stop too
    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    settings = Settings()
    if settings.metrics_address:
        from bot.metrics import serve_metrics

        serve_metrics(_open_store(), settings.metrics_address)
    if workers:
        if settings.database.startswith("sqlite"):
            raise click.UsageError("SQLite has one writer: --workers needs a PostgreSQL database")
        source, store = open_source_and_store(settings)
        pool = WorkerPool(settings, source, store, workers)
        stop.attach(pool)
        try:
            stats = pool.run(once=once)
        finally:
            source.close()
        summary = f"fetched {stats.fetched} ({stats.duplicates} seen before), "
        summary += f"{stats.replies_confirmed} replies confirmed by their copy"
        click.echo(summary, err=True)
        return
    recorded = _open_store()  # where the admin page records the active model version
    try:
        context = load_triage_context(settings, store=recorded)
    finally:
        recorded.engine.dispose()
    service = open_service(settings, context)
    stop.attach(service)
    progress = _progress_display()
    try:
        if progress is not None:
            with progress:
                task = progress.add_task("filing mail", total=None)
                service.on_filed = lambda _key, _verdict: progress.advance(task)
                stats = service.run(once=once)
        else:
            stats = service.run(once=once)
    finally:
        service.close()
    click.echo(
        f"fetched {stats.fetched}, filed {stats.filed}, {stats.backlog} of them from before "
        f"the reply cut-off; replies sent {stats.replies_sent}, rejected {stats.replies_failed}, "
        f"confirmed by their copy {stats.replies_confirmed}",
        err=True,
    )


def _progress_display() -> Any:
    """A progress counter on stderr, only when a person is watching a terminal."""
    from rich.console import Console
    from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        return None
    return Progress(SpinnerColumn(), "{task.description}", MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True)  # fmt: skip


def _open_store() -> Any:
    from bot.store import Store

    settings = Settings()
    return Store.open(settings.database, settings.raw_mail_dir)


@main.command()
def status() -> None:
    """Queue, triage, replies and each mailbox's last good fetch (exit 1 if one is stale)."""
    from datetime import timedelta

    from bot.metrics import format_status, read_status

    settings = Settings()
    held_for = timedelta(hours=settings.personal_data_retention_hours)
    current = read_status(_open_store(), personal_data_held_for=held_for)
    click.echo(format_status(current, stale_after=settings.stale_fetch_after))
    if not current.mailboxes or current.stale(settings.stale_fetch_after):
        raise SystemExit(1)


def _ticket(_context: click.Context, _param: click.Parameter, value: str) -> int:
    """A ticket as people name it: `MB-000013`, as the pages and replies show it, or `13`."""
    from bot.store.tickets import ticket_number  # the store loads only when a command needs it

    number = ticket_number(value)
    if number is None:
        raise click.BadParameter(f"{value!r} is not a ticket reference such as MB-000013 (or 13)")
    return number


@main.group(invoke_without_command=True)
@click.pass_context
def tickets(context: click.Context) -> None:
    """The tickets in the store (`list` when no subcommand is given)."""
    if context.invoked_subcommand is None:
        context.invoke(list_tickets)


@tickets.command("list")
@click.option("--category", type=click.Choice([c.value for c in Category]), default=None)
@click.option("--status", default=None, help="new, waiting_for_applicant, ready or closed.")
@click.option("--limit", default=100, show_default=True)
def list_tickets(category: str | None, status: str | None, limit: int) -> None:
    """The tickets, newest first, with filters."""
    from rich.table import Table

    store = _open_store()
    table = Table()
    for column in ("ticket", "case ref.", "category", "status", "missing", "organisation", "mails"):
        table.add_column(column)
    for ticket in store.tickets(category=category, status=status, limit=limit):
        table.add_row(
            ticket.reference,
            ticket.case_reference or "",
            ticket.category,
            ticket.status,
            ", ".join(ticket.missing),
            str(ticket.fields.get("organization_name") or ""),
            str(len(ticket.mails)),
        )
    _console().print(table)


@tickets.command("show")
@click.argument("ticket_id", metavar="TICKET", callback=_ticket)
def show_ticket(ticket_id: int) -> None:
    """One ticket (MB-000013, or 13): fields, missing items, its mails, replies and history."""
    store = _open_store()
    found = store.ticket(ticket_id)
    if found is None:
        raise click.ClickException(f"no ticket MB-{ticket_id:06d}")
    ticket, mails, events = found
    console = _console()
    console.print(f"[bold]{ticket.reference}[/]  {ticket.category}  {ticket.status}")
    console.print(f"case reference: {ticket.case_reference or '-'}")
    console.print(f"missing: {', '.join(ticket.missing) or '-'}")
    for name, value in ticket.fields.items():
        console.print(f"  {name}: {value if value is not None else '-'}")
    console.print("mails:")
    for mail in mails:
        error = f" (error: {mail.error})" if mail.error else ""
        line = f"  #{mail.id} {mail.created_at:%Y-%m-%d %H:%M} {mail.sender} {mail.subject!r}"
        console.print(f"{line} → {mail.verdict['category']}{error}", markup=False)
    console.print("replies:")
    for reply in store.outbox(ticket_id):
        console.print(f"  {reply.status} {reply.action} to {reply.recipient} {reply.message_id}",
                      markup=False)  # fmt: skip
    console.print("history:")
    for event in events:
        console.print(f"  {event.at:%Y-%m-%d %H:%M:%S} {event.actor} {event.action} {event.detail}",
                      markup=False)  # fmt: skip


@main.command("reply-preview")
@click.argument("ticket_id", metavar="TICKET", callback=_ticket)
def reply_preview(ticket_id: int) -> None:
    """The reply the ticket's newest mail would get now: the same decision and composer as
    the service's reply and the ticket page's preview."""
    from bot.casework import reply_preview as preview

    store = _open_store()
    if store.ticket(ticket_id) is None:
        raise click.ClickException(f"no ticket MB-{ticket_id:06d}")
    click.echo(preview(store, Settings(), ticket_id), nl=False)


@main.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be purged; change nothing.")
@click.option(
    "--older-than",
    type=click.IntRange(min=1),
    default=None,
    help="Days since closing (default: the retention_days setting).",
)
def purge_command(dry_run: bool, older_than: int | None) -> None:
    """Delete raw mail, attachments and texts of tickets closed longer than the retention,
    and the personal data of mails held longer than personal_data_retention_hours."""
    from datetime import timedelta

    from bot.store.personal_data import delete_due_personal_data
    from bot.store.purge import purge

    settings = Settings()
    days = older_than if older_than is not None else settings.retention_days
    store = _open_store()
    report = purge(store, older_than=timedelta(days=days), dry_run=dry_run)
    click.echo(report.summary())
    held_for = timedelta(hours=settings.personal_data_retention_hours)
    deleted = delete_due_personal_data(store, held_for=held_for, dry_run=dry_run, sweep=True)
    click.echo(deleted.summary(held_for))


@main.command()
@click.option(
    "--after",
    type=click.IntRange(min=0),
    default=0,
    help="Go on after this mail id (a stopped run's last progress line names it).",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1, max=10_000),
    default=200,
    show_default=True,
    help="Mails read, then written in one transaction, at a time.",
)
def reindex(after: int, batch: int) -> None:
    """(Re)build the full-text search from the stored raw mail of every filed mail, as
    filing does (attachments extracted, national IDs masked). Idempotent: run it again,
    or stop it and run it again, and the index is the same."""
    from bot.reindex import ReindexReport, reader
    from bot.reindex import reindex as rebuild

    def progress(report: ReindexReport) -> None:
        click.echo(f"reindex: {report.done}/{report.total} mails, up to mail {report.last_mail}",
                   err=True)  # fmt: skip

    read = reader(Settings().limits)
    report = rebuild(_open_store(), read, batch=batch, after=after, progress=progress)
    click.echo(report.summary())


# --- the caseworkers' web pages (issue #5) ---------------------------------------------

PASSWORD_ENV = "MIKROBOT_USER_PASSWORD"
T = TypeVar("T")


@main.command()
@click.option("--host", default=None, help="Listen address (default: settings, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: settings, 8080).")
def serve(host: str | None, port: int | None) -> None:
    """The caseworkers' and admins' web pages on the ticket store."""
    import uvicorn

    from bot.web import create_app

    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    settings = Settings()
    uvicorn.run(
        create_app(settings),
        host=host or settings.web.host,
        port=port or settings.web.port,
        proxy_headers=True,
        forwarded_allow_ips=settings.web.forwarded_allow_ips,
        server_header=False,
        log_level="info",
        log_config=None,  # uvicorn's lines go through the masking formatter (`bot/logs.py`)
    )


@main.group()
def users() -> None:
    """Accounts for the web pages."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["caseworker", "admin"]), default="caseworker")
@click.option("--email", default=None, help="Where assignment notices go (optional).")
def add_user_command(name: str, role: str, email: str | None) -> None:
    """Add a user (or give an existing one a new password and role, enabled, its sessions
    ended); the password is prompted for, or read from MIKROBOT_USER_PASSWORD for scripts.
    At least 12 characters and not easy to guess (`bot/passwords.py`), as in the web."""
    from bot.store.accounts import add_user, checked_email

    if email is not None:
        _account_change(lambda _store: checked_email(email))  # before the password prompt
    password = _new_password()
    user = _account_change(
        lambda store: add_user(store, name, password, role, email=email, by=_cli_actor())
    )
    click.echo(f"{user.name} ({user.role}) saved", err=True)


def _cli_actor() -> str:
    """Who the audit log names for a change made here: the operating-system login."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container's bare uid)
        return "cli"


def _new_password() -> str:
    import os

    return os.environ.get(PASSWORD_ENV) or str(
        click.prompt("password", hide_input=True, confirmation_prompt=True)
    )


def _account_change(change: Callable[[Any], T]) -> T:
    """`change(store)`, with a refusal (a weak password, the last admin …) as a CLI error."""
    from bot.store.errors import CaseworkError

    try:
        return change(_open_store())
    except CaseworkError as error:
        raise click.ClickException(str(error)) from error


@users.command("reset")
@click.argument("name")
def reset_user_command(name: str) -> None:
    """Give a user a new password (prompted, or MIKROBOT_USER_PASSWORD); every session of
    the user ends."""
    from bot.store.accounts import reset_password

    password = _new_password()
    ended = _account_change(lambda store: reset_password(store, name, password, by=_cli_actor()))
    click.echo(f"{name}: new password saved; {ended} sessions ended", err=True)


@users.command("disable")
@click.argument("name")
def disable_user_command(name: str) -> None:
    """Stop a user from logging in; every session of the user ends."""
    from bot.store.accounts import set_active

    ended = _account_change(lambda store: set_active(store, name, False, by=_cli_actor()))
    click.echo(f"{name} disabled; {ended} sessions ended", err=True)


@users.command("enable")
@click.argument("name")
def enable_user_command(name: str) -> None:
    """Let a disabled user log in again (with the password they had)."""
    from bot.store.accounts import set_active

    _account_change(lambda store: set_active(store, name, True, by=_cli_actor()))
    click.echo(f"{name} enabled", err=True)


@users.command("email")
@click.argument("name")
@click.argument("address", required=False)
def user_email_command(name: str, address: str | None) -> None:
    """Set where NAME's assignment notices go; without ADDRESS, NAME gets none."""
    from bot.store.accounts import set_email
    from bot.store.errors import CaseworkError

    try:
        user = set_email(_open_store(), name, address, by=_cli_actor())
    except CaseworkError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{user.name}: notices to {user.email or '(none)'}", err=True)


@users.command("unlock")
@click.argument("name")
@click.option("--address", is_flag=True, help="NAME is a client address, not a user name.")
def unlock_user_command(name: str, address: bool) -> None:
    """Lift the login lock of a user name (as typed at the login, known or not) or, with
    --address, of a client address. Recorded in the audit log; every running `mikrobot
    serve` lifts it within seconds (the admins' users page does the same)."""
    from bot.store.accounts import record_unlock

    kind: Literal["account", "address"] = "address" if address else "account"
    _account_change(lambda store: record_unlock(store, kind, name, by=_cli_actor()))
    click.echo(f"login lock of {kind} {name} lifted (servers apply it within seconds)", err=True)


@users.command("list")
def list_users_command() -> None:
    """The web pages' users."""
    from bot.store.accounts import list_users

    for user in list_users(_open_store()):
        last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"
        state = "" if user.active else " (disabled)"
        click.echo(f"{user.name}\t{user.role}{state}\t{user.email or '-'}\tlast login {last}")


@main.group()
def corrections() -> None:
    """Caseworkers' category corrections: labelled examples for `mikrobot train`."""


@corrections.command("list")
@click.option("--waiting", is_flag=True, help="Only those not yet exported for training.")
def list_corrections(waiting: bool) -> None:
    from bot.store.tickets import corrections as stored

    for row in stored(_open_store(), waiting_only=waiting):
        exported = f"{row.exported_at:%Y-%m-%d}" if row.exported_at else "waiting"
        click.echo(
            f"MB-{row.ticket_id:06d}\tmail {row.mail_id}\t{row.previous_category} → "
            f"{row.category}\t{row.corrected_by}\t{exported}\t{row.subject[:60]}"
        )


@corrections.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--with-fixtures", is_flag=True, help="Also copy the fixtures' train split into the labels."
)
def export_corrections_command(folder: Path, with_fixtures: bool) -> None:
    """Write FOLDER/labels.jsonl and FOLDER/mail/*.eml; then
    `mikrobot train --labels FOLDER/labels.jsonl`."""
    from bot.store.tickets import export_corrections

    also = [DEFAULT_LABELS] if with_fixtures else []
    count = export_corrections(_open_store(), folder, also=also)
    click.echo(
        f"{count} corrections written to {folder / 'labels.jsonl'}; "
        f"train with: mikrobot train --labels {folder / 'labels.jsonl'}",
        err=True,
    )
