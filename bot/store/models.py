"""The ticket store's tables, as SQLAlchemy 2 typed ORM classes (SQLite and PostgreSQL).

A *ticket* is one case thread as caseworkers see it: every mail that names the same
case reference, or answers a mail of the thread, joins it. The raw mail bytes live on
disk, content-addressed (`RawMailStore`); the rows keep the verdict and the hash.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: DateTime(timezone=True),
    }


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    """Rejected for good (a permanent SMTP error): shown on the ticket, not retried."""


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_reference: Mapped[str | None] = mapped_column(String(16), index=True)
    category: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float]
    status: Mapped[str] = mapped_column(String(32), index=True)
    fields: Mapped[dict[str, Any]]
    missing: Mapped[list[str]]
    provided: Mapped[list[str]]
    conditions: Mapped[list[str]]
    assigned_to: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    mails: Mapped[list[Mail]] = relationship(back_populates="ticket", order_by="Mail.id")
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id"
    )

    @property
    def reference(self) -> str:
        """The ticket number applicants see before SSB has given the case a reference."""
        return f"MB-{self.id:06d}"


class Mail(Base):
    __tablename__ = "mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    source_key: Mapped[str] = mapped_column(String(600), unique=True)
    """Where it came from (mailbox, UIDVALIDITY, UID): the same mail is never filed twice."""
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    sender: Mapped[str | None] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime | None]
    verdict: Mapped[dict[str, Any]]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    ticket: Mapped[Ticket] = relationship(back_populates="mails")


class TicketEvent(Base):
    """The ticket's history: who did what, when (the bot is an actor too)."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]]

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class OutboxMessage(Base):
    """A reply written in the same transaction as its ticket, delivered later, once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("mails.id"), unique=True)
    """One reply per received mail, enforced by the database."""
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    action: Mapped[str] = mapped_column(String(32))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    sent_at: Mapped[datetime | None]
