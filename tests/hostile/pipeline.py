"""The whole pipeline for one mail at a time: Maildir → triage → ticket store → reply decision.

`Pipeline` is the real `Service` over a Maildir inbox, a SQLite ticket store and a folder
outbox; `file(raw)` delivers one mail, runs the service once and returns what became of it,
read back from the store as a caseworker's ticket shows it: the verdict line (the triage
contract's JSON), the ticket, or the exception that escaped. The hostile-input tests and the
public-corpora run (`corpus_report.py`) share it, so "every mail gets a verdict and a
ticket" means the same thing in both.
"""

from __future__ import annotations

import mailbox
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.replies.senders import FileSender
from bot.service import Service
from bot.settings import Settings
from bot.sources import open_source
from bot.store import Store
from bot.store.models import Mail
from bot.triage import TriageContext


@dataclass(frozen=True)
class Filed:
    """What one mail became: its ticket and verdict line, or the exception that escaped."""

    verdict: dict[str, Any] | None
    ticket_id: int | None
    crash: str | None = None

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return list(self.verdict["attachments"]) if self.verdict else []

    @property
    def errors(self) -> list[str]:
        """The errors a caseworker sees on the ticket: the mail's and its attachments'."""
        if self.verdict is None:
            return []
        found = [str(self.verdict["error"])] if self.verdict.get("error") else []
        return found + [f"{a['filename']}: {a['error']}" for a in self.attachments if "error" in a]

    @property
    def defects(self) -> list[str]:
        rules = self.verdict["evidence"]["rules"] if self.verdict else []
        return [str(rule) for rule in rules if str(rule).startswith("defect:")]


class Pipeline:
    def __init__(self, workdir: Path, context: TriageContext) -> None:
        self.settings = Settings(
            source=str(workdir / "inbox"),
            smtp=str(workdir / "outbox"),
            database=f"sqlite:///{workdir / 'mikrobot.db'}",
            raw_mail_dir=workdir / "mail",
        )
        self.context = context
        self.inbox = mailbox.Maildir(workdir / "inbox", create=True)
        self.store = Store.open(self.settings.database, self.settings.raw_mail_dir)
        self.service = Service(
            self.settings,
            context,
            open_source(self.settings.source),
            self.store,
            FileSender(workdir / "outbox"),
        )

    def file(self, raw: bytes) -> Filed:
        """Deliver one mail and run the service once over it; never raises."""
        key = self.inbox.add(raw)
        source_key = f"maildir:{self.settings.source}:{key}"
        try:
            self.service.run(once=True)
        except Exception as error:
            for left in list(self.inbox.keys()):  # do not let it poison the next mail's run
                self.inbox.discard(left)
            crash = "".join(traceback.format_exception(error)).strip()
            return Filed(None, None, crash=crash)
        with self.store.session() as session:
            row = session.execute(
                select(Mail.ticket_id, Mail.verdict).where(Mail.source_key == source_key)
            ).first()
        if row is None:
            return Filed(None, None)
        return Filed(dict(row.verdict), row.ticket_id)

    def still_in_inbox(self) -> int:
        return len(self.inbox)
