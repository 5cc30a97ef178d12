"""Deleting personal data sent by mail (issue #11): the store's part, and the mailbox queue.

A mail that held national ID numbers is kept only as long as the caseworker needs it
(`personal_data_retention_hours`), or until a caseworker deletes it ("Slett
personopplysningene"). `delete_personal_data` then, in ONE store transaction, for every
such mail of the ticket not deleted yet:

- deletes the raw mail's bytes (content-addressed: a file goes once no mail still holding
  its data, and no queued mail, has those bytes — the same rule as `purge`);
- deletes the mail's words from the full-text search (`bot.store.search`);
- cuts the stored verdict to its summary (category, confidence, language, missing,
  provided, conditions, notes, the attachments' names and kinds, the `personal_data`
  entries), dropping the copies of what the mail said: the extracted `fields`, the
  `evidence` (rules, words, form answers and where they came from), the reply's subject
  and the error text; masks the stored subject; clears the queue row's error;
- sets `mails.personal_data_deleted_at`, queues the mail's copy in the mailbox for the
  fetcher (`mailbox_deletions`), and writes a `personal_data_deleted` event: who, why,
  which mails.

The ticket, its fields, its flag and its history stay. `inbound` rows hold no content
(only where the mail was, its size and hash), so they stay too: they keep a mail that is
still in the inbox from being fetched and filed again.

Like `purge`, SQLite runs it with `PRAGMA secure_delete=ON` and then VACUUMs, and
PostgreSQL VACUUMs the tables, so old values do not linger in free pages (on PostgreSQL
they stay in the data files until overwritten, and in WAL archives and backups for their
own retention). The deciding functions are pure; the rest does the I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store import search
from bot.store.errors import CaseworkError
from bot.store.models import (
    InboundMail,
    InboundState,
    Mail,
    MailboxDeletion,
    MailboxDeletionState,
    Ticket,
    TicketEvent,
    as_utc,
    utc_now,
)
from bot.store.repository import BOT_ACTOR, Store
from bot.store.vacuum import vacuum
from parsers.national_id import mask_national_ids

log = logging.getLogger(__name__)

PERSONAL_DATA_DELETED: Final = "personal_data_deleted"
"""The event a deletion records, and the marker in a deleted mail's verdict."""
MAILBOX_COPY_DELETED: Final = "mailbox_copy_deleted"
MAILBOX_COPY_DELETION_FAILED: Final = "mailbox_copy_deletion_failed"
RETENTION_ACTOR: Final = BOT_ACTOR
FIRST_RETRY: Final = timedelta(minutes=1)
LAST_RETRY: Final = timedelta(hours=6)
"""The mailbox step's back-off: one minute, doubling, at most six hours between tries."""

_SUMMARY_KEYS: Final = (
    "file",
    "message_id",
    "category",
    "confidence",
    "language",
    "auto_generated",
    "missing",
    "provided",
    "conditions",
    "decides_conditions",
    "to_check",
    "ticket_references",
    "personal_data",
    "notes",
)
_ATTACHMENT_KEYS: Final = ("filename", "content_type", "kind", "pages", "text_chars", "scanned")


# --- the pure parts ----------------------------------------------------------------


def holds_personal_data(flag: bool, verdict: Mapping[str, Any] | None) -> bool:
    """The mail held national IDs: its flag, or its verdict's entries (a second delivery
    of such a mail carries them in its verdict)."""
    return flag or bool(verdict and verdict.get("personal_data"))


def summarize_verdict(verdict: Mapping[str, Any]) -> dict[str, Any]:
    """A stored verdict without the copies of what the mail said (see the module docstring)."""
    summary = {key: verdict[key] for key in _SUMMARY_KEYS if key in verdict}
    reply = verdict.get("reply")
    if isinstance(reply, dict):
        summary["reply"] = {"action": reply.get("action"), "language": reply.get("language")}
    attachments = verdict.get("attachments")
    summary["attachments"] = [
        {key: a[key] for key in _ATTACHMENT_KEYS if key in a}
        for a in (attachments if isinstance(attachments, list) else [])
        if isinstance(a, dict)
    ]
    summary[PERSONAL_DATA_DELETED] = True
    return summary


@dataclass(frozen=True)
class HeldMail:
    """What the retention rule needs of a mail."""

    id: int
    ticket_id: int
    held_since: datetime
    personal_data: bool
    deleted: bool


def due_for_deletion(
    mails: Iterable[HeldMail], *, now: datetime, held_for: timedelta
) -> dict[int, list[int]]:
    """Ticket id → ids of its mails with personal data held for `held_for` or longer."""
    cutoff = as_utc(now) - held_for
    due: dict[int, list[int]] = {}
    for mail in sorted(mails, key=lambda m: m.id):
        if mail.personal_data and not mail.deleted and as_utc(mail.held_since) <= cutoff:
            due.setdefault(mail.ticket_id, []).append(mail.id)
    return due


def files_to_delete(
    candidates: Iterable[str], mails: Iterable[tuple[str, bool]], queued: Iterable[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """(delete, keep) among candidate hashes, from (sha256, gone) of the mails that have them.

    A file goes when every mail with those bytes has had its data deleted (or was purged)
    and no queued mail waits for it; one mail still holding it keeps it.
    """
    wanted = set(candidates)
    needed = {digest for digest, gone in mails if not gone} | set(queued)
    return frozenset(wanted - needed), frozenset(wanted & needed)


def retry_after(attempts: int) -> timedelta:
    """How long after its `attempts`-th failure the mailbox step is tried again."""
    if attempts <= 0:
        return timedelta(0)
    return min(FIRST_RETRY * (1 << min(attempts - 1, 20)), LAST_RETRY)


@dataclass(frozen=True)
class DeletionReport:
    tickets: tuple[int, ...]
    mails: tuple[int, ...]
    files_deleted: int
    files_kept: int
    """Files a mail still holding its data, or a queued mail, also needs."""
    mailbox_copies: int
    """Copies in the mailbox queued for the fetcher to delete."""
    dry_run: bool = False

    def summary(self, held_for: timedelta | None = None) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        after = f" held over {held_for.total_seconds() / 3600:g} h" if held_for else ""
        return (
            f"personal data: {verb} {len(self.mails)} mail(s){after} of "
            f"{len(self.tickets)} ticket(s); raw mail files deleted {self.files_deleted}, "
            f"kept (shared) {self.files_kept}; mailbox copies queued {self.mailbox_copies}"
        )


# --- deleting in the store -------------------------------------------------------------


def delete_personal_data(
    store: Store,
    ticket_id: int,
    *,
    actor: str,
    reason: str,
    now: datetime | None = None,
    only: Collection[int] | None = None,
    rewrite: bool = True,
) -> DeletionReport:
    """Delete the personal data of the ticket's mails (see the module docstring).

    `only` limits it to those mail ids (the retention rule deletes what is due, not a
    mail that came an hour ago). Deleting again deletes nothing and records nothing; two
    deletions at once (a caseworker and the retention rule) take turns on the rows.
    `rewrite` False leaves the VACUUM to the caller (one after many tickets).
    """
    now = now or utc_now()
    sqlite = store.engine.dialect.name == "sqlite"
    with store.session() as session, session.begin():
        if sqlite:
            session.connection().exec_driver_sql("PRAGMA secure_delete=ON")
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise LookupError(f"no ticket {ticket_id}")
        mails = [
            m
            for m in session.scalars(
                select(Mail)
                .where(Mail.ticket_id == ticket_id, Mail.personal_data_deleted_at.is_(None))
                .order_by(Mail.id)
                .with_for_update()  # PostgreSQL: the second deleter waits, then finds none
            )
            if holds_personal_data(m.personal_data, m.verdict)
            and m.personal_data_deleted_at is None
            and (only is None or m.id in only)
        ]
        queued = sum(_delete_in_session(session, ticket, mails, actor, reason, now))
        digests = {m.sha256 for m in mails}
    deleted, kept = _delete_files(store, digests)
    if mails and rewrite:
        _rewrite(store)
    return DeletionReport(
        tickets=(ticket_id,) if mails else (),
        mails=tuple(m.id for m in mails),
        files_deleted=deleted,
        files_kept=kept,
        mailbox_copies=queued,
    )


MIN_REASON: Final = 5


def delete_personal_data_now(
    store: Store, ticket_id: int, actor: str, reason: str
) -> DeletionReport:
    """A caseworker's "Slett personopplysningene": a reason is required, and it must delete
    something; otherwise a `CaseworkError` the ticket page shows."""
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise CaseworkError(
            f"a deletion needs a reason (at least {MIN_REASON} characters)",
            "deletion_reason", limit=MIN_REASON,
        )  # fmt: skip
    try:
        report = delete_personal_data(store, ticket_id, actor=actor, reason=reason)
    except LookupError as error:
        raise CaseworkError(str(error), "no_ticket") from error
    if not report.mails:
        raise CaseworkError(
            "the case holds no personal data that is not deleted", "nothing_to_delete"
        )
    return report


def delete_due_personal_data(
    store: Store,
    *,
    held_for: timedelta,
    now: datetime | None = None,
    dry_run: bool = False,
    sweep: bool = False,
) -> DeletionReport:
    """The retention rule: delete every mail with personal data held for `held_for`, open
    ticket or not; then the files of deleted mails an earlier run had to leave (when
    something was due, or `sweep`: the service runs this every poll, and looking at every
    deleted mail's file each time would cost more as the years go by)."""
    now = now or utc_now()
    with store.session() as session:
        rows = session.execute(
            select(Mail.id, Mail.ticket_id, Mail.created_at).where(
                Mail.personal_data.is_(True), Mail.personal_data_deleted_at.is_(None)
            )
        ).all()
    held = [HeldMail(i, t, created, True, False) for i, t, created in rows]
    due = due_for_deletion(held, now=now, held_for=held_for)
    if dry_run:
        return DeletionReport(
            tickets=tuple(due),
            mails=tuple(i for ids in due.values() for i in ids),
            files_deleted=0,
            files_kept=0,
            mailbox_copies=0,
            dry_run=True,
        )
    reports = [
        delete_personal_data(
            store,
            ticket_id,
            actor=RETENTION_ACTOR,
            reason=f"retention: held {held_for.total_seconds() / 3600:g} h",
            now=now,
            only=ids,
            rewrite=False,
        )
        for ticket_id, ids in due.items()
    ]
    if due:
        _rewrite(store)
    swept, _ = _delete_files(store, _leftover_digests(store)) if due or sweep else (0, 0)
    return DeletionReport(
        tickets=tuple(t for r in reports for t in r.tickets),
        mails=tuple(m for r in reports for m in r.mails),
        files_deleted=sum(r.files_deleted for r in reports) + swept,
        files_kept=sum(r.files_kept for r in reports),
        mailbox_copies=sum(r.mailbox_copies for r in reports),
    )


def _rewrite(store: Store) -> None:
    """VACUUM after a deletion. The deletion itself has committed: a database too busy to
    rewrite now is logged, and the next deletion's VACUUM rewrites it."""
    try:
        search.compact(store.engine)
        vacuum(
            store,
            ("mails", "mail_texts", "inbound", "outbox", "ticket_events", "mailbox_deletions"),
        )
    except Exception:
        log.exception("VACUUM after deleting personal data failed; the next one covers it")


def _delete_in_session(
    session: Session,
    ticket: Ticket,
    mails: list[Mail],
    actor: str,
    reason: str,
    now: datetime,
) -> Iterable[int]:
    """The rows' part; yields 1 for each mailbox copy queued."""
    if not mails:
        return
    inbound = {
        row.source_key: row
        for row in session.scalars(
            select(InboundMail).where(InboundMail.source_key.in_([m.source_key for m in mails]))
        )
    }
    search.forget(session, (m.id for m in mails))  # no longer found by its words
    for mail in mails:
        mail.verdict = summarize_verdict(mail.verdict)
        mail.subject = mask_national_ids(mail.subject)
        mail.error = None if mail.error is None else mask_national_ids(mail.error)
        mail.personal_data = True
        mail.personal_data_deleted_at = now
        source = inbound.get(mail.source_key)
        if source is None:
            continue  # filed without the fetcher's queue: no copy in a mailbox is known
        source.last_error = None
        session.add(
            MailboxDeletion(
                ticket_id=ticket.id,
                mail_id=mail.id,
                source_key=mail.source_key,
                mailbox=source.mailbox,
                state=MailboxDeletionState.PENDING.value,
                attempts=0,
                requested_at=now,
                next_attempt_at=now,
            )
        )
        yield 1
    ticket.personal_data = True
    detail = {
        "mail_ids": [m.id for m in mails],
        "reason": reason[:500],
        "mailbox_copies": sum(m.source_key in inbound for m in mails),
    }
    session.add(
        TicketEvent(
            ticket_id=ticket.id, at=now, actor=actor, action=PERSONAL_DATA_DELETED, detail=detail
        )
    )


def _delete_files(store: Store, candidates: set[str]) -> tuple[int, int]:
    """Unlink the candidate files no remaining mail or queued mail needs: (deleted, kept)."""
    if not candidates:
        return 0, 0
    with store.session() as session:
        sharing = session.execute(
            select(Mail.sha256, Mail.personal_data_deleted_at, Mail.verdict).where(
                Mail.sha256.in_(candidates)
            )
        ).all()
        queued = session.scalars(
            select(InboundMail.sha256).where(
                InboundMail.sha256.in_(candidates),
                InboundMail.state == InboundState.QUEUED.value,
            )
        ).all()
    delete, keep = files_to_delete(
        candidates,
        ((d, at is not None or bool(v and v.get("purged") is True)) for d, at, v in sharing),
        queued,
    )
    deleted = 0
    for digest in sorted(delete):
        path = store.raw_mail.path_for(digest)
        if path.exists():
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted, len(keep)


def _leftover_digests(store: Store) -> set[str]:
    """Hashes of deleted mails whose file is still there (a run cut off before unlinking,
    or a file a queued mail needed then)."""
    with store.session() as session:
        digests = set(
            session.scalars(select(Mail.sha256).where(Mail.personal_data_deleted_at.is_not(None)))
        )
    return {d for d in digests if store.raw_mail.path_for(d).exists()}


# --- the mailbox step -------------------------------------------------------------------


@dataclass(frozen=True)
class MailboxDeletionJob:
    """One mailbox copy to delete: where the mail was fetched, and where it was moved."""

    id: int
    ticket_id: int
    mail_id: int
    source_key: str
    attempts: int
    message_id: str | None
    size: int
    category: str | None
    folder: str
    uidvalidity: int | None
    uid: int | None
    moved: bool
    """The fetcher has moved (or flagged) it since: look where it went, not where it was."""
    moved_folder: str | None
    moved_uidvalidity: int | None
    moved_uid: int | None


def mailbox_deletions_due(
    store: Store, mailbox: str, *, now: datetime | None = None, limit: int = 50
) -> list[MailboxDeletionJob]:
    """Pending copies of `mailbox` whose next attempt is due, oldest first."""
    now = now or utc_now()
    with store.session() as session:
        rows = session.execute(
            select(MailboxDeletion, InboundMail, Mail.message_id)
            .join(InboundMail, InboundMail.source_key == MailboxDeletion.source_key)
            .join(Mail, Mail.id == MailboxDeletion.mail_id)
            .where(
                MailboxDeletion.mailbox == mailbox,
                MailboxDeletion.state == MailboxDeletionState.PENDING.value,
                MailboxDeletion.next_attempt_at <= now,
            )
            .order_by(MailboxDeletion.id)
            .limit(limit)
        ).all()
        return [
            MailboxDeletionJob(
                id=job.id,
                ticket_id=job.ticket_id,
                mail_id=job.mail_id,
                source_key=job.source_key,
                attempts=job.attempts,
                message_id=message_id,
                size=source.size,
                category=source.category,
                folder=source.folder,
                uidvalidity=source.uidvalidity,
                uid=source.uid,
                moved=source.done_at is not None,
                moved_folder=source.moved_folder,
                moved_uidvalidity=source.moved_uidvalidity,
                moved_uid=source.moved_uid,
            )
            for job, source, message_id in rows
        ]


def record_mailbox_deletion(
    store: Store,
    job_id: int,
    *,
    where: str,
    found: bool = True,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    """The outcome of one attempt, in the queue and in the ticket's history.

    Done: the copy is gone (`found` False: there was none left to delete), and a mail not
    yet moved is marked done at the source, so nobody moves what is gone. Failed: tried
    again after `retry_after(attempts)`.
    """
    now = now or utc_now()
    with store.session() as session, session.begin():
        job = session.get_one(MailboxDeletion, job_id)
        job.attempts += 1
        detail: dict[str, Any] = {
            "mail_id": job.mail_id,
            "attempt": job.attempts,
            "where": where[:500],
        }
        if error is None:
            job.state = MailboxDeletionState.DONE.value
            job.done_at = now
            job.last_error = None
            action = MAILBOX_COPY_DELETED
            detail["found"] = found
            source = session.scalar(
                select(InboundMail).where(InboundMail.source_key == job.source_key)
            )
            if source is not None and source.done_at is None:
                source.done_at = now
        else:
            job.last_error = error[:2_000]
            job.next_attempt_at = now + retry_after(job.attempts)
            action = MAILBOX_COPY_DELETION_FAILED
            detail["error"] = mask_national_ids(error)[:500]
            detail["next_attempt_at"] = job.next_attempt_at.isoformat()
        session.add(
            TicketEvent(
                ticket_id=job.ticket_id, at=now, actor=BOT_ACTOR, action=action, detail=detail
            )
        )


# --- what operations watch -------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """Mails waiting for their personal data to be deleted (`mikrobot status`)."""

    mails: int
    oldest_due: datetime | None
    """When the retention rule deletes the oldest of them."""
    mailbox_copies: int
    """Copies in the mailbox still to delete (queued or being retried)."""
    mailbox_oldest_requested: datetime | None


def waiting_for_deletion(store: Store, *, held_for: timedelta) -> Waiting:
    with store.session() as session:
        oldest, count = session.execute(
            select(func.min(Mail.created_at), func.count(Mail.id)).where(
                Mail.personal_data.is_(True), Mail.personal_data_deleted_at.is_(None)
            )
        ).one()
        copies, oldest_copy = session.execute(
            select(func.count(MailboxDeletion.id), func.min(MailboxDeletion.requested_at)).where(
                MailboxDeletion.state == MailboxDeletionState.PENDING.value
            )
        ).one()
    return Waiting(
        mails=int(count or 0),
        oldest_due=as_utc(oldest) + held_for if oldest else None,
        mailbox_copies=int(copies or 0),
        mailbox_oldest_requested=as_utc(oldest_copy) if oldest_copy else None,
    )
