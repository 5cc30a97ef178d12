"""Personal data sent by mail is deleted on time: from the store, the raw-mail folder and
the mailbox (issue #11).

The proof is at the byte level, as for `purge`: after a deletion, the national ID numbers
and a marker that only an attachment carried are nowhere in the SQLite file, PostgreSQL's
rows, the raw-mail folder, or Dovecot's mail files — while the ticket and its history stay.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import shutil
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import select, update

from bot.cli import main
from bot.metrics import StoreCollector, format_status, read_status
from bot.replies.senders import FileSender
from bot.service import Service
from bot.settings import Settings
from bot.sources import open_source
from bot.store import Store
from bot.store.models import InboundMail, Mail, MailboxDeletion, utc_now
from bot.store.personal_data import (
    MAILBOX_COPY_DELETED,
    MAILBOX_COPY_DELETION_FAILED,
    PERSONAL_DATA_DELETED,
    HeldMail,
    delete_personal_data,
    due_for_deletion,
    files_to_delete,
    retry_after,
    summarize_verdict,
)
from bot.triage import TriageContext
from tests.conftest import EVERY_MAIL_ANSWERED, maildir_service, make_mail
from tests.sources.conftest import (  # the fixtures `account` and `dovecot` are re-exported
    FAST_BACKOFF,
    account,  # noqa: F401
    dovecot,  # noqa: F401
    imap_url,
)
from tests.sources.dovecot import Account, DovecotServer
from tests.store.test_purge import every_byte_under, insecure_by_default
from tests.store.test_store import file

FNR = "01019010046"
D_NUMBER = "41019010110"
MARKER = "QZX-UTVALG-7781"
"""A word that only the attachment carries: its bytes must go with the mail."""
SECRETS = (FNR.encode(), D_NUMBER.encode(), MARKER.encode())
HELD = timedelta(hours=72)


def mail_with_ids(sender: str = "Kari Nordmann <kari.nordmann@bergen.kommune.no>") -> bytes:
    """A signer's own number in the text, and a sample with another and the marker.

    The sample travels as plain 7-bit text, so its numbers and marker are in the mail's
    bytes as they are (base64 would hide them from a byte search)."""
    message = email.message_from_bytes(
        make_mail(
            f"Vedlagt er utvalget vi vil koble.\nHilsen Kari, fnr {FNR}\n",
            subject="Utvalg til kobling",
            sender=sender,
        ),
        policy=email.policy.default,
    )
    assert isinstance(message, EmailMessage)
    sample = f"fnr;navn;merke\n{D_NUMBER};Ola Hansen;{MARKER}\n"
    message.add_attachment(sample, subtype="csv", filename="utvalg.csv", cte="7bit")
    return message.as_bytes()


def plain_mail() -> bytes:
    return make_mail(
        "Et spørsmål om mikrodata fra Vikesland Data.",
        subject="Spørsmål",
        sender="Trond Vikesland <trond@vikesland-data.no>",
    )


def history(store: Store, ticket_id: int) -> list[tuple[str, str, dict[str, object]]]:
    _, _, events = store.ticket(ticket_id) or (None, [], [])
    return [(e.actor, e.action, dict(e.detail)) for e in events]


def postgres_rows(store: Store) -> tuple[str, bytes]:
    """Every row of every table as text, and the outbox's raw bytes (bytea shows as hex)."""
    with store.engine.connect() as connection:
        tables = connection.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        rows = [
            str(row)
            for table in list(tables)
            for row in connection.execute(sa.text(f'SELECT t::text FROM "{table}" t')).scalars()
        ]
        raws = connection.execute(sa.text("SELECT raw FROM outbox")).scalars().all()
    return "\n".join(rows), b"".join(bytes(r) for r in raws)


# --- the store -----------------------------------------------------------------------


def test_deleting_personal_data_leaves_no_id_or_attachment_marker_in_sqlite_or_raw_mail(
    tmp_path: Path, context: TriageContext
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'mikrobot.db'}", tmp_path / "mail")
    insecure_by_default(store)
    verdict, ticket_id, _ = file(store, context, mail_with_ids(), "k1")
    _, other_id, _ = file(store, context, plain_mail(), "k2")
    assert verdict.personal_data and other_id != ticket_id
    before = every_byte_under(tmp_path / "mail")
    assert all(secret in before for secret in SECRETS)  # the test can fail

    report = delete_personal_data(store, ticket_id, actor="kari", reason="ba om sletting")
    store.engine.dispose()

    assert report.files_deleted == 1 and len(report.mails) == 1
    for secret in SECRETS:
        assert secret not in (tmp_path / "mikrobot.db").read_bytes()
        assert secret not in every_byte_under(tmp_path)  # raw mail, journals, temp files
    assert b"Vikesland" in every_byte_under(tmp_path / "mail")  # other mail is kept


def test_deleting_personal_data_leaves_no_id_in_postgresql_rows_after_vacuum(
    store: Store, context: TriageContext
) -> None:
    _, ticket_id, _ = file(store, context, mail_with_ids(), "k1")
    assert any(s in every_byte_under(store.raw_mail.root) for s in SECRETS)

    delete_personal_data(store, ticket_id, actor="kari", reason="ba om sletting")

    rows, raws = (
        postgres_rows(store)
        if store.engine.dialect.name == "postgresql"
        else ("", b"")  # SQLite: the file's bytes are checked above
    )
    for secret in SECRETS:
        assert secret.decode() not in rows and secret not in raws
        assert secret not in every_byte_under(store.raw_mail.root)


def test_the_ticket_its_fields_verdict_summary_and_history_stay_after_deletion(
    store: Store, context: TriageContext
) -> None:
    verdict, ticket_id, _ = file(store, context, mail_with_ids(), "k1")
    before, (mail_before,), events_before = store.ticket(ticket_id) or (None, [None], [])
    assert before is not None and mail_before is not None

    delete_personal_data(store, ticket_id, actor="kari", reason="ba om sletting")

    ticket, (mail,), _ = store.ticket(ticket_id) or (None, [None], [])
    assert ticket is not None and mail is not None
    assert (ticket.category, ticket.status, ticket.fields, ticket.missing) == (
        before.category,
        before.status,
        before.fields,
        before.missing,
    )
    assert ticket.personal_data and mail.personal_data and mail.personal_data_deleted_at
    assert mail.verdict["category"] == verdict.category.value
    assert mail.verdict["personal_data"] == mail_before.verdict["personal_data"]
    assert "evidence" not in mail.verdict and "fields" not in mail.verdict
    assert not store.raw_mail.path_for(mail.sha256).exists()
    events = history(store, ticket_id)
    assert [e[1] for e in events] == [e.action for e in events_before] + [PERSONAL_DATA_DELETED]
    actor, _, detail = events[-1]
    assert actor == "kari" and detail["mail_ids"] == [mail.id]
    assert detail["reason"] == "ba om sletting"

    again = delete_personal_data(store, ticket_id, actor="kari", reason="en gang til")
    assert again.mails == () and len(history(store, ticket_id)) == len(events)


def test_a_file_shared_with_a_mail_still_holding_its_data_is_kept_until_that_one_goes(
    store: Store, context: TriageContext
) -> None:
    raw = mail_with_ids()
    _, first, _ = file(store, context, raw, "inbox:1")
    _, joined, _ = file(store, context, raw, "other:1")  # delivered twice: one ticket
    assert joined == first
    report = delete_personal_data(store, first, actor="kari", reason="ba om sletting")
    assert len(report.mails) == 2 and report.files_deleted == 1  # both deliveries held IDs


# --- the mailbox: IMAP (Dovecot) ------------------------------------------------------


def imap_service(
    tmp_path: Path, context: TriageContext, server: DovecotServer, user: Account
) -> Service:
    settings = Settings(
        source=imap_url(user, server.imap_port),
        smtp=str(tmp_path / "outbox"),
        database=f"sqlite:///{tmp_path / 'mikrobot.db'}",
        raw_mail_dir=tmp_path / "mail",
        reply_cutoff=datetime.fromisoformat(EVERY_MAIL_ANSWERED),
    )
    source = open_source(settings.source, backoff=FAST_BACKOFF, timeout=10.0)
    store = Store.open(settings.database, settings.raw_mail_dir)
    return Service(settings, context, source, store, FileSender(tmp_path / "outbox"))


def mail_files(server: DovecotServer, user: Account) -> bytes:
    """Every byte of the user's mail files on disk: messages, indexes, caches."""
    return every_byte_under(server.root / "mail" / user.user)


def test_the_triaged_copy_in_dovecot_is_expunged_and_no_id_is_left_in_its_mail_files(
    tmp_path: Path,
    context: TriageContext,
    dovecot: DovecotServer,  # noqa: F811
    account: Account,  # noqa: F811
) -> None:
    dovecot.append(account, plain_mail())
    dovecot.append(account, mail_with_ids())
    service = imap_service(tmp_path, context, dovecot, account)
    try:
        service.run(once=True)  # filed, answered, moved to Triaged/<category>
        with service.store.session() as session:
            moved = session.scalars(select(InboundMail).order_by(InboundMail.id)).all()
            pd_mail = session.scalars(select(Mail).where(Mail.personal_data.is_(True))).one()
        assert all(m.moved_folder and m.moved_uid for m in moved)  # COPYUID recorded
        assert all(s in mail_files(dovecot, account) for s in SECRETS)  # the test can fail

        delete_personal_data(service.store, pd_mail.ticket_id, actor="kari", reason="sletting")
        assert service.fetcher.try_start()
        assert service.fetcher.delete_personal_data() == 1
    finally:
        service.close()

    for secret in SECRETS:
        assert secret not in mail_files(dovecot, account)
        assert secret not in every_byte_under(tmp_path)
    with dovecot.admin(account) as client:
        folders = [
            name for flags, _sep, name in client.list_folders() if b"\\Noselect" not in flags
        ]
        left = []
        for folder in folders:
            client.select_folder(folder, readonly=True)
            left += [
                data[b"BODY[]"]
                for data in client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"]).values()
            ]
    assert len(left) == 1 and b"Vikesland" in left[0]  # only the other mail is left
    (*_, (_, action, detail)) = history(service.store, pd_mail.ticket_id)
    assert action == MAILBOX_COPY_DELETED and detail["found"] is True and detail["attempt"] == 1


# --- the mailbox: Maildir, retries, not yet moved ---------------------------------------


def deliver(service: Service, raw: bytes) -> None:
    mailbox.Maildir(service.settings.source, create=False).add(mailbox.MaildirMessage(raw))


def the_mail(store: Store) -> Mail:
    with store.session() as session:
        return session.scalars(select(Mail).where(Mail.personal_data.is_(True))).one()


def test_a_failed_mailbox_step_is_recorded_and_retried_after_its_back_off_until_done(
    tmp_path: Path, context: TriageContext
) -> None:
    service = maildir_service(tmp_path, context, reply_cutoff=EVERY_MAIL_ANSWERED)
    deliver(service, mail_with_ids())
    service.run(once=True)
    mail = the_mail(service.store)
    folder = tmp_path / "inbox" / ".Triaged.other"
    assert any(MARKER.encode() in p.read_bytes() for p in folder.rglob("*") if p.is_file())
    delete_personal_data(service.store, mail.ticket_id, actor="kari", reason="sletting")
    shutil.move(folder / "new", tmp_path / "away")  # the folder cannot be read now
    (folder / "new").write_text("not a directory")
    assert service.fetcher.try_start()
    start = utc_now()

    assert service.fetcher.delete_personal_data(now=start) == 0
    (*_, (_, action, detail)) = history(service.store, mail.ticket_id)
    assert action == MAILBOX_COPY_DELETION_FAILED and detail["attempt"] == 1
    assert "NotADirectoryError" in str(detail["error"])
    service.fetcher.delete_personal_data(now=start + retry_after(1) / 2)  # not due yet
    failures = [e for e in history(service.store, mail.ticket_id) if e[1].startswith("mailbox")]
    assert len(failures) == 1

    (folder / "new").unlink()
    shutil.move(tmp_path / "away", folder / "new")
    assert service.fetcher.delete_personal_data(now=start + retry_after(1)) == 1
    service.close()

    (*_, (_, action, detail)) = history(service.store, mail.ticket_id)
    assert action == MAILBOX_COPY_DELETED and detail["attempt"] == 2 and detail["found"] is True
    assert not any(s in every_byte_under(tmp_path / "inbox") for s in SECRETS)
    with service.store.session() as session:
        job = session.scalars(select(MailboxDeletion)).one()
        assert (job.state, job.attempts, job.last_error) == ("done", 2, None)


def test_a_mail_not_yet_moved_is_deleted_from_the_inbox_and_never_moved_after(
    tmp_path: Path, context: TriageContext
) -> None:
    service = maildir_service(tmp_path, context, reply_cutoff=EVERY_MAIL_ANSWERED)
    deliver(service, mail_with_ids())
    assert service.fetcher.try_start()
    service.fetcher.fetch_waiting()
    service.worker.work_waiting()  # filed; the fetcher has not moved it yet
    mail = the_mail(service.store)
    assert any(MARKER.encode() in p.read_bytes() for p in (tmp_path / "inbox" / "new").iterdir())

    delete_personal_data(service.store, mail.ticket_id, actor="kari", reason="sletting")
    assert service.fetcher.delete_personal_data() == 1
    assert service.fetcher.move_filed() == 0
    service.close()

    assert not any(s in every_byte_under(tmp_path / "inbox") for s in SECRETS)
    assert not (tmp_path / "inbox" / ".Triaged.other").exists()


# --- on time ---------------------------------------------------------------------------


def test_the_service_deletes_personal_data_once_held_for_the_retention_time_not_before(
    tmp_path: Path, context: TriageContext
) -> None:
    service = maildir_service(tmp_path, context, reply_cutoff=EVERY_MAIL_ANSWERED)
    deliver(service, mail_with_ids())
    deliver(service, plain_mail())
    service.run(once=True)
    mail = the_mail(service.store)
    held_since = mail.created_at.replace(tzinfo=UTC)
    assert service.fetcher.try_start()

    service.fetcher.delete_personal_data(now=held_since + HELD - timedelta(seconds=1))
    assert the_mail(service.store).personal_data_deleted_at is None
    assert service.store.raw_mail.path_for(mail.sha256).exists()

    assert service.fetcher.delete_personal_data(now=held_since + HELD) == 1
    service.close()
    deleted = the_mail(service.store)
    assert deleted.personal_data_deleted_at is not None
    ticket, _, _ = service.store.ticket(mail.ticket_id) or (None, [], [])
    assert ticket is not None and ticket.status != "closed"  # open, and deleted all the same
    actions = [(actor, action) for actor, action, _ in history(service.store, mail.ticket_id)]
    assert actions[-2:] == [("mikrobot", PERSONAL_DATA_DELETED), ("mikrobot", MAILBOX_COPY_DELETED)]
    assert history(service.store, mail.ticket_id)[-2][2]["reason"] == "retention: held 72 h"
    assert not any(s in every_byte_under(tmp_path) for s in SECRETS)
    assert b"Vikesland" in every_byte_under(tmp_path / "mail")


def test_mikrobot_purge_also_deletes_personal_data_held_past_the_retention_time(
    tmp_path: Path, context: TriageContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'mikrobot.db'}"
    monkeypatch.setenv("MIKROBOT_DATABASE", url)
    monkeypatch.setenv("MIKROBOT_RAW_MAIL_DIR", str(tmp_path / "mail"))
    monkeypatch.setenv("MIKROBOT_PERSONAL_DATA_RETENTION_HOURS", "24")
    store = Store.open(url, tmp_path / "mail")
    _, ticket_id, _ = file(store, context, mail_with_ids(), "k1")
    runner = CliRunner()

    fresh = runner.invoke(main, ["purge"])
    assert fresh.exit_code == 0, fresh.output
    assert "personal data: deleted 0 mail(s) held over 24 h" in fresh.output
    with store.session() as session, session.begin():
        session.execute(update(Mail).values(created_at=utc_now() - timedelta(hours=25)))
    dry = runner.invoke(main, ["purge", "--dry-run"])
    assert "personal data: would delete 1 mail(s) held over 24 h of 1 ticket(s)" in dry.output
    assert the_mail(store).personal_data_deleted_at is None
    done = runner.invoke(main, ["purge"])
    assert done.output.splitlines()[0].startswith("purged 0 ticket(s)")
    assert "personal data: deleted 1 mail(s) held over 24 h of 1 ticket(s)" in done.output
    assert the_mail(store).personal_data_deleted_at is not None
    assert not any(s in every_byte_under(tmp_path / "mail") for s in SECRETS)
    assert history(store, ticket_id)[-1][1] == PERSONAL_DATA_DELETED
    store.engine.dispose()


# --- operations ------------------------------------------------------------------------


def test_status_shows_mails_waiting_for_deletion_and_metrics_count_mails_with_ids(
    tmp_path: Path, context: TriageContext
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'mikrobot.db'}", tmp_path / "mail")
    file(store, context, mail_with_ids(), "k1")
    _, second, _ = file(store, context, mail_with_ids("Ola <ola@uib.no>"), "k2")
    file(store, context, plain_mail(), "k3")
    with store.session() as session:
        first = session.scalar(select(sa.func.min(Mail.created_at)))
    assert first is not None
    oldest = first.replace(tzinfo=UTC)

    status = read_status(store, personal_data_held_for=HELD)
    assert (status.personal_data_mails, status.personal_data_waiting) == (2, 2)
    assert status.personal_data_oldest_due is not None
    assert abs(status.personal_data_oldest_due - (oldest + HELD)) < timedelta(seconds=5)
    assert "2 waiting for deletion (oldest due " in format_status(status, stale_after=60)

    delete_personal_data(store, second, actor="kari", reason="sletting")
    after = read_status(store, personal_data_held_for=HELD)
    assert (after.personal_data_mails, after.personal_data_waiting) == (2, 1)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store))
    assert b"mikrobot_personal_data_mails_total 2.0" in generate_latest(registry)
    for secret in SECRETS:
        assert secret not in generate_latest(registry)


# --- the pure parts ----------------------------------------------------------------


def test_a_mail_is_due_when_held_for_the_retention_time_and_only_once() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    mails = [
        HeldMail(1, 10, start, True, False),
        HeldMail(2, 10, start + timedelta(hours=5), True, False),
        HeldMail(3, 11, start, False, False),  # no personal data
        HeldMail(4, 12, start, True, True),  # deleted already
        HeldMail(5, 13, datetime(2026, 1, 1), True, False),  # naive UTC, as SQLite gives it
    ]
    assert due_for_deletion(mails, now=start + HELD - timedelta(seconds=1), held_for=HELD) == {}
    assert due_for_deletion(mails, now=start + HELD, held_for=HELD) == {10: [1], 13: [5]}


def test_a_raw_file_goes_only_when_no_remaining_or_queued_mail_needs_it() -> None:
    delete, keep = files_to_delete(
        ["a", "b", "c"], [("a", True), ("b", True), ("b", False), ("c", True)], ["c"]
    )
    assert delete == {"a"} and keep == {"b", "c"}


def test_the_mailbox_step_backs_off_doubling_up_to_six_hours() -> None:
    assert [retry_after(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert retry_after(50) == timedelta(hours=6)


def test_the_verdict_summary_keeps_what_happened_and_drops_what_the_mail_said() -> None:
    verdict = {
        "category": "new_application",
        "missing": ["dpia"],
        "personal_data": [{"kind": "national_id_number", "where": "body", "count": 1}],
        "fields": {"project_title": "Levekår"},
        "evidence": {"sources": [["project_title", "form field 'Tittel' in s.pdf"]]},
        "reply": {"action": "acknowledge", "language": "nb", "subject": "Re: Utvalg"},
        "attachments": [{"filename": "utvalg.csv", "kind": "other", "text_chars": 9}],
        "error": "could not read utvalg.csv",
    }
    summary = summarize_verdict(verdict)
    assert summary == {
        "category": "new_application",
        "missing": ["dpia"],
        "personal_data": verdict["personal_data"],
        "reply": {"action": "acknowledge", "language": "nb"},
        "attachments": [{"filename": "utvalg.csv", "kind": "other", "text_chars": 9}],
        "personal_data_deleted": True,
    }


def test_asking_again_for_missing_items_after_deletion_says_why_it_cannot(
    store: Store, context: TriageContext, tmp_path: Path
) -> None:
    from bot.casework import resend_missing
    from bot.store.errors import CaseworkError

    asks = make_mail(
        "Hei, vi søker om tilgang til mikrodata for prosjektet vårt. Vedlagt er utvalget.",
        attachments=[("utvalg.csv", "text/csv", b"fnr\n01019010046\n41019010110\n")],
    )
    _, ticket_id, _ = file(store, context, asks, "k1")
    ticket, _, _ = store.ticket(ticket_id) or (None, [], [])
    assert ticket is not None and ticket.missing and ticket.personal_data
    delete_personal_data(store, ticket_id, actor="kari", reason="ba om sletting")
    settings = Settings(smtp=str(tmp_path / "outbox"))
    with pytest.raises(CaseworkError, match="personal data was removed"):
        resend_missing(store, settings, ticket_id, "kari")


def test_a_corrected_mail_with_national_ids_is_never_exported_for_training(
    store: Store, context: TriageContext, tmp_path: Path
) -> None:
    from bot.casework import change_category
    from bot.store.tickets import corrections, export_corrections

    _, ticket_id, _ = file(store, context, mail_with_ids(), "k1")
    change_category(store, ticket_id, "change_request", "kari", context.requirements)
    assert len(corrections(store, waiting_only=True)) == 1
    folder = tmp_path / "training"
    assert export_corrections(store, folder) == 0
    assert not list(folder.rglob("*.eml"))
