"""The service on the embedded default: Maildir in, SQLite tickets, replies as .eml files."""

from __future__ import annotations

import email
import email.policy
import mailbox
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.requirements import load_requirements
from bot.service import Service, WorkerPool
from bot.settings import DEFAULT_REQUIREMENTS_FILE, DEFAULT_RULES_FILE
from bot.sources import open_source
from bot.store import Store
from bot.store.models import OutboxMessage, utc_now
from bot.triage import TriageContext
from fixtures.seed_maildir import seed
from tests.conftest import maildir_service, maildir_settings, make_mail
from tests.store.test_store import DPIA, FORM, SCRIPT


@pytest.fixture
def service(tmp_path: Path, context: TriageContext) -> Iterator[Service]:
    service = maildir_service(tmp_path, context)
    yield service
    service.close()


def deliver(service: Service, raw: bytes) -> None:
    mailbox.Maildir(service.settings.source, create=False).add(mailbox.MaildirMessage(raw))


def outbox(service: Service) -> list[email.message.EmailMessage]:
    folder = Path(service.settings.smtp)
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    ]


def test_one_run_files_every_mail_moves_it_and_writes_the_replies(service: Service) -> None:
    count = seed(Path(service.settings.source), per_category=2)
    stats = service.run(once=True)
    assert stats.filed == count == 10
    assert len(service.store.tickets()) >= 8  # some fixture mails share a case
    inbox = mailbox.Maildir(service.settings.source, create=False)
    assert len(inbox) == 0
    moved = {name: len(inbox.get_folder(name)) for name in inbox.list_folders()}
    assert sum(moved.values()) == count and all(n.startswith("Triaged.") for n in moved)
    assert len(outbox(service)) == stats.replies_sent > 0


def test_a_second_run_files_nothing_and_sends_nothing_twice(service: Service) -> None:
    seed(Path(service.settings.source), per_category=1)
    first = service.run(once=True)
    replies = len(outbox(service))
    again = service.run(once=True)
    assert again.filed == first.filed and again.replies_sent == first.replies_sent  # cumulative
    assert len(outbox(service)) == replies


def test_the_bots_own_replies_and_answers_to_them_get_no_reply(service: Service) -> None:
    deliver(
        service, make_mail("Vedlagt er søknaden vår om tilgang til mikrodata.", attachments=[FORM])
    )
    service.run(once=True)
    (reply,) = outbox(service)
    deliver(service, reply.as_bytes(policy=email.policy.SMTP))  # our own reply comes back
    out_of_office = make_mail(
        "Jeg er på ferie til mandag.", subject=f"Automatisk svar: {reply['Subject']}",
        sender="kari.nordmann@bergen.kommune.no",
        headers={"Auto-Submitted": "auto-replied", "In-Reply-To": str(reply["Message-ID"])},
    )  # fmt: skip
    bounce = make_mail(
        "Delivery failed.", subject="Undelivered Mail Returned to Sender",
        sender="MAILER-DAEMON@bergen.kommune.no",
    )  # fmt: skip
    deliver(service, out_of_office)
    deliver(service, bounce)
    stats = service.run(once=True)
    assert stats.filed == 3, "the copy of our own reply is recognised, not filed"
    assert stats.replies_confirmed == 1
    assert len(outbox(service)) == 1
    sent_folder = mailbox.Maildir(service.settings.source, create=False).get_folder("Triaged.sent")
    assert len(sent_folder) == 1


def interrupt_last_reply(service: Service) -> int:
    """The state a SIGKILL between `mark_sending` and `mark_sent` leaves; returns the ticket."""
    with service.store.session() as session, session.begin():
        row = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert row is not None
        row.status, row.sent_at, row.sending_since = "pending", None, utc_now()
        return row.ticket_id


def test_a_reply_whose_file_was_written_before_a_crash_is_marked_sent_not_written_again(
    service: Service,
) -> None:
    deliver(service, make_mail("Vedlagt er søknaden vår.", attachments=[FORM]))
    service.run(once=True)
    (written,) = Path(service.settings.smtp).glob("*.eml")
    mtime = written.stat().st_mtime_ns
    ticket_id = interrupt_last_reply(service)

    stats = service.run(once=True)
    assert stats.replies_sent == 1, "only the first run sent it"
    assert written.stat().st_mtime_ns == mtime
    (after,) = service.store.outbox(ticket_id)
    assert after.status == "sent" and after.sending_since is None


def test_a_reply_cut_off_before_its_file_was_written_is_written_on_the_next_run(
    service: Service,
) -> None:
    deliver(service, make_mail("Vedlagt er søknaden vår.", attachments=[FORM]))
    service.run(once=True)
    (written,) = Path(service.settings.smtp).glob("*.eml")
    written.unlink()
    interrupt_last_reply(service)

    service.run(once=True)
    (rewritten,) = Path(service.settings.smtp).glob("*.eml")
    assert rewritten.name == written.name


def test_a_dpia_sent_later_completes_the_application_which_is_acknowledged_once(
    service: Service,
) -> None:
    deliver(
        service,
        make_mail(
            "Vedlagt følger vår søknad om tilgang til mikrodata.", attachments=[FORM, SCRIPT]
        ),
    )
    service.run(once=True)
    (first,) = outbox(service)
    assert "Personvernkonsekvensvurdering" in first.get_content() or "DPIA" in first.get_content()
    deliver(
        service,
        make_mail(
            "Her er DPIA-en som manglet.",
            subject=str(first["Subject"]),
            headers={
                "In-Reply-To": str(first["Message-ID"]),
                "References": str(first["Message-ID"]),
            },
            attachments=[DPIA],
        ),
    )
    service.run(once=True)
    (ticket,) = service.store.tickets()
    assert ticket.status == "ready" and ticket.missing == []
    actions = [o.action for o in service.store.outbox(ticket.id)]
    assert actions == ["request_missing", "acknowledge"]


def test_one_run_sends_every_queued_reply_not_just_the_first_page(service: Service) -> None:
    """`pending_replies` pages by 50; a `--once` run over a larger batch sent only 50."""
    count = 55
    for n in range(count):
        raw = make_mail(
            "Vedlagt er søknaden vår.",
            sender=f"Søker {n} <soker.{n}@uio.no>",
            message_id=f"<page-{n}@uio.no>",
        )
        deliver(service, raw)
    stats = service.run(once=True)
    assert stats.filed == count
    assert stats.replies_sent == len(outbox(service)) == count


def test_a_stop_signal_never_waits_on_the_lock_of_the_workers_shared_event(
    tmp_path: Path,
) -> None:
    """`WorkerPool.stop()` runs in a signal handler, which interrupts the main thread
    wherever it is, also inside the shared event's lock (`is_set`, `wait`). Setting the
    event there would wait on that lock forever: `stop()` must only set plain flags."""
    settings = maildir_settings(tmp_path)
    store = Store.open(settings.database, settings.raw_mail_dir)
    pool = WorkerPool(settings, open_source(settings.source), store, workers=1)
    stopper = threading.Thread(target=pool.stop, daemon=True)
    with pool._stop._cond:  # type: ignore[attr-defined]  # the main thread, mid `is_set()`
        stopper.start()
        stopper.join(timeout=5)
        assert not stopper.is_alive(), "stop() waited on the event's lock"
    store.engine.dispose()


def test_a_mail_arriving_while_a_backlog_is_filed_is_filed_and_answered_next(
    tmp_path: Path, context: TriageContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.service.ARRIVALS_EVERY", 0.0)
    cutoff = datetime(2026, 12, 1, tzinfo=UTC)
    service = maildir_service(tmp_path, context, reply_cutoff=cutoff)
    inbox = Path(service.settings.source)
    for n in range(4):
        deliver(service, make_mail(f"Gammel søknad nummer {n}.", subject=f"Backlog {n}"))
    before = (cutoff - timedelta(days=30)).timestamp()
    for file in (inbox / "new").iterdir():
        os.utime(file, (before, before))  # Maildir's arrival time: a month before the cut-off
    filed: list[str] = []

    def on_filed(_key: str, _verdict: object) -> None:
        filed.append(_key)
        if len(filed) == 1:  # the applicant writes while the backlog is being filed
            deliver(service, make_mail("Vi søker om tilgang.", subject="Ny søknad"))
            new_mail_key.extend(set(_keys(inbox)) - set(keys_before))
        if len(filed) == 3:
            replies_before_the_rest.append(len(outbox(service)))

    keys_before = list(_keys(inbox))
    new_mail_key: list[str] = []
    replies_before_the_rest: list[int] = []
    service.on_filed = on_filed
    try:
        service.run(once=True)
    finally:
        service.close()
    assert len(filed) == 5 and len(new_mail_key) == 1
    assert new_mail_key[0] in filed[1], "the new mail is filed right after the mail in hand"
    assert replies_before_the_rest == [1], "its reply goes out before the backlog goes on"
    replies = outbox(service)
    assert [str(r["Subject"]) for r in replies] == ["Re: Ny søknad"], "only it is answered"


def _keys(inbox: Path) -> Iterator[str]:
    for sub in ("new", "cur"):
        for file in (inbox / sub).iterdir():
            yield file.name.split(":")[0]


def test_requirements_an_admin_saves_while_the_bot_runs_are_used_from_the_next_mail(
    tmp_path: Path, context: TriageContext
) -> None:
    requirements = tmp_path / "requirements.toml"
    requirements.write_text(DEFAULT_REQUIREMENTS_FILE.read_text(encoding="utf-8"), "utf-8")
    service = maildir_service(
        tmp_path, context, requirements_file=requirements, reload_check_seconds=0
    )
    application = "Vedlagt følger vår søknad om tilgang til mikrodata."
    deliver(service, make_mail(application, attachments=[FORM, SCRIPT]))
    service.run(once=True)
    load_requirements(requirements)  # the running bot has read this very file before
    # The admin drops the DPIA requirement, as the rules page's atomic save does.
    text = requirements.read_text(encoding="utf-8")
    dpia = r'\[\[requirement\]\]\ncategory = "new_application"\ncode = "dpia"\n.*?\n\n'
    block = re.search(dpia, text, re.DOTALL)
    assert block is not None
    edited = tmp_path / "requirements.toml.new"
    edited.write_text(text.replace(block.group(), ""), "utf-8")
    edited.replace(requirements)
    deliver(service, make_mail(application, sender="Ola <ola@bergen.kommune.no>",
                               attachments=[FORM, SCRIPT]))  # fmt: skip
    service.run(once=True)
    first, second = sorted(service.store.tickets(), key=lambda ticket: ticket.id)
    assert "dpia" in first.missing
    assert "dpia" not in second.missing
    service.close()


def test_a_rules_file_that_no_longer_loads_leaves_the_bot_filing_with_the_old_rules(
    tmp_path: Path, context: TriageContext, caplog: pytest.LogCaptureFixture
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(DEFAULT_RULES_FILE.read_text(encoding="utf-8"), "utf-8")
    service = maildir_service(tmp_path, context, rules_file=rules, reload_check_seconds=0)
    rules.write_text("[classifier\nthis is no TOML", "utf-8")
    deliver(service, make_mail("Vedlagt følger vår søknad om tilgang til mikrodata.",
                               attachments=[FORM, SCRIPT]))  # fmt: skip
    service.run(once=True)
    (ticket,) = service.store.tickets()
    assert ticket.category == "new_application"
    assert "did not load" in caplog.text
    service.close()
