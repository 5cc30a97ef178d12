"""Forgetting closed cases: raw mail, attachments and texts go once the retention period is over.

A ticket closed longer ago than the period (`retention_days`) keeps what shows *what
happened* — category, confidence, language, status, dates, the missing/provided codes,
the case reference (SSB's archive key), the caseworker assigned, counts, and its
history with every personal detail taken out — and loses everything that says *who* or
*what they wrote*, column by column:

- tickets: `fields` cleared (names, e-mail, organisation, org. number, title, dates);
- mails: `sender`, `subject`, `message_id` and `error` cleared, `verdict` cut to codes
  and counts, their words deleted from the full-text search (`mail_texts`); `source_key`
  (so a mail is never filed twice), `sha256`, `received_at` kept;
- outbox: `raw` (the reply's bytes), `recipient` and `last_error` cleared; the bot's own
  Message-ID, action, status and dates kept;
- ticket_events: every `detail` value that is not an id or a code removed (the removed
  keys are named); action, actor and time kept.

The raw mail files go from the `RawMailStore`, except a file whose bytes a mail of a
ticket not purged also has (content-addressed storage shares them). A `purged` event
records the purge, and it is idempotent: a ticket already purged since its last
closing is left alone, and each run deletes the files of every purged mail that no
other mail needs (so a purge killed between commit and unlink finishes next time).

On SQLite the purge runs with `PRAGMA secure_delete=ON` and then VACUUMs, so the old
values are not left in free pages of the file; on PostgreSQL it runs `VACUUM`, which
frees the dead rows for reuse (their bytes stay in the data files until overwritten,
and in WAL archives and backups for their own retention). The deciding functions are
pure; `purge` does the I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from bot.cases import TicketStatus
from bot.store import search
from bot.store.models import (
    Mail,
    OutboxMessage,
    OutboxStatus,
    Ticket,
    TicketEvent,
    as_utc,
    utc_now,
)
from bot.store.repository import BOT_ACTOR, Store
from bot.store.vacuum import vacuum
from bot.verdict import Category

PURGED: Final = "purged"
"""The event a purge records, and the marker in a purged mail's verdict."""
CLOSED: Final = "closed"
"""The event of a caseworker closing a ticket (`bot.casework.close`)."""
STATUS_CHANGED: Final = "status_changed"
"""A status change in general: detail `{"from": old, "to": new}`; closing when `to` is closed."""

_CODE = re.compile(r"[a-z][a-z0-9_:]{0,63}")
_CODE_KEYS: Final = frozenset({"missing", "item", "provided", "field", "hold"})
"""Keys whose values are requirement codes and field names, never free text."""
_STATE_KEYS: Final = frozenset({"category", "status", "previous", "from", "to"})
"""Keys kept only when the value is a status or a category: `previous` is also an old
field value, `to` also a person."""
_STATES: Final = frozenset({*(s.value for s in TicketStatus), *(c.value for c in Category)})
_ID_KEYS: Final = frozenset({"mail_id", "outbox_id"})
_BOT_REASONS: Final = frozenset({"rate limit", "overall rate limit"})
"""The bot's own reasons for a skipped reply: fixed words, never personal."""


@dataclass(frozen=True)
class EventView:
    at: datetime
    action: str
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class TicketView:
    """What selection needs of a ticket: its status, last change and history."""

    id: int
    status: str
    updated_at: datetime
    events: tuple[EventView, ...]


@dataclass(frozen=True)
class PurgeReport:
    tickets: tuple[int, ...]
    mails: int
    replies: int
    files_deleted: int
    files_kept: int
    """Files of purged mails that a mail of another, unpurged ticket still needs."""
    dry_run: bool

    def summary(self) -> str:
        verb = "would purge" if self.dry_run else "purged"
        return (
            f"{verb} {len(self.tickets)} ticket(s), {self.mails} mail(s), {self.replies} "
            f"reply(ies); raw mail files deleted {self.files_deleted}, kept (shared) "
            f"{self.files_kept}"
        )


def closed_at(ticket: TicketView) -> datetime | None:
    """When the ticket was last closed, or None when it is not closed now.

    The time of its last status change to `closed`; a closed ticket without such an
    event (closed by some other path) counts from its last change, which is never
    earlier than its closing, so it is never purged too soon.
    """
    if ticket.status != TicketStatus.CLOSED.value:
        return None
    closings = [
        as_utc(e.at)
        for e in ticket.events
        if e.action == CLOSED
        or (e.action == STATUS_CHANGED and e.detail.get("to") == TicketStatus.CLOSED.value)
    ]
    return max(closings) if closings else as_utc(ticket.updated_at)


def is_due(ticket: TicketView, cutoff: datetime) -> bool:
    """Closed at or before `cutoff`, and not purged since it was last closed."""
    closed = closed_at(ticket)
    if closed is None or closed > cutoff:
        return False
    return not any(e.action == PURGED and as_utc(e.at) >= closed for e in ticket.events)


def due_for_purge(
    tickets: Iterable[TicketView], *, now: datetime, older_than: timedelta
) -> list[int]:
    cutoff = as_utc(now) - older_than
    return sorted(t.id for t in tickets if is_due(t, cutoff))


def files_to_delete(mails: Iterable[tuple[str, bool]]) -> tuple[frozenset[str], frozenset[str]]:
    """(delete, keep) among the hashes of purged mails, from (sha256, purged) of every mail.

    A file goes when every mail that has those bytes is purged; one unpurged mail keeps it.
    """
    purged: set[str] = set()
    needed: set[str] = set()
    for digest, is_purged in mails:
        (purged if is_purged else needed).add(digest)
    return frozenset(purged - needed), frozenset(purged & needed)


def redact_event_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    """An event's detail with only ids and codes left; the names of removed keys listed."""
    kept = {key: value for key, value in detail.items() if _keeps(key, value)}
    removed = sorted(set(detail) - set(kept) - {"redacted"})
    previously = detail.get("redacted")
    if isinstance(previously, list):
        removed = sorted({*removed, *(k for k in previously if isinstance(k, str))})
    return {**kept, "redacted": removed} if removed else kept


def _keeps(key: str, value: object) -> bool:
    if key in _ID_KEYS:
        return isinstance(value, int) and not isinstance(value, bool)
    if key in _CODE_KEYS:
        return _is_code(value)
    if key in _STATE_KEYS:
        return value in _STATES
    return key == "reason" and value in _BOT_REASONS


def _is_code(value: object) -> bool:
    if isinstance(value, str):
        return _CODE.fullmatch(value) is not None
    return isinstance(value, list) and all(isinstance(v, str) and _CODE.fullmatch(v) for v in value)


def redact_verdict(verdict: Mapping[str, Any]) -> dict[str, Any]:
    """A stored verdict cut to what happened: codes, counts and the kinds of attachments."""
    found = verdict.get("reply")
    reply: Mapping[str, Any] = found if isinstance(found, dict) else {}
    attachments = verdict.get("attachments")
    return {
        PURGED: True,
        "category": verdict.get("category"),
        "confidence": verdict.get("confidence"),
        "language": verdict.get("language"),
        "auto_generated": verdict.get("auto_generated"),
        "missing": _codes(verdict.get("missing")),
        "provided": _codes(verdict.get("provided")),
        "conditions": _codes(verdict.get("conditions")),
        "reply": {"action": reply.get("action"), "language": reply.get("language")},
        "attachments": [
            {"kind": a.get("kind"), "pages": a.get("pages"), "text_chars": a.get("text_chars")}
            for a in (attachments if isinstance(attachments, list) else [])
            if isinstance(a, dict)
        ],
    }


def _codes(values: object) -> list[str]:
    if not isinstance(values, list):
        return []
    return [v for v in values if isinstance(v, str) and _CODE.fullmatch(v)]


def is_purged_verdict(verdict: Mapping[str, Any] | None) -> bool:
    return bool(verdict and verdict.get(PURGED) is True)


# --- I/O ------------------------------------------------------------------------------


def purge(
    store: Store, *, older_than: timedelta, now: datetime | None = None, dry_run: bool = False
) -> PurgeReport:
    """Purge every ticket closed for longer than `older_than` (see the module docstring)."""
    now = now or utc_now()
    sqlite = store.engine.dialect.name == "sqlite"
    with store.session() as session, session.begin():
        if sqlite and not dry_run:
            session.connection().exec_driver_sql("PRAGMA secure_delete=ON")
        due = due_for_purge(_closed_tickets(session), now=now, older_than=older_than)
        mails = session.scalars(select(Mail).where(Mail.ticket_id.in_(due))).all() if due else []
        replies = (
            session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id.in_(due))).all()
            if due
            else []
        )
        if not dry_run:
            _redact(session, due, mails, replies, older_than)
        session.flush()
        purging = {m.id for m in mails}
        every_mail = session.execute(select(Mail.id, Mail.sha256, Mail.verdict)).all()
        delete, keep = files_to_delete(
            (digest, row_id in purging or is_purged_verdict(verdict))
            for row_id, digest, verdict in every_mail
        )
    existing = [d for d in sorted(delete) if store.raw_mail.path_for(d).exists()]
    if not dry_run:
        for digest in existing:
            store.raw_mail.path_for(digest).unlink(missing_ok=True)
        if due:
            search.compact(store.engine)
            vacuum(store, ("tickets", "mails", "mail_texts", "outbox", "ticket_events"))
    return PurgeReport(
        tickets=tuple(due),
        mails=len(mails),
        replies=len(replies),
        files_deleted=len(existing),
        files_kept=len({m.sha256 for m in mails} & keep),
        dry_run=dry_run,
    )


def _closed_tickets(session: Session) -> list[TicketView]:
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.status == TicketStatus.CLOSED.value)
        .options(selectinload(Ticket.events))
    ).all()
    return [
        TicketView(
            t.id,
            t.status,
            t.updated_at,
            tuple(EventView(e.at, e.action, e.detail) for e in t.events),
        )
        for t in tickets
    ]


def _redact(
    session: Session,
    due: Sequence[int],
    mails: Sequence[Mail],
    replies: Sequence[OutboxMessage],
    older_than: timedelta,
) -> None:
    search.forget(session, (m.id for m in mails))
    for mail in mails:
        mail.sender = None
        mail.subject = ""
        mail.message_id = None
        mail.error = None
        mail.verdict = redact_verdict(mail.verdict)
    for reply in replies:
        reply.raw = b""
        reply.recipient = ""
        reply.last_error = None
        if reply.status == OutboxStatus.PENDING.value:
            reply.status = OutboxStatus.FAILED.value  # a year unsent: nothing left to send
    events = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id.in_(due), TicketEvent.action != PURGED)
    ).all()
    for event in events:
        event.detail = redact_event_detail(event.detail)
    session.execute(  # updated_at kept as it was: it is the closing time of last resort
        update(Ticket).where(Ticket.id.in_(due)).values(fields={}, updated_at=Ticket.updated_at)
    )
    for ticket_id in due:
        detail = {
            "mails": sum(m.ticket_id == ticket_id for m in mails),
            "replies": sum(r.ticket_id == ticket_id for r in replies),
            "older_than_days": older_than.days,
        }
        session.add(TicketEvent(ticket_id=ticket_id, actor=BOT_ACTOR, action=PURGED, detail=detail))
