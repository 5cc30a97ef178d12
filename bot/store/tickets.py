"""The tickets as caseworkers read them: the queue's pages, one ticket with its mails and
history, and the category corrections that become training examples.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import selectinload

from bot.store import search
from bot.store.models import (
    Correction,
    Mail,
    OutboxMessage,
    Ticket,
    TicketEvent,
    utc_now,
)
from bot.store.repository import Store
from bot.store.search import matching_tickets

_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")

# --- the queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    category: str | None = None
    status: str | None = None
    assigned_to: str | None = None
    """A user name, or "-" for tickets nobody has taken."""
    has_missing: bool = False
    low_confidence: bool = False
    personal_data: bool = False
    """Only tickets flagged for national ID numbers received by mail (issue #11)."""
    search: str = ""


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


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int]
    """Tickets per category under every filter except the category itself."""


def _filtered(query: _Query, wanted: QueueFilter, threshold: float, dialect: str) -> _Query:
    if wanted.status:
        query = query.where(Ticket.status == wanted.status)
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
    number = re.fullmatch(r"(?:MB-)?0*(\d{1,9})", text, re.IGNORECASE)
    if number:
        conditions.append(Ticket.id == int(number.group(1)))
    return or_(*conditions)


def queue(
    store: Store, wanted: QueueFilter, *, threshold: float, page: int = 1, per_page: int = 25
) -> QueuePage:
    """One page of tickets, newest first, with counts per category."""
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
            .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
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
        newest: dict[int, Correction] = {}
        for correction in session.scalars(select(Correction).order_by(Correction.id)):
            newest[correction.mail_id] = correction
        for mail_id, correction in sorted(newest.items()):
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
