"""The work queue between the fetcher and the triage workers, in the ticket database.

The fetcher *enqueues* each mail (raw bytes on disk, a row in `inbound`); workers *claim*
rows — on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so any number of workers on any
number of machines never take the same mail; on SQLite the single writer lock does the
same for the one worker SQLite allows. A worker that dies leaves its claim behind; after
`stale_after` another worker takes the mail again, and after `max_attempts` claims the mail
is filed with an error instead of being tried forever (a mail that kills workers must not
stop the queue). Filing is idempotent by source key, so a mail taken twice is filed once.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.sources import Placement, SourceMail, Watermark
from bot.store.models import (
    InboundMail,
    InboundState,
    MailboxState,
    OutboxMessage,
    as_utc,
    utc_now,
)
from bot.store.repository import Store


@dataclass(frozen=True)
class ClaimedMail:
    """One mail a worker has claimed: its bytes and what filing it needs."""

    id: int
    source_key: str
    raw: bytes
    received_at: datetime | None
    may_reply: bool
    attempts: int
    """Claims so far, this one included: above the store's limit the mail is not triaged."""


@dataclass(frozen=True)
class DoneMail:
    """A filed mail the fetcher may now move out of the inbox (or flag)."""

    id: int
    mail: SourceMail
    category: str


def _insert(store: Store) -> Callable[..., Any]:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING (both SQLite and PostgreSQL)."""
    return postgres_insert if store.engine.dialect.name == "postgresql" else sqlite_insert


def register_mailbox(store: Store, mailbox: str) -> datetime:
    """Record the first start for `mailbox` (once, ever) and return it: the reply cut-off."""
    with store.session() as session, session.begin():
        session.execute(
            _insert(store)(MailboxState)
            .values(mailbox=mailbox, first_started_at=utc_now())
            .on_conflict_do_nothing(index_elements=["mailbox"])
        )
        return as_utc(session.get_one(MailboxState, mailbox).first_started_at)


def enqueue(store: Store, mailbox: str, mail: SourceMail, *, may_reply: bool) -> bool:
    """Store one fetched mail for the workers; False when it was taken before (a re-fetch)."""
    digest = store.raw_mail.put(mail.raw)  # durable before the row that points at it
    with store.session() as session, session.begin():
        inserted = session.execute(
            _insert(store)(InboundMail)
            .values(
                mailbox=mailbox,
                source_key=mail.key,
                folder=mail.folder,
                uidvalidity=mail.uidvalidity,
                uid=mail.uid,
                sha256=digest,
                size=len(mail.raw),
                received_at=mail.received_at,
                fetched_at=utc_now(),
                may_reply=may_reply,
                state=InboundState.QUEUED.value,
                attempts=0,
            )
            .on_conflict_do_nothing(index_elements=["source_key"])
            .returning(InboundMail.id)
        ).scalar_one_or_none()
        return inserted is not None


def known_keys(store: Store, keys: list[str]) -> set[str]:
    """Which of these source keys are queued or filed already (the fetcher skips them)."""
    found: set[str] = set()
    with store.session() as session:
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            found.update(
                session.scalars(
                    select(InboundMail.source_key).where(InboundMail.source_key.in_(chunk))
                )
            )
    return found


def inbound_state(store: Store, source_key: str) -> str | None:
    with store.session() as session:
        return session.scalar(select(InboundMail.state).where(InboundMail.source_key == source_key))


def claim(
    store: Store, worker: str, *, limit: int = 1, stale_after: timedelta = timedelta(minutes=10)
) -> list[ClaimedMail]:
    """Take up to `limit` queued mails that no live worker holds: new mail first, then the
    backlog, each oldest first.

    New mail is mail that may be answered (it arrived after the reply cut-off): an
    applicant waits for its reply, nobody waits for the filing of a first import's old
    mail, so a backlog of thousands never stands between a new mail and its reply.
    A claim is abandoned when it is older than `stale_after`, or at once when it was made
    on this machine by a process that no longer exists (a restart after a crash resumes
    without waiting).
    """
    now = utc_now()
    with store.session() as session, session.begin():
        dead = _dead_local_claimers(
            session.scalars(
                select(InboundMail.claimed_by)
                .distinct()
                .where(
                    InboundMail.state == InboundState.QUEUED.value,
                    InboundMail.claimed_by.startswith(f"{socket.gethostname()}:"),
                )
            ).all()
        )
        rows: list[InboundMail] = []
        for new in (True, False):
            if len(rows) >= limit:
                break
            query = (
                select(InboundMail)
                .where(
                    InboundMail.state == InboundState.QUEUED.value,
                    InboundMail.may_reply == new,
                    InboundMail.claimed_at.is_(None)
                    | (InboundMail.claimed_at < now - stale_after)
                    | InboundMail.claimed_by.in_(dead),
                )
                .order_by(InboundMail.id)
                .limit(limit - len(rows))
            )
            if store.engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows.extend(session.scalars(query).all())
        for row in rows:
            row.claimed_by = worker[:200]
            row.claimed_at = now
            row.attempts += 1
        claimed = [
            (row.id, row.source_key, row.sha256, row.received_at, row.may_reply, row.attempts)
            for row in rows
        ]
    return [
        ClaimedMail(id_, key, store.raw_mail.get(digest), received, may_reply, attempts)
        for id_, key, digest, received, may_reply, attempts in claimed
    ]


def _dead_local_claimers(claimers: Sequence[str | None]) -> list[str]:
    """Of `host:pid[/n]` claimers on this host, those whose process is gone."""
    dead = []
    for claimer in claimers:
        pid_text = (claimer or "").partition(":")[2].partition("/")[0]
        if not pid_text.isdigit():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            dead.append(str(claimer))
        except PermissionError:
            pass  # alive, someone else's
    return dead


def mark_filed(store: Store, inbound_id: int, category: str, *, error: str | None = None) -> None:
    with store.session() as session, session.begin():
        row = session.get_one(InboundMail, inbound_id)
        row.state = InboundState.FILED.value
        row.category = category
        row.filed_at = utc_now()
        row.last_error = error[:2_000] if error else None


def done_at_source(store: Store, mailbox: str, limit: int = 200) -> list[DoneMail]:
    """Filed mails of `mailbox` still in the inbox: the fetcher moves or flags them next."""
    with store.session() as session:
        rows = session.scalars(
            select(InboundMail)
            .where(
                InboundMail.mailbox == mailbox,
                InboundMail.state != InboundState.QUEUED.value,
                InboundMail.done_at.is_(None),
            )
            .order_by(InboundMail.id)
            .limit(limit)
        ).all()
        return [
            DoneMail(
                row.id,
                SourceMail(
                    key=row.source_key,
                    raw=b"",
                    folder=row.folder,
                    uidvalidity=row.uidvalidity,
                    uid=row.uid,
                    received_at=None,
                ),
                row.category or "other",
            )
            for row in rows
        ]


def mark_done_at_source(store: Store, done: Sequence[tuple[int, Placement | None]]) -> None:
    """Moved or flagged, a batch in one transaction: (inbound id, where it went — recorded
    so its copy can be deleted later, #11 — or None when it was not there to move)."""
    if not done:
        return
    now = utc_now()
    rows = [
        {
            "id": inbound_id,
            "done_at": now,
            "moved_folder": placed.folder[:500] if placed else None,
            "moved_uidvalidity": placed.uidvalidity if placed else None,
            "moved_uid": placed.uid if placed else None,
        }
        for inbound_id, placed in done
    ]
    with store.session() as session, session.begin():
        session.execute(update(InboundMail), rows)  # by primary key, as one executemany


def fetch_mark(store: Store, mailbox: str) -> Watermark | None:
    """The mailbox's UID watermark (see `MailboxState.fetched_uid`), None before the first."""
    with store.session() as session:
        state = session.get(MailboxState, mailbox)
        if state is None or state.fetched_uidvalidity is None or state.fetched_uid is None:
            return None
        return Watermark(state.fetched_uidvalidity, state.fetched_uid)


def record_fetch(
    store: Store,
    mailbox: str,
    fetcher: str,
    *,
    ok: bool,
    error: str | None = None,
    mark: Watermark | None = None,
) -> None:
    """The fetcher's heartbeat; `ok` also moves the time of the last good fetch, and `mark`
    the UID watermark, once everything up to it is queued."""
    now = utc_now()
    with store.session() as session, session.begin():
        state = session.get(MailboxState, mailbox)
        if state is None:
            state = MailboxState(mailbox=mailbox, first_started_at=now)
            session.add(state)
        state.fetcher = fetcher[:200]
        state.heartbeat_at = now
        if ok:
            state.last_fetch_at = now
            state.last_error = None
        else:
            state.last_error = (error or "unknown error")[:2_000]
        if mark is not None:
            state.fetched_uidvalidity = mark.uidvalidity
            state.fetched_uid = mark.uid


def queue_depth(store: Store) -> int:
    """Mails fetched and not yet filed."""
    with store.session() as session:
        return int(
            session.scalar(
                select(func.count(InboundMail.id)).where(
                    InboundMail.state == InboundState.QUEUED.value
                )
            )
            or 0
        )


def claim_for_sending(store: Store, outbox_id: int, seen_since: datetime | None) -> bool:
    """Mark reply `outbox_id` as being sent by us, unless another worker got there first.

    `seen_since` is the row's `sending_since` as the caller read it (None for a fresh
    reply, the old mark for one cut off mid-send): the update only lands if it is unchanged,
    so of two workers deciding at once, exactly one sends.
    """
    condition = (
        OutboxMessage.sending_since.is_(None)
        if seen_since is None
        else OutboxMessage.sending_since == seen_since
    )
    with store.session() as session, session.begin():
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "pending", condition)
            .values(sending_since=utc_now())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
