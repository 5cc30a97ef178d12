"""First import: a backlog that arrived before the bot's first start is filed, not answered.

"Arrived" is the server's INTERNALDATE (the Maildir file's time), never the Date header a
sender wrote: a mail from last year with a forged fresh Date is still backlog.
"""

# ruff: noqa: F811 - pytest fixtures imported from tests/sources/conftest.py
from __future__ import annotations

import datetime as dt
import mailbox
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.replies.senders import FileSender
from bot.service import Service
from bot.settings import Settings
from bot.sources import open_source
from bot.store import Store
from bot.triage import TriageContext
from tests.conftest import maildir_service, make_mail
from tests.sources.conftest import account, dovecot, imap_url  # noqa: F401
from tests.sources.dovecot import Account, DovecotServer
from tests.store.test_store import FORM

LAST_YEAR = dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.UTC)


def application(n: int, *, date: str = "Fri, 27 Nov 2026 08:00:00 +0100") -> bytes:
    raw = make_mail(
        "Vedlagt er søknaden vår om tilgang til mikrodata.",
        sender=f"Søker {n} <soker.{n}@uio.no>",
        attachments=[FORM],
        message_id=f"<backlog-{n}@uio.no>",
    )
    return re.sub(rb"(?m)^Date: .*$", f"Date: {date}".encode(), raw, count=1)


def answered(outbox: Path) -> int:
    return len(list(outbox.glob("*.eml"))) if outbox.exists() else 0


def test_a_maildir_backlog_older_than_the_first_start_is_filed_without_replies(
    tmp_path: Path, context: TriageContext
) -> None:
    service = maildir_service(tmp_path, context, reply_cutoff=None)
    inbox = mailbox.Maildir(service.settings.source, create=False)
    for n in range(5):
        key = inbox.add(mailbox.MaildirMessage(application(n)))
        path = Path(service.settings.source) / "new" / key
        os.utime(path, (LAST_YEAR.timestamp(), LAST_YEAR.timestamp()))

    stats = service.run(once=True)
    assert stats.filed == 5 and stats.backlog == 5
    assert answered(Path(service.settings.smtp)) == 0
    reasons = {
        e.detail.get("reason")
        for t in service.store.tickets()
        for e in service.store.ticket(t.id)[2]
    }  # type: ignore[index]
    assert "arrived before the reply cut-off" in reasons

    time.sleep(0.01)
    inbox.add(mailbox.MaildirMessage(application(99)))  # arrives after the first start
    stats = service.run(once=True)
    service.close()
    assert stats.filed == 6 and answered(Path(service.settings.smtp)) == 1


def test_the_first_start_is_remembered_so_a_restart_does_not_move_the_cut_off(
    tmp_path: Path, context: TriageContext
) -> None:
    first = maildir_service(tmp_path, context, reply_cutoff=None)
    assert first.fetcher.try_start()
    cutoff = first.fetcher.cutoff
    first.fetcher.release()
    time.sleep(0.01)
    again = maildir_service(tmp_path, context, reply_cutoff=None)
    assert again.fetcher.try_start()
    assert again.fetcher.cutoff == cutoff is not None
    first.close()
    again.close()


@pytest.fixture
def imap_service(
    tmp_path: Path,
    context: TriageContext,
    dovecot: DovecotServer,
    account: Account,
) -> Iterator[Service]:
    settings = Settings(
        source=imap_url(account, dovecot.imap_port),
        smtp=str(tmp_path / "outbox"),
        database=f"sqlite:///{tmp_path / 'mikrobot.db'}",
        raw_mail_dir=tmp_path / "mail",
        reply_cutoff=None,
        poll_interval=0.2,
    )
    source = open_source(settings.source, poll_interval=0.2)
    service = Service(
        settings, context, source, Store.open(settings.database, settings.raw_mail_dir),
        FileSender(settings.smtp),
    )  # fmt: skip
    yield service
    service.close()


def test_imap_backlog_is_judged_by_internaldate_not_by_the_date_header(
    imap_service: Service,
    dovecot: DovecotServer,
    account: Account,
) -> None:
    for n in range(3):  # fresh Date headers, but the server received them last year
        dovecot.append(account, application(n), when=LAST_YEAR)
    stats = imap_service.run(once=True)
    assert stats.filed == 3 and stats.backlog == 3
    assert answered(Path(imap_service.settings.smtp)) == 0

    dovecot.append(account, application(7, date="Mon, 01 Jan 2024 08:00:00 +0100"))
    stats = imap_service.run(once=True)  # an old Date header, but it arrived just now
    assert stats.filed == 4 and answered(Path(imap_service.settings.smtp)) == 1
