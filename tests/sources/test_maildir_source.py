"""Maildir source: fetch from new/ and cur/, move into Maildir++ folders, flag, never delete."""

from __future__ import annotations

import datetime as dt
import mailbox
import os
import secrets
import threading
import time
from pathlib import Path

import pytest

from bot.sources import SourceError, SourceMail
from bot.sources.maildir import MaildirSource
from tests.sources.dovecot import make_message


def deliver(root: Path, raw: bytes, *, mtime: float | None = None, seen: bool = False) -> str:
    """Delivers like an MDA, byte for byte: write into tmp/, rename into new/ (or cur/ with S)."""
    mailbox.Maildir(root, create=True)
    key = f"{time.time_ns()}.M{secrets.token_hex(4)}.testhost"
    tmp = root / "tmp" / key
    tmp.write_bytes(raw)
    final = root / "cur" / f"{key}:2,S" if seen else root / "new" / key
    tmp.rename(final)
    if mtime is not None:
        os.utime(final, (mtime, mtime))
    return key


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.parent.name in ("new", "cur"))


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return tmp_path / "Maildir"


def test_fetch_new_returns_exact_bytes_from_new_and_cur_oldest_first(maildir):
    newer = make_message("Endringssøknad")
    older = make_message("Søknad")
    deliver(maildir, newer, mtime=1_741_000_000)
    key = deliver(maildir, older, mtime=1_740_000_000, seen=True)
    source = MaildirSource(maildir)

    mails = source.fetch_new()

    assert [mail.raw for mail in mails] == [older, newer]
    first = mails[0]
    assert first.key == f"maildir:{maildir}:{key}"
    assert (first.folder, first.uid, first.uidvalidity) == ("INBOX", None, None)
    assert first.received_at == dt.datetime.fromtimestamp(1_740_000_000, dt.UTC)
    assert source.fetch_new(limit=1) == mails[:1]


def test_mark_done_moves_the_file_into_a_maildir_plus_plus_folder(maildir):
    deliver(maildir, make_message("Søknad"))
    source = MaildirSource(maildir)
    [mail] = source.fetch_new()

    source.mark_done(mail, "new_application")

    folder = maildir / ".Triaged.new_application"
    assert (folder / "maildirfolder").exists()
    [moved] = all_files(maildir)
    assert moved.parent.parent == folder
    assert moved.read_bytes() == mail.raw
    assert "Triaged.new_application" in mailbox.Maildir(maildir).list_folders()
    assert source.fetch_new() == []


def test_mark_done_many_puts_each_mail_in_its_folder_in_the_order_given(maildir):
    for n in range(4):
        deliver(maildir, make_message(f"Søknad {n}"))
    source = MaildirSource(maildir)
    mails = source.fetch_new()
    categories = ["new_application", "other", "new_application", "other"]
    source.mark_done(mails[1], "other")  # moved before: nothing to do for it in the batch

    placed = source.mark_done_many(list(zip(mails, categories, strict=True)))

    assert [p.folder if p else None for p in placed] == [
        "Triaged/new_application",
        None,
        "Triaged/new_application",
        "Triaged/other",
    ]
    assert sorted(p.parent.parent.name for p in all_files(maildir)) == [
        ".Triaged.new_application",
        ".Triaged.new_application",
        ".Triaged.other",
        ".Triaged.other",
    ]
    assert source.fetch_new() == []


def test_mark_done_is_idempotent_and_never_deletes(maildir):
    for n in range(3):
        deliver(maildir, make_message(f"Søknad {n}"))
    source = MaildirSource(maildir)
    mails = source.fetch_new()
    for mail in mails:
        source.mark_done(mail, "other")
        source.mark_done(mail, "other")
    assert sorted(p.read_bytes() for p in all_files(maildir)) == sorted(m.raw for m in mails)


def test_flag_mode_marks_seen_in_cur_and_skips_it_next_time(maildir):
    deliver(maildir, make_message("Signert tilbud"))
    source = MaildirSource(maildir, done_action="flag")
    [mail] = source.fetch_new()

    source.mark_done(mail, "signed_offer")
    source.mark_done(mail, "signed_offer")

    [flagged] = all_files(maildir)
    assert flagged.parent == maildir / "cur"
    assert flagged.name.endswith(":2,S")
    assert source.fetch_new() == []
    assert MaildirSource(maildir, done_action="move").fetch_new() == [mail]


def test_mark_done_refuses_mail_from_another_source(maildir):
    source = MaildirSource(maildir)
    foreign = SourceMail("imap:host/INBOX:1:1", b"", "INBOX", 1, 1, None)
    with pytest.raises(ValueError, match="did not come from"):
        source.mark_done(foreign, "other")


def test_wait_for_mail_notices_a_delivery_and_ignores_mail_already_handed_out(maildir):
    deliver(maildir, make_message("Allerede hentet"))
    source = MaildirSource(maildir, poll_interval=0.1)
    source.fetch_new()
    assert source.wait_for_mail(0.3) is False

    threading.Timer(0.3, deliver, args=(maildir, make_message("Ny"))).start()
    assert source.wait_for_mail(10) is True  # False would mean the 10 s ran out


def test_stop_interrupts_a_long_maildir_wait(maildir):
    source = MaildirSource(maildir, poll_interval=30)
    threading.Timer(0.3, source.stop).start()
    started = time.monotonic()
    assert source.wait_for_mail(60) is False
    assert time.monotonic() - started < 30, "the wait ran its course: stop() was not noticed"


def test_missing_maildir_is_created_only_when_asked(tmp_path):
    with pytest.raises(mailbox.NoSuchMailboxError):
        MaildirSource(tmp_path / "missing", create=False)
    MaildirSource(tmp_path / "made")
    assert {p.name for p in (tmp_path / "made").iterdir()} >= {"new", "cur", "tmp"}


def test_an_existing_directory_that_is_not_a_maildir_is_a_clear_error(tmp_path):
    (tmp_path / "documents").mkdir()
    with pytest.raises(SourceError, match="is not a Maildir"):
        MaildirSource(tmp_path / "documents")
