"""The tickets as caseworkers read them: the queue's pages, one ticket with its mails and
history, and the category corrections that become training examples.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, TypeVar

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.cases import TicketStatus
from bot.store import search
from bot.store.models import (
    Correction,
    Mail,
    OutboxMessage,
    Ticket,
    TicketEvent,
    as_utc,
    utc_now,
)
from bot.store.repository import Store
from bot.store.search import matching_tickets
from bot.verdict import Category

_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")

# --- the queue ---------------------------------------------------------------------------

OPEN: Final = "open"
"""The queue's status filter for every ticket not closed: the work still to do."""
ALL: Final = "all"
"""The queue's status filter for every ticket, closed ones too."""
MAX_ID: Final = 2**31 - 1
"""The largest row id the store can hold (PostgreSQL's `integer`): a larger one names nothing."""
_REFERENCE: Final = re.compile(r"\s*(MB-?\s?)?0*(\d{1,10})\s*", re.IGNORECASE)


def ticket_number(text: str, *, marked: bool = False) -> int | None:
    """The ticket a person names: `MB-000013` as the pages, replies and CLI write it (any
    case, with or without the dash or leading zeros), or the plain number `13` unless
    `marked` asks for the `MB` (a plain number may as well be an organisation's)."""
    found = _REFERENCE.fullmatch(text)
    if found is None or (marked and not found.group(1)):
        return None
    number = int(found.group(2))
    return number if 1 <= number <= MAX_ID else None


def existing_ticket(store: Store, text: str) -> int | None:
    """The ticket an exact reference (`MB-000013`) names, when it exists, whatever its
    status: the queue's search box goes straight to it."""
    number = ticket_number(text, marked=True)
    if number is None:
        return None
    with store.session() as session:
        return session.scalar(select(Ticket.id).where(Ticket.id == number))


class SortKey(StrEnum):
    RECEIVED = "received"
    """When the case's first mail arrived."""
    UPDATED = "updated"
    """The case's last change: a mail, a reply, a caseworker's action."""
    CATEGORY = "category"
    """In the order of `Category` (applications first), newest received first within each."""


@dataclass(frozen=True)
class QueueSort:
    key: SortKey = SortKey.UPDATED
    descending: bool = True


@dataclass(frozen=True)
class QueueFilter:
    category: str | None = None
    status: str = OPEN
    """`OPEN` (every status but closed), `ALL`, or one `TicketStatus` value."""
    assigned_to: str | None = None
    """A user name, or "-" for tickets nobody has taken."""
    has_missing: bool = False
    low_confidence: bool = False
    personal_data: bool = False
    """Only tickets flagged for national ID numbers received by mail (issue #11)."""
    search: str = ""
    overdue_before: datetime | None = None
    """Only open tickets whose first mail arrived before this time (`overdue_cutoff`)."""


@dataclass(frozen=True)
class QueueRow:
    id: int
    reference: str
    case_reference: str | None
    category: str
    confidence: float
    status: str
    organisation: str | None
    sender: str | None
    subject: str
    missing: tuple[str, ...]
    assigned_to: str | None
    mails: int
    updated_at: datetime
    personal_data: bool = False
    received_at: datetime | None = None
    """When the case's first mail arrived (aware UTC)."""


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int]
    """Tickets per category under every filter except the category itself."""


def overdue_cutoff(now: datetime, answer_within_days: int) -> datetime:
    """Open tickets whose first mail arrived before this time have waited too long."""
    return now - timedelta(days=answer_within_days)


def is_overdue(status: str, received_at: datetime | None, cutoff: datetime) -> bool:
    """The queue's "overdue" mark: open, and received before the cutoff (the same rule as
    the `overdue_before` filter, for one row)."""
    return (
        status != TicketStatus.CLOSED.value
        and received_at is not None
        and as_utc(received_at) < cutoff
    )


def _filtered(query: _Query, wanted: QueueFilter, threshold: float, dialect: str) -> _Query:
    if wanted.status == OPEN or wanted.overdue_before is not None:
        query = query.where(Ticket.status != TicketStatus.CLOSED.value)
    if wanted.status not in (OPEN, ALL):
        query = query.where(Ticket.status == wanted.status)
    if wanted.overdue_before is not None:
        query = query.where(Ticket.received_at < wanted.overdue_before)
    if wanted.assigned_to == "-":
        query = query.where(Ticket.assigned_to.is_(None))
    elif wanted.assigned_to:
        query = query.where(Ticket.assigned_to == wanted.assigned_to)
    if wanted.low_confidence:
        query = query.where(Ticket.confidence < threshold)
    if wanted.personal_data:
        query = query.where(Ticket.personal_data.is_(True))
    if wanted.has_missing:  # json_array_length: the same function in SQLite and PostgreSQL
        query = query.where(func.json_array_length(Ticket.missing) > 0)
    text = wanted.search.strip()[:200]
    if text:
        query = query.where(_search_condition(text, dialect))
    return query


_CATEGORY_ORDER: Final = case(
    {c.value: n for n, c in enumerate(Category)}, value=Ticket.category, else_=len(Category)
)


def _ordering(sort: QueueSort) -> tuple[ColumnElement[Any], ...]:
    """ORDER BY for a sort, with a total order (the id last) so pages never overlap."""
    if sort.key is SortKey.CATEGORY:
        first = _CATEGORY_ORDER.desc() if sort.descending else _CATEGORY_ORDER.asc()
        return first, Ticket.received_at.desc(), Ticket.id.desc()
    column = Ticket.received_at if sort.key is SortKey.RECEIVED else Ticket.updated_at
    if sort.descending:
        return column.desc(), Ticket.id.desc()
    return column.asc(), Ticket.id.asc()


def _search_condition(text: str, dialect: str) -> ColumnElement[bool]:
    """The queue's search: the ticket number; the beginning of the case reference; and
    every word in a mail's subject, sender, text or attachments (`bot.store.search`), which
    is where the organisation's name and number were read from.

    The organisation fields themselves are not searched: a prefix match inside the JSON
    of every ticket cost 180 ms a query at 20,000 tickets on SQLite (`make bench`)."""
    conditions: list[ColumnElement[bool]] = [
        Ticket.case_reference.istartswith(text, autoescape=True)
    ]
    words = matching_tickets(text, dialect)
    if words is not None:
        conditions.append(Ticket.id.in_(words))
    number = ticket_number(text)
    if number is not None:
        conditions.append(Ticket.id == number)
    return or_(*conditions)


def queue(
    store: Store,
    wanted: QueueFilter,
    *,
    threshold: float,
    page: int = 1,
    per_page: int = 25,
    sort: QueueSort = QueueSort(),
) -> QueuePage:
    """One page of tickets in `sort` order (newest change first), with counts per category."""
    dialect = store.engine.dialect.name
    with store.session() as session:
        if wanted.search.strip():
            search.prepare(session, dialect)
        counted = _filtered(
            select(Ticket.category, func.count(Ticket.id)).group_by(Ticket.category),
            wanted,
            threshold,
            dialect,
        )
        counts = {str(c): int(n) for c, n in session.execute(counted).all()}
        query = _filtered(select(Ticket), wanted, threshold, dialect)
        if wanted.category:
            query = query.where(Ticket.category == wanted.category)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        tickets = session.scalars(
            query.options(selectinload(Ticket.mails))
            .order_by(*_ordering(sort))
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        rows = [_queue_row(t) for t in tickets]
    return QueuePage(rows, total, page, pages, counts)


def _queue_row(ticket: Ticket) -> QueueRow:
    latest = ticket.mails[-1] if ticket.mails else None
    organisation = ticket.fields.get("organization_name")
    return QueueRow(
        id=ticket.id,
        reference=ticket.reference,
        case_reference=ticket.case_reference,
        category=ticket.category,
        confidence=ticket.confidence,
        status=ticket.status,
        organisation=str(organisation) if organisation else None,
        sender=latest.sender if latest else None,
        subject=latest.subject if latest else "",
        missing=tuple(ticket.missing),
        assigned_to=ticket.assigned_to,
        mails=len(ticket.mails),
        updated_at=ticket.updated_at,
        personal_data=ticket.personal_data,
        received_at=as_utc(ticket.received_at),
    )


# --- one ticket ------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket
    mails: list[Mail]
    events: list[TicketEvent]
    replies: list[OutboxMessage]
    corrections: list[Correction]


def ticket_detail(store: Store, ticket_id: int) -> TicketDetail | None:
    found = store.ticket(ticket_id)
    if found is None:
        return None
    ticket, mails, events = found
    with store.session() as session:
        corrections = list(
            session.scalars(
                select(Correction).where(Correction.ticket_id == ticket_id).order_by(Correction.id)
            )
        )
    return TicketDetail(ticket, mails, events, store.outbox(ticket_id), corrections)


def mail_of_ticket(store: Store, ticket_id: int, mail_id: int) -> Mail | None:
    with store.session() as session:
        mail = session.get(Mail, mail_id)
        return mail if mail is not None and mail.ticket_id == ticket_id else None


def next_ticket(store: Store, after: int, user: str) -> int | None:
    """The ticket to work on after ticket `after`: the oldest open one (any status but
    closed) that nobody or `user` has, after `after` in filing order, else from the start
    of the queue again; None when there is no other."""
    with store.session() as session:
        mine = or_(Ticket.assigned_to.is_(None), Ticket.assigned_to == user)
        open_ = Ticket.status != TicketStatus.CLOSED.value
        query = select(Ticket.id).where(open_, mine, Ticket.id != after)
        later = session.scalar(query.where(Ticket.id > after).order_by(Ticket.id).limit(1))
        return later or session.scalar(query.order_by(Ticket.id).limit(1))


# --- corrections for training ---------------------------------------------------------


@dataclass(frozen=True)
class CorrectionRow:
    id: int
    ticket_id: int
    mail_id: int
    subject: str
    previous_category: str
    category: str
    corrected_by: str
    created_at: datetime
    exported_at: datetime | None


def corrections(store: Store, *, waiting_only: bool = False) -> list[CorrectionRow]:
    with store.session() as session:
        query = (
            select(Correction, Mail.subject)
            .join(Mail, Mail.id == Correction.mail_id)
            .order_by(Correction.id.desc())
        )
        if waiting_only:
            query = query.where(Correction.exported_at.is_(None))
        return [
            CorrectionRow(
                c.id,
                c.ticket_id,
                c.mail_id,
                subject,
                c.previous_category,
                c.category,
                c.corrected_by,
                c.created_at,
                c.exported_at,
            )
            for c, subject in session.execute(query).all()
        ]


def newest_corrections(session: Session) -> dict[int, Correction]:
    """Each corrected mail's newest correction (its label), by mail id."""
    newest: dict[int, Correction] = {}
    for correction in session.scalars(select(Correction).order_by(Correction.id)):
        newest[correction.mail_id] = correction
    return newest


def export_corrections(
    store: Store, folder: Path, *, also: Iterable[Path] = (), split: str = "train"
) -> int:
    """Write `folder/labels.jsonl` and `folder/mail/*.eml` for `mikrobot train --labels`.

    Each mail's newest correction is its label. `also` are other labels files (the
    fixtures') whose `split` lines are copied first, their paths rewritten so that
    training on the one file learns from both. Returns how many corrections were written.
    A mail that held national IDs is never exported: no copy may live where the deletion of
    its personal data cannot reach.
    """
    root = folder.resolve().parent  # `train` reads files relative to the labels' grandparent
    (folder / "mail").mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    for path in also:
        base = path.resolve().parents[1]
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if item.get("split") == split:
                item["file"] = os.path.relpath(base / item["file"], root)
                lines.append(json.dumps(item, ensure_ascii=False))
    written = 0
    with store.session() as session, session.begin():
        for mail_id, correction in sorted(newest_corrections(session).items()):
            mail = session.get_one(Mail, mail_id)
            if mail.personal_data:  # never copied out of the store, where deletion reaches
                continue
            try:
                raw = store.raw_mail.get(mail.sha256)
            except OSError:  # purged with its closed case: nothing left to learn from
                continue
            target = folder / "mail" / f"{mail.sha256}.eml"
            target.write_bytes(raw)
            verdict = mail.verdict
            lines.append(
                json.dumps(
                    {
                        "file": target.resolve().relative_to(root).as_posix(),
                        "category": correction.category,
                        "language": verdict.get("language", "nb"),
                        "auto_generated": bool(verdict.get("auto_generated")),
                        "fields": verdict.get("fields") or {},
                        "missing": verdict.get("missing") or [],
                        "split": split,
                        "source": f"correction:{correction.id}",
                    },
                    ensure_ascii=False,
                )
            )
            written += 1
        now = utc_now()
        for correction in session.scalars(
            select(Correction).where(Correction.exported_at.is_(None))
        ):
            correction.exported_at = now
    (folder / "labels.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written
