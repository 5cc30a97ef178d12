"""Replies a person lets go: a caseworker writes one (from the bot's draft or from
scratch), or approves, edits or discards an automatic reply that waits (`reply_mode`).

Whether a case may be answered, to whom and in which thread is the one reply decision's
(`bot.reply_policy.plan`); this module never chooses a recipient. A caseworker's reply
is put in the bot's draft's envelope (`bot.replies.render.written_reply`): the plan's one
recipient, the Message-ID, `In-Reply-To`/`References` of the mail it answers. It goes
through the outbox like every reply, so the sender delivers it exactly once; the compose
form's idempotency key (`outbox.compose_key`, unique) makes a double click one reply.
Every action is one transaction with a history entry naming the person.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.casework import ReplyRefusedError, draft_reply
from bot.replies.headers import clean_subject
from bot.replies.render import (
    MAX_WRITTEN_CHARS,
    ReplyRenderError,
    person_text,
    read_reply,
    restamped,
    written_reply,
)
from bot.settings import Settings
from bot.store import Store
from bot.store.models import (
    CASEWORKER_REPLY_ACTION,
    OutboxMessage,
    OutboxStatus,
    Ticket,
    TicketEvent,
    utc_now,
)
from parsers.national_id import scan

COMPOSE_KEY: Final = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""What `new_compose_key` makes; anything else posted as a key is a tampered form."""


def new_compose_key() -> str:
    """The idempotency key of one compose form: random, 32 URL-safe characters."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Draft:
    """The bot's reply to the case now, as the composer shows it to be edited."""

    ticket_id: int
    mail_id: int
    """The mail it answers (the case's newest mail that may be answered)."""
    recipient: str
    subject: str
    body: str
    message: EmailMessage


@dataclass(frozen=True)
class WaitingReply:
    """An automatic reply waiting for a caseworker, as the review queue lists it."""

    id: int
    ticket_id: int
    reference: str
    category: str
    confidence: float
    recipient: str
    subject: str
    body: str
    hold: str
    created_at: datetime


def draft(store: Store, settings: Settings, ticket_id: int) -> Draft:
    """The one decision's reply to the case (`casework.draft_reply`: the preview), or
    `ReplyRefusedError("no_reply")` with why the bot may not answer it (machine-made mail,
    no single plain sender, a deleted mail …)."""
    try:
        mail, reply = draft_reply(store, settings, ticket_id)
    except (ReplyRenderError, ValueError) as error:
        raise ReplyRefusedError("no_reply", f"no reply: {error}", reason=str(error)) from error
    except OSError as error:  # its bytes were deleted (personal data, or a purge)
        reason = "the mail it would answer is deleted"
        raise ReplyRefusedError("no_reply", reason, reason=reason) from error
    if mail is None or isinstance(reply, str):
        reason = reply if isinstance(reply, str) else "no mail"
        raise ReplyRefusedError("no_reply", f"no reply: {reason}", reason=reason)
    return Draft(
        ticket_id=ticket_id,
        mail_id=mail.id,
        recipient=str(reply["To"]),
        subject=str(reply["Subject"]),
        body=_body(reply),
        message=reply,
    )


def checked_text(body: str) -> str:
    """A caseworker's text as it will be sent (`person_text`), or why it may not be."""
    text = person_text(body)
    if not text.strip():
        raise ReplyRefusedError("empty", "the reply has no text")
    if len(text) > MAX_WRITTEN_CHARS:
        raise ReplyRefusedError(
            "too_long", f"the reply is longer than {MAX_WRITTEN_CHARS} characters",
            limit=MAX_WRITTEN_CHARS,
        )  # fmt: skip
    if scan(text, mask=False).found:
        raise ReplyRefusedError(
            "national_id", "the reply holds a national ID number: such data is never e-mailed"
        )
    return text


def send_written(
    store: Store,
    settings: Settings,
    ticket_id: int,
    user: str,
    *,
    subject: str,
    body: str,
    key: str,
    now: datetime | None = None,
) -> int:
    """Queue a caseworker's reply to the case; returns its outbox id.

    The reply is the bot's draft when its words are unchanged (then byte for byte what the
    preview showed), or the caseworker's words in the draft's envelope. The same `key`
    posted again returns the first reply's id and queues nothing.
    """
    if not COMPOSE_KEY.fullmatch(key):
        raise ReplyRefusedError("form_expired", "the compose form has no valid key")
    text = checked_text(body)
    first = _replied_with_key(store, ticket_id, key)
    if first is not None:
        return first
    made = draft(store, settings, ticket_id)
    when = now or utc_now()
    edited = text != made.body or clean_subject(subject, fallback=made.subject) != made.subject
    try:
        message = (
            written_reply(
                made.message, subject=subject, body=text, now=when, action=CASEWORKER_REPLY_ACTION
            )
            if edited
            else made.message
        )
    except ReplyRenderError as error:
        raise ReplyRefusedError("no_reply", str(error), reason=str(error)) from error
    try:
        with store.session() as session, session.begin():
            ticket = session.get(Ticket, ticket_id, with_for_update=True)
            if ticket is None:
                raise ReplyRefusedError("no_reply", "no such ticket", reason="no such ticket")
            again = _with_key(session, key)
            if again is not None:  # the same form, posted while this one was composed
                return _same_ticket(again, ticket_id)
            row = OutboxMessage(
                ticket_id=ticket_id,
                mail_id=made.mail_id,
                message_id=str(message["Message-ID"]),
                recipient=str(message["To"]).lower(),
                action=CASEWORKER_REPLY_ACTION,
                raw=bytes(message),
                compose_key=key,
                decided_by=user,
                decided_at=when,
            )
            session.add(row)
            session.flush()
            _record(session, ticket, user, "reply_written",
                    outbox_id=row.id, mail_id=made.mail_id, edited=edited)  # fmt: skip
            return row.id
    except IntegrityError:  # PostgreSQL: a second post with the key committed first
        first = _replied_with_key(store, ticket_id, key)
        if first is None:
            raise
        return first


def waiting_replies(
    store: Store, *, ticket_id: int | None = None, outbox_id: int | None = None
) -> list[WaitingReply]:
    """Automatic replies waiting for a caseworker, oldest first (all, one ticket's, one)."""
    with store.session() as session:
        query = (
            select(OutboxMessage, Ticket)
            .join(Ticket, Ticket.id == OutboxMessage.ticket_id)
            .where(OutboxMessage.status == OutboxStatus.HELD.value)
            .order_by(OutboxMessage.id)
        )
        if ticket_id is not None:
            query = query.where(OutboxMessage.ticket_id == ticket_id)
        if outbox_id is not None:
            query = query.where(OutboxMessage.id == outbox_id)
        waiting = []
        for row, ticket in session.execute(query).all():
            message = read_reply(row.raw)
            waiting.append(
                WaitingReply(
                    id=row.id,
                    ticket_id=ticket.id,
                    reference=ticket.reference,
                    category=ticket.category,
                    confidence=ticket.confidence,
                    recipient=row.recipient,
                    subject=str(message["Subject"] or ""),
                    body=_body(message),
                    hold=row.held_reason or "",
                    created_at=row.created_at,
                )
            )
        return waiting


def waiting_count(store: Store) -> int:
    """How many replies wait for a caseworker (the navigation's count)."""
    with store.session() as session:
        held = OutboxMessage.status == OutboxStatus.HELD.value
        return session.scalar(select(func.count(OutboxMessage.id)).where(held)) or 0


def waiting_reply(store: Store, outbox_id: int) -> WaitingReply:
    """One waiting reply (to edit), or `ReplyRefusedError("not_waiting")`."""
    found = waiting_replies(store, outbox_id=outbox_id)
    if found:
        return found[0]
    with store.session() as session:
        raise _not_waiting(outbox_id, session.get(OutboxMessage, outbox_id))


def approve(store: Store, outbox_id: int, user: str, *, now: datetime | None = None) -> int:
    """Let a waiting reply go as it is (dated now); returns its ticket's id."""
    when = now or utc_now()
    with store.session() as session, session.begin():
        row = _waiting(session, outbox_id)
        row.raw = restamped(row.raw, when)
        _decide(row, OutboxStatus.PENDING, user, when)
        _record(session, session.get_one(Ticket, row.ticket_id), user, "reply_approved",
                outbox_id=row.id, mail_id=row.mail_id)  # fmt: skip
        return row.ticket_id


def edit_waiting(
    store: Store,
    outbox_id: int,
    user: str,
    *,
    subject: str,
    body: str,
    now: datetime | None = None,
) -> int:
    """Send a waiting reply with the caseworker's words (the same recipient, thread and
    Message-ID); unchanged words approve it as it is. Returns its ticket's id."""
    text = checked_text(body)
    when = now or utc_now()
    with store.session() as session, session.begin():
        row = _waiting(session, outbox_id)
        held = read_reply(row.raw)
        before = str(held["Subject"])
        if text == _body(held) and clean_subject(subject, fallback=before) == before:
            action, row.raw = "reply_approved", restamped(row.raw, when)
        else:
            try:
                message = written_reply(held, subject=subject, body=text, now=when,
                                        action=row.action)  # fmt: skip
            except ReplyRenderError as error:
                raise ReplyRefusedError("no_reply", str(error), reason=str(error)) from error
            action, row.raw = "reply_edited", bytes(message)
        _decide(row, OutboxStatus.PENDING, user, when)
        _record(session, session.get_one(Ticket, row.ticket_id), user, action,
                outbox_id=row.id, mail_id=row.mail_id)  # fmt: skip
        return row.ticket_id


def discard(
    store: Store, outbox_id: int, user: str, reason: str = "", *, now: datetime | None = None
) -> int:
    """Never send a waiting reply; the reason (if any) goes into the history."""
    when = now or utc_now()
    cleaned = " ".join(reason.split())[:500]
    with store.session() as session, session.begin():
        row = _waiting(session, outbox_id)
        _decide(row, OutboxStatus.DISCARDED, user, when)
        detail: dict[str, object] = {"outbox_id": row.id, "mail_id": row.mail_id}
        if cleaned:
            detail["reason"] = cleaned
        _record(session, session.get_one(Ticket, row.ticket_id), user, "reply_discarded",
                **detail)  # fmt: skip
        return row.ticket_id


# --- helpers ---------------------------------------------------------------------------


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return str(part.get_content()) if isinstance(part, EmailMessage) else ""


def _waiting(session: Session, outbox_id: int) -> OutboxMessage:
    """The reply, locked, if it still waits; else who decided it (two caseworkers at once)."""
    row = session.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None or row.status != OutboxStatus.HELD.value:
        raise _not_waiting(outbox_id, row)
    return row


def _not_waiting(outbox_id: int, row: OutboxMessage | None) -> ReplyRefusedError:
    if row is None:
        return ReplyRefusedError("not_waiting", f"no reply {outbox_id}", status="", who="")
    who = row.decided_by or "mikrobot"
    return ReplyRefusedError(
        "not_waiting",
        f"the reply is no longer waiting: {row.status} by {who}",
        status=row.status,
        who=who,
    )


def _decide(row: OutboxMessage, status: OutboxStatus, user: str, when: datetime) -> None:
    row.status = status.value
    row.decided_by = user
    row.decided_at = when


def _with_key(session: Session, key: str) -> OutboxMessage | None:
    return session.scalars(select(OutboxMessage).where(OutboxMessage.compose_key == key)).first()


def _replied_with_key(store: Store, ticket_id: int, key: str) -> int | None:
    with store.session() as session:
        found = _with_key(session, key)
        return _same_ticket(found, ticket_id) if found is not None else None


def _same_ticket(row: OutboxMessage, ticket_id: int) -> int:
    if row.ticket_id != ticket_id:
        raise ReplyRefusedError("form_expired", "the compose key belongs to another ticket")
    return row.id


def _record(session: Session, ticket: Ticket, user: str, action: str, **detail: object) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, actor=user, action=action, detail=detail))
    ticket.updated_at = utc_now()
