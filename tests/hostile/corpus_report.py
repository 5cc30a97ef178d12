"""Every file of the public corpora through the whole pipeline, and the README's table of it.

Mail (`*.eml`, each message of an `*.mbox`) is delivered as it is; every other file (PDF,
DOCX, XLSX, TNEF, an Outlook `.msg`) arrives as the attachment of a generated mail, TNEF
as `winmail.dat`. `tests/hostile/test_public_corpora.py` runs this and asserts on it;

    .venv/bin/python -m tests.hostile.corpus_report

prints the figures for README's "Hostile mail" section (with the production settings).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import mimetypes
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.triage import TriageContext
from tests.conftest import make_mail, shared_corpora_dir
from tests.hostile.pipeline import Pipeline

_MBOX_FROM = re.compile(rb"^From [^\n]*\n", re.MULTILINE)
_CONTENT_TYPES = {
    ".tnef": "application/ms-tnef",
    ".xlsm": "application/vnd.ms-excel.sheet.macroenabled.12",
}


def corpus_files(root: Path) -> list[str]:
    """The files `manifest.tsv` lists (the corpora's own inventory), in its order."""
    with (root / "manifest.tsv").open(newline="") as handle:
        return [row["path"] for row in csv.DictReader(handle, delimiter="\t")]


def mails_of(root: Path, relative: str) -> Iterator[tuple[str, bytes]]:
    """(label, raw mail) for one corpus file: the mail itself, its messages, or a carrier."""
    path = root / relative
    suffix = path.suffix.lower()
    if suffix == ".eml":
        yield relative, path.read_bytes()
    elif suffix == ".mbox":
        # Split by hand: `mailbox.mbox` opens the file for writing.
        messages = _MBOX_FROM.split(path.read_bytes())
        for number, message in enumerate((m for m in messages if m.strip()), 1):
            yield f"{relative}#{number}", message
    else:
        name = "winmail.dat" if suffix == ".tnef" else path.name
        content_type = (
            _CONTENT_TYPES.get(suffix)
            or mimetypes.guess_type(path.name)[0]
            or "application/octet-stream"
        )
        carrier = make_mail(
            "Vedlagt følger dokumentet.",
            subject=f"Vedlegg: {path.name}",
            attachments=[(name, content_type, path.read_bytes())],
        )
        yield relative, carrier


def rss_mb(field_name: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss() -> None:
    """Linux: make VmHWM start again from the current RSS (best effort)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


@dataclass
class CorpusReport:
    files: int = 0
    mails: int = 0
    filed: int = 0
    tickets: set[int] = field(default_factory=set)
    categories: Counter[str] = field(default_factory=Counter)
    replies: Counter[str] = field(default_factory=Counter)
    mails_with_errors: int = 0
    attachment_errors: int = 0
    mails_with_defects: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)
    """label → the errors on its ticket (empty list: none)."""
    crashes: list[str] = field(default_factory=list)
    unfiled: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rss_start_mb: float = 0.0
    rss_end_mb: float = 0.0
    peak_rss_mb: float = 0.0
    slowest: list[tuple[float, str]] = field(default_factory=list)

    def markdown(self) -> str:
        categories = ", ".join(f"{name} {count}" for name, count in self.categories.most_common())
        replies = ", ".join(f"{name} {count}" for name, count in self.replies.most_common())
        rows = [
            ("files tried (manifest.tsv)", str(self.files)),
            ("mails through the pipeline", str(self.mails)),
            ("verdicts / tickets filed", f"{self.filed} / {self.filed} (in {len(self.tickets)} tickets)"),
            ("verdicts by category", categories),
            ("reply decisions", replies),
            ("mails with an error shown on the ticket", str(self.mails_with_errors)),
            ("attachment errors shown", str(self.attachment_errors)),
            ("mails with parser defects noted", str(self.mails_with_defects)),
            ("crashes (exceptions escaping)", str(len(self.crashes))),
            ("mails not filed", str(len(self.unfiled))),
            ("wall time", f"{self.seconds:.0f} s"),
            ("test process RSS start → end (peak)",
             f"{self.rss_start_mb:.0f} → {self.rss_end_mb:.0f} MB ({self.peak_rss_mb:.0f} MB)"),
        ]  # fmt: skip
        lines = ["| figure | value |", "|---|---|"]
        lines += [f"| {name} | {value} |" for name, value in rows]
        return "\n".join(lines)


def run_corpus(root: Path, workdir: Path, context: TriageContext) -> CorpusReport:
    pipeline = Pipeline(workdir, context)
    report = CorpusReport()
    reset_peak_rss()
    report.rss_start_mb = rss_mb("VmRSS")
    started = time.perf_counter()
    for relative in corpus_files(root):
        report.files += 1
        for label, raw in mails_of(root, relative):
            report.mails += 1
            began = time.perf_counter()
            filed = pipeline.file(raw)
            report.slowest.append((time.perf_counter() - began, label))
            if filed.crash is not None:
                report.crashes.append(f"{label}: {filed.crash}")
                continue
            if filed.verdict is None or filed.ticket_id is None:
                report.unfiled.append(label)
                continue
            report.filed += 1
            report.tickets.add(filed.ticket_id)
            report.categories[filed.verdict["category"]] += 1
            report.replies[filed.verdict["reply"]["action"]] += 1
            report.errors[label] = filed.errors
            report.mails_with_errors += bool(filed.errors)
            report.attachment_errors += sum(1 for a in filed.attachments if "error" in a)
            report.mails_with_defects += bool(filed.defects)
    report.seconds = time.perf_counter() - started
    report.rss_end_mb = rss_mb("VmRSS")
    report.peak_rss_mb = rss_mb("VmHWM")
    report.slowest = sorted(report.slowest, reverse=True)[:5]
    return report


def main() -> None:
    from bot.context import load_triage_context
    from bot.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=shared_corpora_dir())
    arguments = parser.parse_args()
    context = load_triage_context(Settings())
    with tempfile.TemporaryDirectory(prefix="mikrobot-corpora-") as workdir:
        report = run_corpus(arguments.corpora, Path(workdir), context)
    print(report.markdown())
    for seconds, label in report.slowest:
        print(f"slowest: {seconds:.1f} s {label}")
    for crash in report.crashes:
        print(f"CRASH {crash}")


if __name__ == "__main__":
    main()
