"""Whether multi-mail cases complete: each thread replayed into an empty store, step by step.

A thread set (`threads.jsonl`) lists for every mail the ticket it must open or join, the
case's category after it, the reply action and the items that reply lists. The replay
runs the service's own path — triage, `Store.file_mail`, the one reply decision and
composer — on a fresh SQLite store per thread, and gives the bot's reply to step SS of
thread tNN the Message-ID `<tNN-SS.reply@mikrobot.test>`, so that a later mail written
as an answer to it threads the way a real one would.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.replying import Answerer
from bot.settings import Settings
from bot.store import Store
from bot.triage import TriageContext, triage_with_mail

REPLY_DOMAIN = "mikrobot.test"
_FIXED_NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class ThreadStep:
    file: str
    ticket: str
    """`new`, or the ticket reference (`MB-000001`) the mail must join (`_opened_or_joined`)."""
    case_category: str
    reply_action: str
    reply_missing: tuple[str, ...]


@dataclass(frozen=True)
class Thread:
    name: str
    steps: tuple[ThreadStep, ...]


def _opened_or_joined(labels: list[str]) -> list[str]:
    """Each step's ticket as `new` or the reference it joins. Writers label a mail that opens
    a ticket either `new` or with the reference it will get: a thread replays into an empty
    store, so the first mention of `MB-000002` is the mail that opens it."""
    known: set[str] = set()
    tickets = []
    for label in labels:
        if label == "new" or label not in known:
            known.add(label if label != "new" else f"MB-{len(known) + 1:06d}")
            tickets.append("new")
        else:
            tickets.append(label)
    return tickets


def read_threads(path: Path) -> list[Thread]:
    threads = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item: dict[str, Any] = json.loads(line)
        tickets = _opened_or_joined([step["ticket"] for step in item["steps"]])
        steps = tuple(
            ThreadStep(
                file=step["file"],
                ticket=ticket,
                case_category=step["case_category"],
                reply_action=step["reply_action"],
                reply_missing=tuple(sorted(step.get("reply_missing") or ())),
            )
            for step, ticket in zip(item["steps"], tickets, strict=True)
        )
        threads.append(Thread(item["thread"], steps))
    return threads


@dataclass
class ThreadReport:
    threads: int = 0
    threads_right: int = 0
    steps: int = 0
    steps_right: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "threads_complete_correctly": self.threads_right,
            "steps": self.steps,
            "steps_right": self.steps_right,
            "step_accuracy": self.steps_right / self.steps if self.steps else 0.0,
        }

    def to_text(self, show_errors: int = 0) -> str:
        lines = [
            f"threads that complete correctly: {self.threads_right}/{self.threads}",
            f"steps whose ticket, case category and reply were right: "
            f"{self.steps_right}/{self.steps}",
        ]
        if show_errors:
            lines += ["", f"first {show_errors} wrong steps:", *self.errors[:show_errors]]
        return "\n".join(lines)


def replay(thread: Thread, root: Path, context: TriageContext, folder: Path) -> list[str]:
    """Replay one thread in a fresh store under `folder`; the steps it got wrong."""
    store = Store.open(f"sqlite:///{folder / 'replay.db'}", folder / "raw")
    settings = Settings(
        from_address="mikrodata@ssb.no",
        max_replies_per_sender_per_day=1_000,
        max_replies_per_hour=1_000_000,
    )
    wrong: list[str] = []
    seen: set[int] = set()
    try:
        for number, step in enumerate(thread.steps, start=1):
            raw = (root / step.file).read_bytes()
            verdict, parsed = triage_with_mail(raw, step.file, context)
            answer = Answerer(
                settings,
                now=_FIXED_NOW,
                message_id=f"<{thread.name}-{number:02d}.reply@{REPLY_DOMAIN}>",
            )
            filed = store.file_mail(
                raw=raw,
                source_key=f"{thread.name}:{number}",
                received_at=None,
                verdict=verdict,
                mail=parsed,
                requirements=context.requirements,
                build_reply=answer,
            )
            found = store.ticket(filed.ticket_id)
            assert found is not None
            ticket = found[0]
            replies = {r.mail_id: r for r in store.outbox(ticket.id)}
            reply = replies.get(filed.mail_id)
            action = reply.action if reply is not None else "none"
            listed = tuple(sorted(ticket.missing)) if action == "request_missing" else ()
            joined = ticket.reference if filed.ticket_id in seen else "new"
            got = (joined, ticket.category, action, listed)
            want = (step.ticket, step.case_category, step.reply_action, step.reply_missing)
            if got != want:
                wrong.append(f"{step.file}: got {got}, label {want}")
            seen.add(filed.ticket_id)
    finally:
        store.engine.dispose()
    return wrong


def evaluate_threads(path: Path, context: TriageContext) -> ThreadReport:
    """Every thread of `path` replayed; paths in it are relative to the project root."""
    root = next(
        (folder for folder in path.resolve().parents if (folder / "pyproject.toml").exists()),
        path.resolve().parents[-1],
    )
    report = ThreadReport()
    for thread in read_threads(path):
        with tempfile.TemporaryDirectory(prefix="mikrobot-thread-") as folder:
            wrong = replay(thread, root, context, Path(folder))
        report.threads += 1
        report.threads_right += not wrong
        report.steps += len(thread.steps)
        report.steps_right += len(thread.steps) - len(wrong)
        report.errors.extend(wrong)
    return report
