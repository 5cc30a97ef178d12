"""Shared test helpers: building mails inline, locating the public corpora, the triage context."""

from __future__ import annotations

import hashlib
import io
import mailbox
import os
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF
from PIL import Image

from bot.context import load_triage_context
from bot.replies.senders import FileSender
from bot.service import Service
from bot.settings import Settings
from bot.sources import open_source
from bot.store import Store
from bot.triage import TriageContext

REPO = Path(__file__).resolve().parents[1]

EVERY_MAIL_ANSWERED = "2000-01-01T00:00:00+00:00"
"""A reply cut-off before any test mail. Tests put their mail in the inbox and then start the
bot, which by default files such a backlog unanswered; they test answering, so they set
this (the cut-off's own tests pass `reply_cutoff` explicitly, which wins over the env)."""
os.environ.setdefault("MIKROBOT_REPLY_CUTOFF", EVERY_MAIL_ANSWERED)


def shared_corpora_dir() -> Path:
    """`../shared/corpora` beside the checkout (CI lays it there), or MIKROBOT_SHARED_CORPORA."""
    configured = os.environ.get("MIKROBOT_SHARED_CORPORA")
    return Path(configured) if configured else REPO.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    path = shared_corpora_dir()
    if not path.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"public corpora not found at {path} (CI must have ../shared)")
        pytest.skip(f"public corpora not found at {path}")
    return path


@pytest.fixture(scope="session")
def context() -> TriageContext:
    """The production context: committed rules, requirements and trained model."""
    return load_triage_context(Settings())


@pytest.fixture(scope="session")
def rules_only_context() -> TriageContext:
    return load_triage_context(Settings(), with_model=False)


def make_mail(
    body: str,
    *,
    subject: str = "Søknad om tilgang til mikrodata",
    sender: str = "Kari Nordmann <kari.nordmann@bergen.kommune.no>",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    html: str | None = None,
    message_id: str | None = None,
) -> bytes:
    """A realistic mail built with the stdlib, so the test shows its own input.

    Its Message-ID is derived from its content unless given: two different test mails are
    two mails, and the same mail built twice is one mail delivered twice."""
    if message_id is None:
        digest = hashlib.sha256(
            repr((body, subject, sender, headers, attachments, html)).encode()
        ).hexdigest()[:16]
        message_id = f"<test-{digest}@bergen.kommune.no>"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "mikrodata@ssb.no"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Mon, 03 Mar 2025 09:15:00 +0100"
    for name, value in (headers or {}).items():
        message[name] = value
    if html is not None and not body:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
    for filename, content_type, payload in attachments or []:
        maintype, subtype = content_type.split("/")
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def maildir_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """The embedded default's settings in `tmp_path`, its Maildir inbox created."""
    settings = Settings(
        source=str(tmp_path / "inbox"),
        smtp=str(tmp_path / "outbox"),
        database=f"sqlite:///{tmp_path / 'mikrobot.db'}",
        raw_mail_dir=tmp_path / "mail",
        **overrides,
    )
    mailbox.Maildir(settings.source, create=True)
    return settings


def maildir_service(tmp_path: Path, context: TriageContext, **overrides: Any) -> Service:
    """The embedded default as `make demo` runs it: Maildir inbox, SQLite, .eml replies."""
    settings = maildir_settings(tmp_path, **overrides)
    store = Store.open(settings.database, settings.raw_mail_dir)
    return Service(
        settings, context, open_source(settings.source), store, FileSender(settings.smtp)
    )


def image_only_pdf(page: Image.Image) -> bytes:
    """A page image as an image-only PDF: what a scanner sends (read by OCR)."""
    png = io.BytesIO()
    page.save(png, format="PNG")
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(io.BytesIO(png.getvalue()), x=0, y=0, w=210, h=297)
    return bytes(pdf.output())
