"""The ticket store: files each mail in one transaction, and hands replies to the sender.

`file_mail` writes the raw bytes to disk first (content-addressed, so a crash leaves at
most an unreferenced file), then in ONE transaction: the mail row, its case thread
(joined by case reference or by In-Reply-To/References, our own replies included),
the thread's new state, its history and the outbox row of the reply. The mail's
source key is unique, so a mail fetched twice is filed once.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, and_, create_engine, event, func, or_, select, text
from sqlalchemy.orm import Session, SessionTransaction, selectinload, sessionmaker

from bot.cases import CaseFacts, CaseState, TicketStatus, next_case_state
from bot.loop_guard import SPOOFED_OWN_ADDRESS, spoofed_own_address
from bot.requirements import Requirement
from bot.store.models import Mail, OutboxMessage, OutboxStatus, Ticket, TicketEvent, utc_now
from bot.store.rawmail import RawMailStore
from bot.store.search import index_mail, search_document
from bot.verdict import Category, ReplyAction, Verdict
from parsers.attachments import AttachmentText
from parsers.message import ParsedMail, canonical_address

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
BOT_ACTOR = "mikrobot"
FILING_LOCK = 0x6D696B726F626F74 >> 2
"""The PostgreSQL advisory lock every filing transaction holds ("mikrobot", 62 bits): apart
from the mailbox locks, which are hashes of mailbox names (`leader.py`)."""


@dataclass(frozen=True)
class HeldReply:
    """A reply to queue that waits for a caseworker's approval (`reply_mode`): stored as
    `held`, which the sender never sends, with why it waits."""

    message: EmailMessage
    reason: str


ReplyBuilder = Callable[[Verdict, ParsedMail, CaseFacts], EmailMessage | HeldReply | str]
"""(the mail's verdict, the mail, what its case knows now) → the reply (to send, or to hold
for approval), or why there is none. The worker passes `bot.reply_policy.plan` composed by
`bot.replies.render.compose` (`bot.replying.Answerer`)."""
_TICKET_REFERENCE = re.compile(r"MB-(\d{6,9})")
READ_ONLY: Final = "mikrobot_read_only"
"""The execution option that marks a connection as only reading (`create_store_engine`)."""


@dataclass(frozen=True)
class FiledMail:
    ticket_id: int
    mail_id: int
    outbox_id: int | None
    duplicate: bool = False
    reply_skipped: str | None = None
    """Why no reply was queued although the verdict asked for one (e.g. the rate limit)."""


@dataclass(frozen=True)
class PendingReply:
    id: int
    message_id: str
    recipient: str
    raw: bytes
    attempts: int
    sending_since: datetime | None
    """Not None when an earlier attempt was cut off before its outcome was recorded."""


def create_store_engine(url: str) -> Engine:
    """An engine for `url`; SQLite waits for a lock instead of failing at once.

    On SQLite, Python's driver commits on its own before DDL, so a bot killed during its
    first migration left tables without `alembic_version` and could never start again.
    SQLAlchemy's recipe for pysqlite makes every transaction, DDL included, explicit.

    Every write transaction takes the write lock when it begins (`BEGIN IMMEDIATE`). A
    deferred transaction that read first and wrote second met another process's pending
    write lock with an immediate "database is locked" — SQLite skips the busy wait there,
    since waiting could deadlock — so a caseworker's tool holding the database for a moment
    crashed the bot. Taking the lock up front turns that into an ordinary wait of up to
    `timeout`.

    A connection marked `READ_ONLY` (the sessions of `Store.session()` until they call
    `begin()`) begins with a plain `BEGIN` and takes only a shared lock: a page that only
    reads never queues behind, or holds up, the bot's filing (issue #12: a flood of login
    attempts, each holding the write lock, stopped the caseworkers' pages and the bot).
    """
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


class StoreSession(Session):
    """A session that reads without SQLite's write lock and writes with it.

    Until `begin()` its connection is marked `READ_ONLY` (a shared lock on SQLite);
    `with store.session() as session, session.begin():` is a write transaction and takes
    the write lock as it begins. Every write in the store is written that way: a session
    that never calls `begin()` is for reading.
    """

    def begin(self, nested: bool = False) -> SessionTransaction:
        transaction = super().begin(nested)
        if not nested:
            self.connection(execution_options={READ_ONLY: False})
        return transaction


class Store:
    def __init__(self, engine: Engine, raw_mail: RawMailStore) -> None:
        self.engine = engine
        self.raw_mail = raw_mail
        self._sessions = sessionmaker(
            engine.execution_options(**{READ_ONLY: True}),
            class_=StoreSession,
            expire_on_commit=False,
        )

    @classmethod
    def open(cls, url: str, raw_dir: Path) -> Store:
        store = cls(create_store_engine(url), RawMailStore(raw_dir))
        store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (safe to run at every start)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def session(self) -> StoreSession:
        """A session for reading; `session.begin()` makes it a write transaction."""
        return self._sessions()

    def has_mail(self, source_key: str) -> bool:
        """Whether a mail with this source key has been filed (filing is once per key)."""
        with self.session() as session:
            found = session.scalar(select(Mail.id).where(Mail.source_key == source_key))
            return found is not None

    def file_mail(
        self,
        *,
        raw: bytes,
        source_key: str,
        received_at: datetime | None,
        verdict: Verdict,
        mail: ParsedMail,
        requirements: tuple[Requirement, ...],
        build_reply: ReplyBuilder,
        may_reply: bool = True,
        attachment_texts: Sequence[AttachmentText] = (),
    ) -> FiledMail:
        """File one mail (see the module's docstring).

        `attachment_texts` are what triage read of its attachments (IDs masked): with the
        mail's subject, sender and text they are its words for search (`bot.store.search`).
        `may_reply` False (mail from before the reply cut-off, a backlog) files it unanswered.
        A second delivery of a mail already filed (same Message-ID or bytes) joins the first
        one's ticket unanswered; a sender new to a case joins it without changing it.
        """
        digest = self.raw_mail.put(raw)
        with self.session() as session, session.begin():
            if self.engine.dialect.name == "postgresql":
                # Workers file in parallel: two copies of one mail, or two mails of one case,
                # must not both read "no such ticket yet". Triage ran before this; filing is
                # a few short statements, so one filer at a time costs little. (SQLite's
                # BEGIN IMMEDIATE already serialises.)
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FILING_LOCK})
            existing = session.scalar(select(Mail).where(Mail.source_key == source_key))
            if existing is not None:
                return FiledMail(existing.ticket_id, existing.id, None, duplicate=True)
            ours = mail.message_id is not None and session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.message_id == mail.message_id)
            )
            spoofed = spoofed_own_address(verdict.evidence.rules, sent_by_the_bot=bool(ours))
            if spoofed:
                rules = (*verdict.evidence.rules, SPOOFED_OWN_ADDRESS)
                evidence = dataclasses.replace(verdict.evidence, rules=rules)
                verdict = dataclasses.replace(verdict, evidence=evidence)
            sender = _column_text(mail.sender.email.lower() if mail.sender else None, 320)
            original = _earlier_delivery(session, mail.message_id, digest, sender)
            if original is not None:
                return _file_second_delivery(
                    session, original, source_key, digest, mail, received_at, verdict
                )
            ticket = _thread_of(session, verdict, mail)
            previous = case_state_of(ticket) if ticket is not None else None
            earlier_senders = applicants(session, ticket.id) if ticket is not None else set()
            stranger = bool(earlier_senders) and sender not in earlier_senders
            state = (
                previous
                if stranger and previous is not None
                else next_case_state(previous, verdict, requirements)
            )
            if ticket is None:
                ticket = Ticket(
                    case_reference=verdict.fields.case_reference,
                    category=state.category.value,
                    confidence=verdict.confidence,
                    status=state.status.value,
                    fields={},
                    missing=[],
                    provided=[],
                    conditions=[],
                    to_check=[],
                    received_at=_arrival(received_at),
                )
                session.add(ticket)
                session.flush()
                _event(session, ticket, "opened", {"category": state.category.value})
            if not stranger:
                _apply_state(ticket, state, verdict)
            row = Mail(
                ticket_id=ticket.id,
                source_key=source_key,
                sha256=digest,
                message_id=_column_text(mail.message_id, 998),
                sender=sender,
                subject=_column_text(mail.subject, 10_000) or "",
                received_at=received_at,
                verdict=verdict.to_json(),
                error=_column_text(verdict.error, 10_000),
                stranger=stranger,
                personal_data=bool(verdict.personal_data),
            )
            if verdict.personal_data:
                ticket.personal_data = True  # set apart, even when the sender is a stranger
            session.add(row)
            session.flush()
            index_mail(session, row.id, ticket.id, search_document(mail, attachment_texts))
            _event(
                session,
                ticket,
                "mail_received",
                {
                    "mail_id": row.id,
                    "category": verdict.category.value,
                    "missing": list(state.missing),
                    **({"to_check": list(state.to_check)} if state.to_check else {}),
                },
            )
            if stranger:
                # Anybody can type a case reference: the mail is for a caseworker to read,
                # and it changes none of the case's fields or items.
                _event(session, ticket, "sender_joined", {"mail_id": row.id, "sender": sender})
            if spoofed:
                _event(session, ticket, "spoofed_own_address", {"mail_id": row.id})
            to_sender, this_hour = _reply_counts(session, sender)
            facts = CaseFacts(
                ticket_reference=ticket.reference,
                case_reference=ticket.case_reference,
                category=state.category,
                missing=state.missing,
                to_check=state.to_check,
                notes=verdict.notes,
                sender_in_thread=not stranger,
                language=case_language(session, ticket.id, sender, row.id),
                before_cutoff=not may_reply,
                replies_to_sender_today=to_sender,
                replies_this_hour=this_hour,
            )
            outbox_id, skipped = _queue_reply(
                session, ticket, row, verdict, mail, facts, build_reply
            )
            return FiledMail(ticket.id, row.id, outbox_id, reply_skipped=skipped)

    def pending_replies(self, limit: int = 50, *, after: int = 0) -> list[PendingReply]:
        """Queued replies, oldest first, with ids above `after` (to page through them)."""
        with self.session() as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING.value, OutboxMessage.id > after)
                .order_by(OutboxMessage.id)
                .limit(limit)
            ).all()
            return [
                PendingReply(r.id, r.message_id, r.recipient, r.raw, r.attempts, r.sending_since)
                for r in rows
            ]

    def mark_sent(self, outbox_id: int) -> None:
        with self.session() as session, session.begin():
            row = session.get_one(OutboxMessage, outbox_id)
            if row.status == OutboxStatus.SENT.value:
                return  # its copy came back first and confirmed it
            row.status = OutboxStatus.SENT.value
            row.sent_at = utc_now()
            row.sending_since = None
            row.attempts += 1
            _event(
                session, session.get_one(Ticket, row.ticket_id), "reply_sent", {"outbox_id": row.id}
            )

    def confirm_delivery(self, message_id: str) -> bool:
        """The relay's copy of reply `message_id` reached the bot's own inbox.

        Returns False when no reply of ours has that Message-ID. A reply still pending — its
        attempt was cut off after the relay accepted it — becomes sent, so it is not sent twice.
        """
        with self.session() as session, session.begin():
            row = session.scalars(
                select(OutboxMessage).where(OutboxMessage.message_id == message_id)
            ).one_or_none()
            if row is None:
                return False
            if row.confirmed_at is not None:
                return True
            row.confirmed_at = utc_now()
            details: dict[str, Any] = {"outbox_id": row.id}
            if row.status == OutboxStatus.PENDING.value:
                row.status = OutboxStatus.SENT.value
                row.sent_at = row.sending_since or row.confirmed_at
                row.sending_since = None
                row.attempts += 1
                details["recovered"] = True  # accepted by the relay before a crash
            _event(session, session.get_one(Ticket, row.ticket_id), "reply_confirmed", details)
            return True

    def mark_failed(self, outbox_id: int, error: str, *, permanent: bool) -> None:
        """A temporary failure stays pending (tried again later); a permanent one is shown."""
        with self.session() as session, session.begin():
            row = session.get_one(OutboxMessage, outbox_id)
            row.attempts += 1
            row.last_error = error[:2_000]
            row.sending_since = None
            if permanent:
                row.status = OutboxStatus.FAILED.value
                ticket = session.get_one(Ticket, row.ticket_id)
                _event(session, ticket, "reply_failed", {"outbox_id": row.id, "error": error[:500]})

    def tickets(
        self, *, category: str | None = None, status: str | None = None, limit: int = 100
    ) -> Sequence[Ticket]:
        with self.session() as session:
            query = (
                select(Ticket)
                .options(selectinload(Ticket.mails))  # listings show the mail count
                .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
                .limit(limit)
            )
            if category:
                query = query.where(Ticket.category == category)
            if status:
                query = query.where(Ticket.status == status)
            return session.scalars(query).all()

    def ticket(self, ticket_id: int) -> tuple[Ticket, list[Mail], list[TicketEvent]] | None:
        with self.session() as session:
            found = session.get(Ticket, ticket_id)
            if found is None:
                return None
            return found, list(found.mails), list(found.events)

    def outbox(self, ticket_id: int) -> list[OutboxMessage]:
        with self.session() as session:
            query = select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id)
            return list(session.scalars(query.order_by(OutboxMessage.id)).all())


def _thread_of(session: Session, verdict: Verdict, mail: ParsedMail) -> Ticket | None:
    """The case this mail belongs to: the ticket it names (`MB-000123`), the same case
    reference, or an answer in its thread."""
    for named in verdict.ticket_references:
        match = _TICKET_REFERENCE.fullmatch(named)
        found_ticket = session.get(Ticket, int(match.group(1))) if match else None
        if found_ticket is not None:
            return found_ticket
    reference = verdict.fields.case_reference
    if reference:
        found = session.scalar(
            select(Ticket).where(Ticket.case_reference == reference).order_by(Ticket.id.desc())
        )
        if found is not None:
            return found
    ancestors = [m for m in (mail.in_reply_to, *mail.references) if m]
    if verdict.auto_generated:
        ancestors += _returned_message_ids(mail)  # a bounce of, or an auto-reply to, our reply
    if not ancestors:
        return None
    ticket_id = session.scalar(
        select(Mail.ticket_id).where(Mail.message_id.in_(ancestors)).order_by(Mail.id.desc())
    ) or session.scalar(
        select(OutboxMessage.ticket_id)
        .where(or_(OutboxMessage.message_id.in_(ancestors)))
        .order_by(OutboxMessage.id.desc())
    )
    return session.get(Ticket, ticket_id) if ticket_id is not None else None


_RETURNED_PARTS = frozenset({"message/rfc822", "text/rfc822-headers", "message/global"})
_MESSAGE_ID_HEADER = re.compile(rb"(?im)^(?:message-id|in-reply-to):\s*(<[^<>\s]{1,250}>)")


def _returned_message_ids(mail: ParsedMail) -> list[str]:
    """The Message-IDs a delivery report or auto-reply carries back in its returned part or
    quoted headers: the way a bounce of our reply finds the ticket it belongs to."""
    found = []
    for attachment in mail.attachments:
        if attachment.content_type.lower() in _RETURNED_PARTS:
            found += [m.decode("ascii", "replace") for m in _MESSAGE_ID_HEADER.findall(
                attachment.payload[:65_536])]  # fmt: skip
    text = (mail.text.new + "\n" + mail.text.quoted).encode("utf-8", "replace")
    found += [m.decode("ascii", "replace") for m in _MESSAGE_ID_HEADER.findall(text)]
    return found[:20]


def case_state_of(ticket: Ticket) -> CaseState:
    """A stored ticket's case state, as `next_case_state` continues it."""
    return CaseState(
        category=Category(ticket.category),
        provided=frozenset(ticket.provided),
        conditions=frozenset(ticket.conditions),
        missing=tuple(ticket.missing),
        status=TicketStatus(ticket.status),
        to_check=tuple(ticket.to_check or ()),
    )


def _earlier_delivery(
    session: Session, message_id: str | None, digest: str, sender: str | None
) -> Mail | None:
    """The first filing of this very mail: the same bytes, or the same Message-ID from the
    same sender (a form tool that stamps one Message-ID on everybody's mail does not make
    their mails one)."""
    condition = Mail.sha256 == digest
    if message_id:
        same_id = and_(
            Mail.message_id == _column_text(message_id, 998),
            Mail.sender.is_(None) if sender is None else Mail.sender == sender,
        )
        condition = or_(condition, same_id)
    return session.scalar(
        select(Mail).where(condition, Mail.duplicate_of.is_(None)).order_by(Mail.id).limit(1)
    )


def _file_second_delivery(
    session: Session,
    original: Mail,
    source_key: str,
    digest: str,
    mail: ParsedMail,
    received_at: datetime | None,
    verdict: Verdict,
) -> FiledMail:
    """The same mail again (a resend, a second path through the relay): kept on the first
    one's ticket, recorded in its history, no second reply and no change to the case."""
    row = Mail(
        ticket_id=original.ticket_id,
        source_key=source_key,
        sha256=digest,
        message_id=_column_text(mail.message_id, 998),
        sender=_column_text(mail.sender.email.lower() if mail.sender else None, 320),
        subject=_column_text(mail.subject, 10_000) or "",
        received_at=received_at,
        verdict=verdict.to_json(),
        error=_column_text(verdict.error, 10_000),
        duplicate_of=original.id,
        personal_data=bool(verdict.personal_data),  # its bytes are deleted with the first's
    )
    session.add(row)
    session.flush()
    ticket = session.get_one(Ticket, original.ticket_id)
    if verdict.personal_data:
        ticket.personal_data = True
    _event(session, ticket, "delivered_again", {"mail_id": row.id, "first_mail_id": original.id})
    ticket.updated_at = datetime.now(UTC)
    return FiledMail(ticket.id, row.id, None, reply_skipped="the same mail was delivered before")


def applicants(
    session: Session, ticket_id: int, before_mail_id: int | None = None
) -> set[str | None]:
    """The case's own senders: of its mails that are neither a second delivery nor a
    stranger's (anybody can type a case reference, and writing twice makes nobody the
    applicant)."""
    query = select(Mail.sender).where(
        Mail.ticket_id == ticket_id, Mail.duplicate_of.is_(None), Mail.stranger.is_(False)
    )
    if before_mail_id is not None:
        query = query.where(Mail.id < before_mail_id)
    return set(session.scalars(query))


def case_language(
    session: Session, ticket_id: int, sender: str | None, before_mail_id: int
) -> str | None:
    """The language of the sender's first person-written mail in the case: a later one-line
    follow-up is too short for its own language to be told."""
    rows = session.scalars(
        select(Mail.verdict)
        .where(
            Mail.ticket_id == ticket_id,
            Mail.sender == sender,
            Mail.id < before_mail_id,
            Mail.duplicate_of.is_(None),
        )
        .order_by(Mail.id)
        .limit(20)
    )
    for data in rows:
        verdict = Verdict.from_json(data)
        if not verdict.auto_generated and verdict.error is None:
            return verdict.language
    return None


def _reply_counts(session: Session, sender: str | None) -> tuple[int, int]:
    """Replies queued in the last day to this sender and in the last hour to anyone."""
    since = utc_now() - timedelta(days=1)
    # Replies go to the address in IDNA form: count against the same spelling.
    recipient = canonical_address(sender) if sender else ""
    counted = OutboxMessage.status != OutboxStatus.DISCARDED.value  # never went anywhere
    to_sender = session.scalar(
        select(func.count(OutboxMessage.id)).where(
            func.lower(OutboxMessage.recipient) == recipient,
            OutboxMessage.created_at >= since,
            counted,
        )
    )
    hour_ago = utc_now() - timedelta(hours=1)
    this_hour = session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.created_at >= hour_ago, counted)
    )
    return to_sender or 0, this_hour or 0


def _queue_reply(
    session: Session,
    ticket: Ticket,
    row: Mail,
    verdict: Verdict,
    mail: ParsedMail,
    facts: CaseFacts,
    build_reply: ReplyBuilder,
) -> tuple[int | None, str | None]:
    """The reply the policy decided, in the outbox of the same transaction; or why not."""
    if verdict.reply.action is ReplyAction.NONE:
        return None, None
    built = build_reply(verdict, mail, facts)
    if isinstance(built, str):
        _event(session, ticket, "reply_skipped", {"mail_id": row.id, "reason": built})
        return None, built
    reply = built.message if isinstance(built, HeldReply) else built
    outbox = OutboxMessage(
        ticket_id=ticket.id,
        mail_id=row.id,
        message_id=str(reply["Message-ID"]),
        recipient=str(reply["To"]).lower(),
        action=str(reply.get("X-Mikrobot-Action", verdict.reply.action.value)),
        raw=bytes(reply),
    )
    if isinstance(built, HeldReply):
        outbox.status = OutboxStatus.HELD.value
        outbox.held_reason = built.reason
    session.add(outbox)
    session.flush()
    detail: dict[str, Any] = {"mail_id": row.id, "outbox_id": outbox.id}
    if isinstance(built, HeldReply):
        _event(session, ticket, "reply_held", {**detail, "hold": built.reason})
    else:
        _event(session, ticket, "reply_queued", detail)
    return outbox.id, None


def _apply_state(ticket: Ticket, state: CaseState, verdict: Verdict) -> None:
    ticket.category = state.category.value
    ticket.status = state.status.value
    ticket.missing = list(state.missing)
    ticket.provided = sorted(state.provided)
    ticket.conditions = sorted(state.conditions)
    ticket.to_check = list(state.to_check)
    ticket.confidence = verdict.confidence
    if ticket.case_reference is None and verdict.fields.case_reference:
        ticket.case_reference = verdict.fields.case_reference
    merged: dict[str, Any] = dict(ticket.fields)
    for name, value in dataclasses.asdict(verdict.fields).items():
        if value is not None:
            merged[name] = value  # the newest mail that states a field wins
        else:
            merged.setdefault(name, None)
    ticket.fields = merged
    ticket.updated_at = datetime.now(UTC)


def _arrival(received_at: datetime | None) -> datetime:
    """When a new case's first mail arrived: the mailbox's time, or now when the source gave
    none; a server clock ahead of ours never makes a ticket arrive in the future."""
    now = utc_now()
    return now if received_at is None else min(received_at.astimezone(UTC), now)


def _column_text(value: str | None, limit: int) -> str | None:
    """Text a column can hold: PostgreSQL refuses NUL characters, and columns have sizes.

    A hostile mail must not become a row the database rejects on every retry.
    """
    if value is None:
        return None
    return value.replace("\x00", "")[:limit]


def _event(session: Session, ticket: Ticket, action: str, detail: dict[str, Any]) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, actor=BOT_ACTOR, action=action, detail=detail))
