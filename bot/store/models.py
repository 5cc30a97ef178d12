"""The ticket store's tables, as SQLAlchemy 2 typed ORM classes (SQLite and PostgreSQL).

A *ticket* is one case thread as caseworkers see it: every mail that names the same
case reference, or answers a mail of the thread, joins it. The raw mail bytes live on
disk, content-addressed (`RawMailStore`); the rows keep the verdict and the hash.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time as aware UTC: SQLite hands back naive UTC, PostgreSQL the session's zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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
    HELD = "held"
    """Waiting for a caseworker to approve, edit or discard it (`reply_mode`): never sent
    while it waits; approved or edited, it becomes pending."""
    DISCARDED = "discarded"
    """A waiting reply a caseworker decided not to send."""


CASEWORKER_REPLY_ACTION = "caseworker_reply"
"""`outbox.action` of a reply a caseworker wrote (or edited from the bot's draft) and sent."""
PERSONAL_REPLY_ACTIONS = ("request_missing_again", CASEWORKER_REPLY_ACTION)
"""`outbox.action` of the replies a caseworker asked for or wrote: a mail may have any
number of these besides its one automatic reply (migrations 0003 and 0010)."""
_AUTOMATIC_ONLY = text(f"action NOT IN {PERSONAL_REPLY_ACTIONS!r}")


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
    to_check: Mapped[list[str]] = mapped_column(default=list)
    """Requirement codes the bot could not judge: for the caseworker, never asked for."""
    personal_data: Mapped[bool] = mapped_column(default=False, index=True)
    """A mail of this ticket held national ID numbers (flagged; the queue filters on it)."""
    assigned_to: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    received_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    """When the case's first mail reached the mailbox (the server's INTERNALDATE, never later
    than the filing): the ticket's age and its answer deadline count from here, so a mail
    that waited while the bot was down is not younger than it is."""

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
    duplicate_of: Mapped[int | None] = mapped_column(index=True)
    """A second delivery of mail `duplicate_of` (same Message-ID or bytes): kept, not counted."""
    stranger: Mapped[bool] = mapped_column(default=False)
    """From a sender new to a case that had one: read by a person, it changes nothing."""
    personal_data: Mapped[bool] = mapped_column(default=False, index=True)
    """The mail held national ID numbers (its verdict's `personal_data` says where)."""
    personal_data_deleted_at: Mapped[datetime | None]
    """When its raw bytes and the attachments that held the numbers were deleted."""

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
    __table_args__ = (
        Index("ix_outbox_status_id", "status", "id"),
        Index(
            "ux_outbox_automatic_reply",
            "mail_id",
            unique=True,
            sqlite_where=_AUTOMATIC_ONLY,
            postgresql_where=_AUTOMATIC_ONLY,
        ),
        Index("ux_outbox_compose_key", "compose_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("mails.id"))
    """One automatic reply per received mail, enforced by the database (migration 0003);
    a caseworker may ask for the missing-items reply again, or write replies of their own.
    None: a mail that answers no received mail, such as a caseworker's assignment notice
    (migration 0011)."""
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    action: Mapped[str] = mapped_column(String(32))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    sent_at: Mapped[datetime | None]
    sending_since: Mapped[datetime | None]
    """Set (and committed) before each attempt, cleared with its outcome: a row that still has
    it after a restart was cut off mid-send, and may or may not have been accepted."""
    confirmed_at: Mapped[datetime | None]
    """When the relay's copy to the bot's own inbox came back: proof the reply was accepted."""
    compose_key: Mapped[str | None] = mapped_column(String(64))
    """The idempotency key of the caseworker's compose form (unique): a double click, or a
    form posted twice, queues one reply."""
    held_reason: Mapped[str | None] = mapped_column(String(32))
    """Why it waited for a caseworker (`reply_policy.HoldReason`); None: it never waited."""
    decided_by: Mapped[str | None] = mapped_column(String(120))
    """The person who wrote, approved, edited or discarded it; None: the bot alone."""
    decided_at: Mapped[datetime | None]


# --- the caseworkers' web pages (issue #5) ---------------------------------------------


class InboundState(StrEnum):
    QUEUED = "queued"
    """Fetched and stored; waiting for a worker."""
    FILED = "filed"
    """Triaged and filed (ticket committed); the source may now move or flag it."""


class InboundMail(Base):
    """The work queue between the fetcher and the triage workers: one row per fetched mail.

    The fetcher writes the raw bytes (content-addressed) and this row in one step, so a
    mail the fetcher has taken is never lost; any worker, on any machine, claims it. The
    source location (`folder`, `uidvalidity`, `uid`) lets the fetcher move the mail after
    a worker has filed it.
    """

    __tablename__ = "inbound"
    __table_args__ = (
        Index("ix_inbound_state_id", "state", "id"),
        Index("ix_inbound_state_reply_id", "state", "may_reply", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(500), index=True)
    source_key: Mapped[str] = mapped_column(String(1000), unique=True)
    folder: Mapped[str] = mapped_column(String(500))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    received_at: Mapped[datetime | None]
    """The server's INTERNALDATE (Maildir: the file's time), not the sender's Date header."""
    fetched_at: Mapped[datetime] = mapped_column(default=utc_now)
    may_reply: Mapped[bool] = mapped_column(default=True)
    """False for mail that arrived before the reply cut-off: filed, never answered."""
    state: Mapped[str] = mapped_column(String(16), default=InboundState.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32))
    filed_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    """When the source moved or flagged it (after filing)."""
    moved_folder: Mapped[str | None] = mapped_column(String(500))
    """Where the fetcher moved it (migration 0007): its copy there is what a deletion of
    personal data removes from the mailbox."""
    moved_uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    moved_uid: Mapped[int | None] = mapped_column(BigInteger)
    """From the MOVE/COPY response's COPYUID (UIDPLUS); None: found by Message-ID later."""


class MailboxDeletionState(StrEnum):
    PENDING = "pending"
    DONE = "done"


class MailboxDeletion(Base):
    """A mail's copy in the mailbox, to delete (issue #11): the fetcher of `mailbox` works
    these off, retrying with back-off until done; each outcome goes to the ticket's history."""

    __tablename__ = "mailbox_deletions"
    __table_args__ = (Index("ix_mailbox_deletions_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("mails.id"), unique=True)
    source_key: Mapped[str] = mapped_column(String(1000))
    mailbox: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default=MailboxDeletionState.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    requested_at: Mapped[datetime] = mapped_column(default=utc_now)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]


class MailboxState(Base):
    """One row per watched mailbox: the reply cut-off and the fetcher's heartbeat.

    `first_started_at` is written once, at the first start: mail that arrived before it is
    a backlog, filed but not answered. The heartbeat and the last good fetch let
    `mikrobot status` and `/metrics` tell a stalled fetcher (or an expired token) apart
    from a quiet inbox.
    """

    __tablename__ = "mailboxes"

    mailbox: Mapped[str] = mapped_column(String(500), primary_key=True)
    first_started_at: Mapped[datetime] = mapped_column(default=utc_now)
    fetcher: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None]
    last_fetch_at: Mapped[datetime | None]
    """The last fetch that succeeded (empty or not)."""
    last_error: Mapped[str | None] = mapped_column(Text)
    fetched_uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    fetched_uid: Mapped[int | None] = mapped_column(BigInteger)
    """IMAP: every mail up to this UID (under `fetched_uidvalidity`) is queued or was
    handled, so a fetch asks for the UIDs above it only (the source's `Watermark`)."""


class UserRole(StrEnum):
    CASEWORKER = "caseworker"
    ADMIN = "admin"
    """A caseworker who also sees the classifier's figures, corrections, rules and users."""


class WebUser(Base):
    """A person who logs in to `mikrobot serve`; the password only as an argon2 hash."""

    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    email: Mapped[str | None] = mapped_column(String(320))
    """Where a notice goes when someone else assigns this user a ticket (migration 0011);
    None: no notices."""
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_login_at: Mapped[datetime | None]


class WebSession(Base):
    """A login: the cookie holds a random token, the row only its SHA-256 (a leaked
    database does not log anyone in), and the session's CSRF token."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]

    user: Mapped[WebUser] = relationship()


class Correction(Base):
    """A caseworker's category for a mail: a labelled example for the next `mikrobot train`."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("mails.id"), index=True)
    previous_category: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    corrected_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    exported_at: Mapped[datetime | None]
    """When `mikrobot corrections export` last wrote it out for training; None: waiting."""


# --- admins tune from the web (issue #12) ------------------------------------------------


class ModelVersion(Base):
    """A trained classifier kept as a version: where it lives, what it learned from, and its
    figures on the held-out split, so versions can be compared before one is activated."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(1000))
    """The model's folder (a spaCy pipeline with its `calibration.json`)."""
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by: Mapped[str] = mapped_column(String(120))
    training: Mapped[dict[str, Any]]
    """What it learned from: labelled mails, corrections, per category, epochs."""
    held_out: Mapped[str] = mapped_column(String(500))
    """The labelled set its figures were measured on: figures compare only on the same one."""
    held_out_mails: Mapped[int]
    macro_f1: Mapped[float]
    accuracy: Mapped[float]
    figures: Mapped[dict[str, Any]]
    """The whole evaluation report on the held-out split (`bot.evaluate.Report.to_json`)."""


class ModelActivation(Base):
    """Which version is active: the newest row. Every activation and rollback is a row."""

    __tablename__ = "model_activations"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    actor: Mapped[str] = mapped_column(String(120))
    rollback: Mapped[bool] = mapped_column(default=False)
    override: Mapped[bool] = mapped_column(default=False)
    """Activated although it scored worse than the version it replaced."""


class RetrainState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RetrainJob(Base):
    """A retraining run started from the admin page; one runs at a time (the unique index)."""

    __tablename__ = "retrain_jobs"
    __table_args__ = (
        Index(
            "ux_retrain_jobs_running",
            "state",
            unique=True,
            sqlite_where=text("state = 'running'"),
            postgresql_where=text("state = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    started_by: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(default=utc_now)
    state: Mapped[str] = mapped_column(String(16), default=RetrainState.RUNNING.value)
    step: Mapped[str] = mapped_column(String(32), default="starting")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utc_now)
    """Written every few seconds while the job lives: a job silent for long has died."""
    finished_at: Mapped[datetime | None]
    version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    error: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    """An admin's change (rules saved, model activated, retraining started): who, when, what."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]]


class MailText(Base):
    """A mail's words for full-text search (issue #12): subject, sender, its own text and
    its attachments' text, national IDs masked, written when the mail is filed and deleted
    with its personal data or by the purge (`bot/store/search.py`).

    The index over it is the database's own, built by migration 0012 and kept in step by
    the database: on SQLite the FTS5 table `mail_texts_fts` (external content, filled by
    triggers on this table), on PostgreSQL the generated `tsvector` column `search_vector`
    (the `norwegian` configuration) with a GIN index. Neither is declared here: they exist
    in one dialect each, and nothing reads them but `search.py`.
    """

    __tablename__ = "mail_texts"

    mail_id: Mapped[int] = mapped_column(ForeignKey("mails.id"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    subject: Mapped[str] = mapped_column(Text)
    sender: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    attachments: Mapped[str] = mapped_column(Text)
