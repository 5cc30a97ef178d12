"""`mikrobot`: the command line. Each command wires settings → stages → output, nothing more."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from bot.context import load_triage_context
from bot.settings import Settings
from bot.triage import TriageContext, error_verdict, read_mail, triage_safely
from bot.verdict import Category, Verdict

log = logging.getLogger("mikrobot")
DEFAULT_LABELS = Path("fixtures/labels.jsonl")


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
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
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
@click.option("--epochs", default=12, show_default=True)
def train(labels: Path, split: str, out: Path | None, epochs: int) -> None:
    """Train the text classifier on the labelled fixtures and save it."""
    from bot.classify.model import save_classifier, train_classifier
    from bot.evaluate import read_labels

    settings = Settings()
    context = load_triage_context(settings, with_model=False)
    root = labels.resolve().parents[1]
    examples = []
    for label in read_labels(labels, split):
        read = read_mail((root / label.file).read_bytes(), context)
        examples.append((read.inputs, Category(label.category)))
    classifier = train_classifier(examples, epochs=epochs)
    target = out or settings.model_dir
    save_classifier(classifier, target)
    click.echo(f"trained on {len(examples)} mails ({split} split); saved to {target}", err=True)


@main.command()
@click.option("--labels", type=click.Path(exists=True, path_type=Path), default=DEFAULT_LABELS)
@click.option("--split", default="test", show_default=True, help="Which labelled split to score.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option("--errors", default=0, help="Also list this many disagreements.")
def evaluate(labels: Path, split: str, as_json: bool, errors: int) -> None:
    """Precision, recall, F1, confusion matrix, field and missing-item accuracy."""
    from bot.evaluate import evaluate as score
    from bot.evaluate import read_labels

    context = load_triage_context(Settings())
    root = labels.resolve().parents[1]
    pairs = [
        (label, triage_file(root / label.file, context)) for label in read_labels(labels, split)
    ]
    report = score(pairs)
    click.echo(json.dumps(report.to_json(), indent=2) if as_json else report.to_text(errors))


@main.command()
@click.option("--once", is_flag=True, help="Process what is waiting, deliver replies, and exit.")
def run(once: bool) -> None:
    """The service: file every mail as a ticket, move it, and send the replies."""
    from bot.service import open_service, stop_on_signals

    settings = Settings()
    service = open_service(settings, load_triage_context(settings))
    stop_on_signals(service)
    try:
        stats = service.run(once=once)
    finally:
        service.source.close()
        service.sender.close()
    click.echo(
        f"fetched {stats.fetched}, filed {stats.filed} ({stats.duplicates} already filed), "
        f"replies sent {stats.replies_sent}, rejected {stats.replies_failed}",
        err=True,
    )


@main.command()
@click.option("--category", type=click.Choice([c.value for c in Category]), default=None)
@click.option("--status", default=None, help="new, waiting_for_applicant, ready or closed.")
@click.option("--limit", default=100, show_default=True)
def tickets(category: str | None, status: str | None, limit: int) -> None:
    """The tickets in the store, newest first."""
    from rich.table import Table

    from bot.store import Store

    settings = Settings()
    store = Store.open(settings.database, settings.raw_mail_dir)
    table = Table()
    for column in ("ticket", "case ref.", "category", "status", "missing", "organisation", "mails"):
        table.add_column(column)
    for ticket in store.tickets(category=category, status=status, limit=limit):
        _, mails, _ = store.ticket(ticket.id) or (ticket, [], [])
        table.add_row(
            ticket.reference,
            ticket.case_reference or "",
            ticket.category,
            ticket.status,
            ", ".join(ticket.missing),
            str(ticket.fields.get("organization_name") or ""),
            str(len(mails)),
        )
    _console().print(table)
