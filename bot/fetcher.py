"""Source → queue: the one process per mailbox that talks to the inbox.

It takes each new mail into the work queue (bytes on disk, a row in `inbound`), recognises
the relay's copies of our own replies (proof of delivery, no ticket), and moves or flags
mail once a worker has filed it. It runs only while it holds the mailbox's lock, so two
machines running `mikrobot run` never fetch the same mailbox at once.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.settings import Settings
from bot.sources import MailboxCopy, MailSource, SourceMail, Watermark, category_folder
from bot.store import Store, personal_data, queue
from bot.store.leader import MailboxLock, mailbox_lock

log = logging.getLogger(__name__)

PERSONAL_DATA_EVERY = 30.0
"""Seconds between the service's looks for personal data to delete (retention is in hours;
a caseworker's deletion reaches the mailbox within this)."""

OWN_REPLY_FOLDER = "sent"
"""Where the relay's copies of the bot's replies go (`Triaged/sent` by default)."""


def process_name() -> str:
    """Who holds a lock or a claim, as an operator reads it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def mailbox_name(source: str) -> str:
    """The mailbox's identity across processes and machines, without any password."""
    if "://" not in source:
        return f"maildir:{os.path.abspath(source)}"
    parts = urlsplit(source)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{parts.hostname}{port}{parts.path or '/INBOX'}"


@dataclass
class FetchStats:
    fetched: int = 0
    duplicates: int = 0
    """Mails seen again (after a restart, before they were moved): not queued twice."""
    replies_confirmed: int = 0
    backlog: int = 0
    """Mails older than the reply cut-off: filed, never answered."""


@dataclass
class Fetcher:
    settings: Settings
    source: MailSource
    store: Store
    lock: MailboxLock | None = None
    mailbox: str = ""
    stats: FetchStats = field(default_factory=FetchStats)
    cutoff: datetime | None = None
    """Mail that arrived before this is filed without a reply (set by `try_start`)."""
    _personal_data_next: float = field(default=0.0, init=False, repr=False)
    """When `tend_personal_data` may look again (monotonic seconds)."""
    _mark: Watermark | None = field(default=None, init=False, repr=False)
    """Every mail up to it is queued (IMAP): the store's copy, read when the lock is taken."""

    def __post_init__(self) -> None:
        self.mailbox = self.mailbox or mailbox_name(self.settings.source)
        if self.lock is None:
            self.lock = mailbox_lock(self.store.engine, self.mailbox, self.settings.raw_mail_dir)

    def try_start(self) -> bool:
        """Take the mailbox's lock if it is free; True once this process is its fetcher."""
        assert self.lock is not None
        if self.cutoff is not None and self.lock.held():
            return True
        if not self.lock.acquire():
            return False
        first_start = queue.register_mailbox(self.store, self.mailbox)
        self.cutoff = self.settings.reply_cutoff or first_start
        self._mark = queue.fetch_mark(self.store, self.mailbox)
        log.info("fetching %s; mail that arrived before %s is filed unanswered",
                 self.mailbox, self.cutoff.isoformat())  # fmt: skip
        return True

    def release(self) -> None:
        if self.lock is not None:
            self.lock.release()
        self.cutoff = None

    def fetch_waiting(self, batch: int = 100) -> int:
        """Queue the new mails the source holds now (at most `batch`); returns how many.

        Mails already queued or filed (waiting to be moved) are not downloaded again, and
        on IMAP not even listed: the fetch starts above the UID watermark, which is moved
        (in the store, so a restart keeps it) only once every mail up to it is queued.
        """
        if not self.try_start():
            return 0
        try:
            mails = self.source.fetch_new(limit=batch, known=self._queued_already, after=self._mark)
        except Exception as error:
            queue.record_fetch(self.store, self.mailbox, process_name(), ok=False, error=str(error))
            raise
        for mail in mails:
            self.stats.fetched += 1
            if self._is_copy_of_own_reply(mail):
                self.source.mark_done(mail, OWN_REPLY_FOLDER)
                continue
            may_reply = self._may_reply(mail)
            if not queue.enqueue(self.store, self.mailbox, mail, may_reply=may_reply):
                self.stats.duplicates += 1  # queued by another fetcher a moment ago
            elif not may_reply:
                self.stats.backlog += 1
        mark = self.source.fetched_through
        moved = mark if mark is not None and mark != self._mark else None
        queue.record_fetch(self.store, self.mailbox, process_name(), ok=True, mark=moved)
        self._mark = mark or self._mark
        return len(mails)

    def _queued_already(self, keys: list[str]) -> set[str]:
        return queue.known_keys(self.store, keys)

    def move_filed(self) -> int:
        """Move (or flag) the mails workers have filed, a batch at a time: one command per
        target folder, then one transaction recording where each went.

        Idempotent after a crash between the two: the mails moved already are no longer in
        the inbox, so the next call finds nothing to do for them and records them done.
        """
        if self.cutoff is None:
            return 0
        done = queue.done_at_source(self.store, self.mailbox)
        if not done:
            return 0
        placed = self.source.mark_done_many([(item.mail, item.category) for item in done])
        queue.mark_done_at_source(
            self.store, [(item.id, where) for item, where in zip(done, placed, strict=True)]
        )
        return len(done)

    def tend_personal_data(self) -> int:
        """`delete_personal_data`, at most every `PERSONAL_DATA_EVERY` seconds: the service
        loops call this on every poll, and retention is counted in hours."""
        if time.monotonic() < self._personal_data_next:
            return 0
        self._personal_data_next = time.monotonic() + PERSONAL_DATA_EVERY
        return self.delete_personal_data()

    def delete_personal_data(self, now: datetime | None = None) -> int:
        """The retention rule, then this mailbox's queued copies to delete (issue #11).

        Each copy is tried once per call when due; a failure is recorded with its reason
        and attempt and tried again after a back-off, a success is recorded as done. Only
        the mailbox's fetcher does this, so one process deletes each copy. Returns how
        many copies were deleted.
        """
        if self.cutoff is None:
            return 0
        held_for = timedelta(hours=self.settings.personal_data_retention_hours)
        try:
            report = personal_data.delete_due_personal_data(self.store, held_for=held_for, now=now)
        except Exception:  # a busy or unreachable database: the next poll tries again
            log.exception("deleting personal data held over %s failed; trying again", held_for)
        else:
            if report.mails:
                log.info("personal data deleted from mail(s) %s (held over %s)",
                         ",".join(map(str, report.mails)), held_for)  # fmt: skip
        deleted = 0
        for job in personal_data.mailbox_deletions_due(self.store, self.mailbox, now=now):
            copy = self._copy_of(job)
            where = f"{copy.folder}" + (f" UID {copy.uid}" if copy.uid is not None else "")
            try:
                found = self.source.delete_copy(copy)
            except Exception as error:  # any failure: recorded, retried with back-off
                log.warning("mail %s: deleting its copy in %s failed (attempt %d): %s",
                            job.mail_id, where, job.attempts + 1, error)  # fmt: skip
                personal_data.record_mailbox_deletion(
                    self.store, job.id, where=where, error=f"{type(error).__name__}: {error}",
                    now=now,
                )  # fmt: skip
                continue
            personal_data.record_mailbox_deletion(
                self.store, job.id, where=where, found=found, now=now
            )
            deleted += found
        return deleted

    def _copy_of(self, job: personal_data.MailboxDeletionJob) -> MailboxCopy:
        """Where the mail is now: where it was moved, else (not moved yet) where it was
        fetched; moved before 0007 recorded it: the category's folder, by Message-ID."""
        if not job.moved:
            folder, uidvalidity, uid = job.folder, job.uidvalidity, job.uid
        elif job.moved_folder is not None:
            folder, uidvalidity, uid = job.moved_folder, job.moved_uidvalidity, job.moved_uid
        elif self.settings.done_action == "flag":
            folder, uidvalidity, uid = job.folder, job.uidvalidity, job.uid
        else:
            folder = category_folder(self.settings.folder_template, job.category or "other")
            uidvalidity, uid = None, None
        return MailboxCopy(job.source_key, folder, uidvalidity, uid, job.message_id, job.size)

    def _may_reply(self, mail: SourceMail) -> bool:
        """INTERNALDATE has whole seconds: a mail of the cut-off's own second is new."""
        if mail.received_at is None or self.cutoff is None:
            return True
        return mail.received_at >= self.cutoff.replace(microsecond=0)

    def _is_copy_of_own_reply(self, mail: SourceMail) -> bool:
        """The relay's copy of a reply we sent (`delivery_copy`): proof of delivery, no ticket.

        Recognised by its Message-ID, which only our outbox holds, and our own From; anything
        else from our address is filed like any mail (and never answered: the loop guard).
        """
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(mail.raw)
        message_id = str(headers.get("Message-ID") or "").strip()
        sender = email.utils.parseaddr(str(headers.get("From") or ""))[1]
        if not message_id or sender.lower() != self.settings.from_address.lower():
            return False
        if not self.store.confirm_delivery(message_id):
            return False
        self.stats.replies_confirmed += 1
        log.info("reply %s confirmed: its copy came back through the inbox", message_id)
        return True
