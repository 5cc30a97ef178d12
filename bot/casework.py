"""What caseworkers do with tickets, above the store: every action in one transaction
with a `TicketEvent` naming the person, so the ticket's history shows who did what and
when, next to what the bot did. Moving a ticket to another category also records a
`Correction`: a labelled example for `mikrobot train`.

Replies a caseworker sees or asks for come from the one reply decision
(`bot.replying.Answerer`), the same the worker sends with.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import date, datetime
from email.message import EmailMessage
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import CaseFacts, TicketStatus, case_status
from bot.replies.render import ReplyRenderError, as_text
from bot.replying import Answerer
from bot.requirements import Requirement, missing_items
from bot.settings import Settings
from bot.store.errors import CaseworkError, FieldError
from bot.store.models import (
    Correction,
    Mail,
    OutboxMessage,
    Ticket,
    TicketEvent,
    utc_now,
)
from bot.store.repository import Store, case_language, case_state_of
from bot.store.tickets import ticket_detail
from bot.verdict import Category, ReplyAction, Verdict
from parsers.fields import Fields
from parsers.mail import parse_mail

MANUAL_REPLY_ACTION: Final = "request_missing_again"
"""`outbox.action` of a reply a caseworker asked for; migration 0003 lets a mail have these
besides its one automatic reply."""
EDITABLE_FIELDS: Final = tuple(f.name for f in dataclasses.fields(Fields))
_FIELD_FORMATS: Final = {
    "case_reference": re.compile(r"\d{2}/\d{5}"),
    "organization_number": re.compile(r"\d{9}"),
}
DATE_FIELDS: Final = frozenset({"signed_date", "deletion_date"})
_ISO_DATE: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NORWEGIAN_DATE: Final = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_EMAIL: Final = re.compile(
    r"[^@\s\\\"<>(),;:\[\]]{1,64}@([^@\s\\\"<>(),;:\[\]]+\.[^@\s\\\"<>(),;:\[\]]+)"
)


def field_value(name: str, typed: str) -> str | None:
    """What a caseworker typed into field `name`, as stored: white space tidied, a date as
    YYYY-MM-DD (typed so, or DD.MM.YYYY), or FieldError naming what is wrong with it."""
    if name not in EDITABLE_FIELDS:
        raise FieldError(name, typed, "err_field_unknown", f"unknown field {name!r}")
    cleaned = " ".join(typed.split())[:500] or None
    if cleaned is None:
        return None
    pattern = _FIELD_FORMATS.get(name)
    if pattern is not None:
        cleaned = cleaned.replace(" ", "")
        if not pattern.fullmatch(cleaned):
            raise FieldError(
                name, typed, f"err_field_{name}", f"{name}: {cleaned!r} does not have the form "
                f"{pattern.pattern}",
            )  # fmt: skip
    if name in DATE_FIELDS:
        return _date(name, typed, cleaned)
    if name == "contact_email":
        return _email(name, typed, cleaned)
    return cleaned


def _date(name: str, typed: str, cleaned: str) -> str:
    iso, dotted = _ISO_DATE.fullmatch(cleaned), _NORWEGIAN_DATE.fullmatch(cleaned)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif dotted:
        day, month, year = (int(part) for part in dotted.groups())
    else:
        raise FieldError(name, typed, "err_field_date", f"{name}: {cleaned!r} is not a date")
    try:
        return date(year, month, day).isoformat()
    except ValueError as error:
        raise FieldError(
            name, typed, "err_field_no_such_date", f"{name}: {cleaned!r}: {error}"
        ) from error


def _email(name: str, typed: str, cleaned: str) -> str:
    found = _EMAIL.fullmatch(cleaned) if len(cleaned) <= 254 else None
    labels = found.group(1).split(".") if found else []
    try:
        valid = bool(labels) and all(0 < len(label.encode("idna")) <= 63 for label in labels)
    except UnicodeError:
        valid = False
    if not valid:
        raise FieldError(name, typed, "err_field_email", f"{name}: {cleaned!r} is no address")
    return cleaned


def _answerable_mail(mails: Sequence[Mail]) -> Mail | None:
    """The newest mail a reply may answer: the applicant's own (not a stranger's, not a
    second delivery), written by a person, one the bot meant to answer."""
    for mail in reversed(mails):
        if mail.stranger or mail.duplicate_of is not None:
            continue
        verdict = Verdict.from_json(mail.verdict)
        if not verdict.auto_generated and verdict.reply.action is not ReplyAction.NONE:
            return mail
    return None


def reply_preview(
    store: Store,
    settings: Settings,
    ticket_id: int,
    *,
    now: datetime | None = None,
    message_id: str | None = None,
) -> str:
    """The reply the ticket's newest answerable mail would get now, exactly as it would be
    sent (as a person reads it); `now` and `message_id` fix what is new in every reply."""
    try:
        reply = preview_message(store, settings, ticket_id, now=now, message_id=message_id)
    except (ReplyRenderError, ValueError, OSError) as error:
        return f"(no reply: {error})"
    return f"(no reply: {reply})\n" if isinstance(reply, str) else as_text(reply)


def preview_message(
    store: Store,
    settings: Settings,
    ticket_id: int,
    *,
    now: datetime | None = None,
    message_id: str | None = None,
) -> EmailMessage | str:
    """The MIME reply itself (or why there is none), from the one decision and composer."""
    detail = ticket_detail(store, ticket_id)
    if detail is None or not detail.mails:
        return "ingen e-post / no mail"
    latest = _answerable_mail(detail.mails) or detail.mails[-1]
    answer = Answerer(settings, now=now, message_id=message_id)
    return _reply_to(store, detail.ticket, detail.mails, latest, answer)


def _reply_to(
    store: Store, ticket: Ticket, mails: Sequence[Mail], mail: Mail, answer: Answerer
) -> EmailMessage | str:
    """The reply the one decision gives `mail` in the case as it stands now."""
    verdict = Verdict.from_json(mail.verdict)
    state = case_state_of(ticket)
    with store.session() as session:
        language = case_language(session, ticket.id, mail.sender, mail.id)
    facts = CaseFacts(
        ticket_reference=ticket.reference,
        case_reference=ticket.case_reference,
        category=state.category,
        missing=state.missing,
        to_check=state.to_check,
        notes=verdict.notes,
        sender_in_thread=not mail.stranger,
        language=language,
    )
    return answer(verdict, parse_mail(store.raw_mail.get(mail.sha256)), facts)


# --- actions ---------------------------------------------------------------------------


def _record(session: Session, ticket: Ticket, actor: str, action: str, **detail: Any) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, actor=actor, action=action, detail=detail))
    ticket.updated_at = utc_now()


def _restate(ticket: Ticket, requirements: tuple[Requirement, ...]) -> None:
    """Missing items and status from what the ticket now holds (`cases.case_status`)."""
    category = Category(ticket.category)
    missing = missing_items(
        category, frozenset(ticket.provided), frozenset(ticket.conditions), requirements
    )
    ticket.missing = [code for code in missing if code not in (ticket.to_check or ())]
    if ticket.status == TicketStatus.CLOSED.value:
        return
    previous = TicketStatus(ticket.status)
    ticket.status = case_status(category, tuple(ticket.missing), previous).value


def _ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise CaseworkError(f"no ticket {ticket_id}")
    return ticket


def assign(store: Store, ticket_id: int, user: str) -> None:
    with store.session() as session, session.begin():
        ticket = _ticket(session, ticket_id)
        previous = ticket.assigned_to
        ticket.assigned_to = user
        _record(session, ticket, user, "assigned", to=user, previous=previous)


def change_category(
    store: Store,
    ticket_id: int,
    category: str,
    user: str,
    requirements: tuple[Requirement, ...],
) -> None:
    """The ticket's category, corrected; its newest mail becomes a labelled example."""
    try:
        new = Category(category)
    except ValueError as error:
        raise CaseworkError(f"unknown category {category!r}") from error
    with store.session() as session, session.begin():
        ticket = _ticket(session, ticket_id)
        previous = ticket.category
        if previous == new.value:
            return
        latest = session.scalar(
            select(Mail).where(Mail.ticket_id == ticket_id).order_by(Mail.id.desc()).limit(1)
        )
        ticket.category = new.value
        _restate(ticket, requirements)
        if latest is not None:
            session.add(
                Correction(
                    ticket_id=ticket_id,
                    mail_id=latest.id,
                    previous_category=str(latest.verdict.get("category", previous)),
                    category=new.value,
                    corrected_by=user,
                )
            )
        _record(
            session,
            ticket,
            user,
            "category_changed",
            previous=previous,
            category=new.value,
            mail_id=latest.id if latest else None,
            missing=list(ticket.missing),
        )


def edit_field(
    store: Store,
    ticket_id: int,
    name: str,
    value: str,
    user: str,
    requirements: tuple[Requirement, ...],
) -> None:
    """A field the bot read wrong (or not at all); the case reference also files the ticket."""
    cleaned = field_value(name, value)
    with store.session() as session, session.begin():
        ticket = _ticket(session, ticket_id)
        fields = dict(ticket.fields)
        previous = fields.get(name)
        fields[name] = cleaned
        ticket.fields = fields
        if name in ("case_reference", "organization_number"):
            provided = set(ticket.provided) - {f"field:{name}"}
            if cleaned is not None:
                provided.add(f"field:{name}")
            ticket.provided = sorted(provided)
        if name == "case_reference":
            ticket.case_reference = cleaned
        _restate(ticket, requirements)
        _record(
            session,
            ticket,
            user,
            "field_changed",
            field=name,
            previous=previous,
            value=cleaned,
            missing=list(ticket.missing),
        )


def resolve_item(
    store: Store,
    ticket_id: int,
    code: str,
    how: str,
    user: str,
    requirements: tuple[Requirement, ...],
) -> None:
    """A missing item received (outside the mail, e.g. in the file-transfer area) or not
    needed: it counts as provided, so the case's later mails do not ask for it again."""
    if how not in ("received", "not_needed"):
        raise CaseworkError(f"unknown resolution {how!r}")
    with store.session() as session, session.begin():
        ticket = _ticket(session, ticket_id)
        if code not in ticket.missing:
            raise CaseworkError(f"{code!r} is not missing on {ticket.reference}")
        satisfying = sorted(
            token
            for r in requirements
            if r.code == code and r.category.value == ticket.category
            for token in r.satisfied_by
        )
        token = code if code in satisfying else (satisfying[0] if satisfying else code)
        ticket.provided = sorted({*ticket.provided, token})
        _restate(ticket, requirements)
        if code in ticket.missing:  # a requirement no token satisfies: drop it all the same
            ticket.missing = [c for c in ticket.missing if c != code]
        _record(
            session,
            ticket,
            user,
            f"item_{how}",
            item=code,
            provided=token,
            missing=list(ticket.missing),
        )


def close(store: Store, ticket_id: int, user: str) -> None:
    with store.session() as session, session.begin():
        ticket = _ticket(session, ticket_id)
        previous = ticket.status
        ticket.status = TicketStatus.CLOSED.value
        _record(session, ticket, user, "closed", previous=previous)


def reopen(store: Store, ticket_id: int, user: str, requirements: tuple[Requirement, ...]) -> None:
    with store.session() as session, session.begin():
        ticket = _ticket(session, ticket_id)
        ticket.status = TicketStatus.NEW.value
        _restate(ticket, requirements)
        _record(session, ticket, user, "reopened", status=ticket.status)


def resend_missing(store: Store, settings: Settings, ticket_id: int, user: str) -> int:
    """Queue the missing-items reply again (the service sends it); returns the outbox id."""
    detail = ticket_detail(store, ticket_id)
    if detail is None:
        raise CaseworkError(f"no ticket {ticket_id}")
    if not detail.ticket.missing:
        raise CaseworkError("nothing is missing: there is no missing-items reply to send")
    mail = _answerable_mail(detail.mails)
    if mail is None:
        raise CaseworkError("no mail in the case may be answered (machine-made or no sender)")
    try:
        reply = _reply_to(store, detail.ticket, detail.mails, mail, Answerer(settings, manual=True))
    except (ReplyRenderError, ValueError) as error:
        raise CaseworkError(f"the reply cannot be composed: {error}") from error
    except OSError as error:  # its bytes were deleted (personal data, or a purge)
        raise CaseworkError(
            "the mail this reply answers is deleted (its personal data was removed): "
            "write to the applicant yourself"
        ) from error
    if isinstance(reply, str):
        raise CaseworkError(reply)
    with store.session() as session, session.begin():
        ticket = _ticket(session, ticket_id)
        row = OutboxMessage(
            ticket_id=ticket_id,
            mail_id=mail.id,
            message_id=str(reply["Message-ID"]),
            recipient=str(reply["To"]).lower(),
            action=MANUAL_REPLY_ACTION,
            raw=bytes(reply),
        )
        session.add(row)
        session.flush()
        _record(
            session,
            ticket,
            user,
            "reply_requeued",
            outbox_id=row.id,
            mail_id=mail.id,
            missing=list(ticket.missing),
        )
        return row.id
