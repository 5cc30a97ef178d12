"""What caseworkers do with tickets, above the store: every action in one transaction
with a `TicketEvent` naming the person, so the ticket's history shows who did what and
when, next to what the bot did. Moving a ticket to another category also records a
`Correction`: a labelled example for `mikrobot train`.

Replies a caseworker sees or asks for come from the one reply decision
(`bot.replying.Answerer`), the same the worker sends with.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from enum import StrEnum
from typing import Any, ClassVar, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import CaseFacts, TicketStatus, case_status
from bot.replies.headers import own_address, plain_address
from bot.replies.notice import NOTICE_ACTION, AssignedTicket, assignment_notice
from bot.replies.render import ReplyRenderError, as_text
from bot.reply_policy import reminder_wait
from bot.replying import Answerer
from bot.requirements import Requirement, missing_items
from bot.settings import Settings
from bot.store.errors import CaseworkError, FieldError
from bot.store.models import (
    Correction,
    Mail,
    OutboxMessage,
    OutboxStatus,
    Ticket,
    TicketEvent,
    WebUser,
    as_utc,
    utc_now,
)
from bot.store.repository import Store, case_language, case_state_of
from bot.store.tickets import ticket_detail
from bot.verdict import Category, ReplyAction, Verdict
from parsers.fields import Fields
from parsers.mail import parse_mail
from parsers.message import canonical_address
from parsers.national_id import mask_national_ids

log = logging.getLogger(__name__)

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
    return draft_reply(store, settings, ticket_id, now=now, message_id=message_id)[1]


def draft_reply(
    store: Store,
    settings: Settings,
    ticket_id: int,
    *,
    now: datetime | None = None,
    message_id: str | None = None,
) -> tuple[Mail | None, EmailMessage | str]:
    """The mail a reply would answer now, and that reply (or why there is none): the
    preview, and the draft a caseworker edits."""
    detail = ticket_detail(store, ticket_id)
    if detail is None or not detail.mails:
        return None, "ingen e-post / no mail"
    latest = _answerable_mail(detail.mails) or detail.mails[-1]
    answer = Answerer(settings, now=now, message_id=message_id)
    return latest, _reply_to(store, detail.ticket, detail.mails, latest, answer)


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
    return answer.reply(verdict, parse_mail(store.raw_mail.get(mail.sha256)), facts)


# --- actions ---------------------------------------------------------------------------


class ReplyRefusedError(CaseworkError):
    """A reply a caseworker asked for, refused: `key` names the reason for the pages'
    words (`reply_refused_<key>`), `values` what the words name (a time, a status …)."""

    words: ClassVar[str] = "reply_refused_"

    def __init__(self, key: str, message: str, **values: object) -> None:
        super().__init__(message, key, **values)


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
        raise CaseworkError(f"no ticket {ticket_id}", "no_ticket")
    return ticket


# --- notes and assignment ----------------------------------------------------------------

NOTE_MAX_CHARS: Final = 4_000
"""A note is a few paragraphs for colleagues, not a document."""
_NOTE_CONTROLS: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def note_text(text: str) -> str:
    """A note as it is stored: `\n` line ends, no control characters but tabs, trailing
    space and blank edges trimmed, national IDs masked (they are not kept outside the mail
    they came in). CaseworkError when nothing is left or it is longer than NOTE_MAX_CHARS."""
    lines = _NOTE_CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    cleaned = "\n".join(line.rstrip() for line in lines).strip("\n")
    if not cleaned.strip():
        raise CaseworkError("the note is empty", "note_empty")
    if len(cleaned) > NOTE_MAX_CHARS:
        raise CaseworkError(
            f"a note has at most {NOTE_MAX_CHARS} characters ({len(cleaned)} given)",
            "note_too_long", limit=NOTE_MAX_CHARS, given=len(cleaned),
        )  # fmt: skip
    return mask_national_ids(cleaned)


def add_note(store: Store, ticket_id: int, text: str, user: str) -> None:
    """An internal note in the ticket's history: for colleagues, never sent to anybody."""
    cleaned = note_text(text)
    with store.session() as session, session.begin():
        _record(session, _ticket(session, ticket_id), user, "note", text=cleaned)


def _active_user(session: Session, name: str) -> WebUser:
    found = session.scalar(select(WebUser).where(WebUser.name == name))
    if found is None or not found.active:
        raise CaseworkError(f"{name!r} is not an active caseworker", "not_active_user", name=name)
    return found


def assign(store: Store, settings: Settings, ticket_id: int, assignee: str, user: str) -> bool:
    """`assignee` (an active user) takes the ticket; when `user` is someone else, the
    assignee's notice is queued in the outbox in the same transaction (`_queue_notice`).
    False when the ticket was theirs already (nothing is recorded)."""
    (outcome,) = bulk(store, settings, BulkAction.ASSIGN, [ticket_id], user, value=assignee)
    if outcome.error is not None:
        raise CaseworkError(outcome.error, "no_ticket")
    return outcome.changed


def unassign(store: Store, ticket_id: int, user: str) -> bool:
    """Nobody has the ticket any more; False when nobody had it."""
    with store.session() as session, session.begin():
        ticket = _ticket(session, ticket_id)
        previous = ticket.assigned_to
        if previous is None:
            return False
        ticket.assigned_to = None
        _record(session, ticket, user, "unassigned", previous=previous)
        return True


def _assign_all(
    session: Session,
    settings: Settings,
    tickets: Sequence[Ticket],
    assignee: WebUser,
    user: str,
    detail: dict[str, Any],
) -> list[Ticket]:
    """`tickets` to `assignee`, one history entry each (naming the notice); the changed."""
    changed = [t for t in tickets if t.assigned_to != assignee.name]
    outbox_id, left_out = _queue_notice(session, settings, changed, assignee, user)
    for ticket in changed:
        previous, ticket.assigned_to = ticket.assigned_to, assignee.name
        notice: dict[str, Any] = {}
        if ticket.id in left_out:
            notice["notice_skipped"] = left_out[ticket.id]
        elif outbox_id is not None:
            notice["outbox_id"] = outbox_id
        _record(
            session,
            ticket,
            user,
            "assigned",
            to=assignee.name,
            previous=previous,
            **notice,
            **detail,
        )
    return changed


def _queue_notice(
    session: Session, settings: Settings, tickets: Sequence[Ticket], assignee: WebUser, user: str
) -> tuple[int | None, dict[int, str]]:
    """One notice to `assignee` naming `tickets`, in the outbox: only when someone else
    assigns them and they have an address. Never to a sender of the case (nor to the bot):
    such tickets are left out of it, with why. Returns the outbox id (or None) and those."""
    if assignee.name == user or not assignee.email or not tickets:
        return None, {}
    address = plain_address(assignee.email)
    if address is None:
        return None, {t.id: "the assignee's address is not usable" for t in tickets}
    mailbox = canonical_address(address)
    if mailbox == canonical_address(own_address(settings.from_address).addr_spec):
        return None, {t.id: "the assignee's address is the bot's own" for t in tickets}
    senders = session.execute(
        select(Mail.ticket_id, Mail.sender).where(
            Mail.ticket_id.in_([t.id for t in tickets]), Mail.sender.is_not(None)
        )
    ).all()
    wrote = {i for i, sender in senders if sender and canonical_address(sender) == mailbox}
    left_out = {ticket_id: "the assignee's address wrote to this case" for ticket_id in wrote}
    listed = [t for t in tickets if t.id not in wrote]
    if not listed:
        return None, left_out
    site = settings.web.public_url
    try:
        notice = assignment_notice(
            [
                AssignedTicket(
                    t.reference, t.case_reference, f"{site}/tickets/{t.id}" if site else None
                )
                for t in listed
            ],
            recipient=address,
            assigned_by=user,
            from_address=settings.from_address,
            message_id_domain=settings.message_id_domain,
            now=utc_now(),
        )
    except ValueError as error:  # never lose the assignment over its notice
        log.error("assignment notice to %s not composed: %s", assignee.name, error)
        return None, {t.id: f"the notice cannot be composed: {error}" for t in tickets}
    row = OutboxMessage(
        ticket_id=listed[0].id,
        mail_id=None,
        message_id=str(notice["Message-ID"]),
        recipient=mailbox,
        action=NOTICE_ACTION,
        raw=bytes(notice),
    )
    session.add(row)
    session.flush()
    return row.id, left_out


def _change_category(
    session: Session,
    ticket: Ticket,
    new: Category,
    user: str,
    requirements: tuple[Requirement, ...],
    detail: dict[str, Any],
) -> bool:
    previous = ticket.category
    if previous == new.value:
        return False
    latest = session.scalar(
        select(Mail).where(Mail.ticket_id == ticket.id).order_by(Mail.id.desc()).limit(1)
    )
    ticket.category = new.value
    _restate(ticket, requirements)
    if latest is not None:
        session.add(
            Correction(
                ticket_id=ticket.id,
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
        **detail,
    )
    return True


def _category(category: str) -> Category:
    try:
        return Category(category)
    except ValueError as error:
        raise CaseworkError(f"unknown category {category!r}", "unknown_category") from error


def change_category(
    store: Store,
    ticket_id: int,
    category: str,
    user: str,
    requirements: tuple[Requirement, ...],
) -> None:
    """The ticket's category, corrected; its newest mail becomes a labelled example."""
    new = _category(category)
    with store.session() as session, session.begin():
        _change_category(session, _ticket(session, ticket_id), new, user, requirements, {})


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
        raise CaseworkError(f"unknown resolution {how!r}", "unknown_resolution")
    with store.session() as session, session.begin():
        ticket = _ticket(session, ticket_id)
        if code not in ticket.missing:
            raise CaseworkError(f"{code!r} is not missing on {ticket.reference}", "not_missing")
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


def _close(session: Session, ticket: Ticket, user: str, detail: dict[str, Any]) -> bool:
    previous = ticket.status
    if previous == TicketStatus.CLOSED.value:
        return False
    ticket.status = TicketStatus.CLOSED.value
    _record(session, ticket, user, "closed", previous=previous, **detail)
    return True


def close(store: Store, ticket_id: int, user: str) -> None:
    """Closed (a second click records nothing more: the closing time stays the first)."""
    with store.session() as session, session.begin():
        _close(session, _ticket(session, ticket_id), user, {})


def reopen(store: Store, ticket_id: int, user: str, requirements: tuple[Requirement, ...]) -> None:
    with store.session() as session, session.begin():
        ticket = _ticket(session, ticket_id)
        ticket.status = TicketStatus.NEW.value
        _restate(ticket, requirements)
        _record(session, ticket, user, "reopened", status=ticket.status)


def previous_reply_at(session: Session, ticket_id: int) -> datetime | None:
    """When the case's newest reply was queued, approved or sent (one not rejected or
    discarded): what the reminder guard counts from. A colleague's assignment notice is
    no reply to the applicant."""
    rows = session.execute(
        select(OutboxMessage.created_at, OutboxMessage.decided_at, OutboxMessage.sent_at).where(
            OutboxMessage.ticket_id == ticket_id,
            OutboxMessage.action != NOTICE_ACTION,
            OutboxMessage.status.not_in((OutboxStatus.FAILED.value, OutboxStatus.DISCARDED.value)),
        )
    ).all()
    moments = [as_utc(moment) for row in rows for moment in row if moment is not None]
    return max(moments, default=None)


def resend_missing(store: Store, settings: Settings, ticket_id: int, user: str) -> int:
    """Queue the missing-items reply again (the service sends it); returns the outbox id.

    Refused (`ReplyRefusedError` "too_soon") within `resend_guard_minutes` of the case's
    previous reply: checked in the transaction that queues it, with the ticket locked, so
    two clicks at once queue one reminder.
    """
    detail = ticket_detail(store, ticket_id)
    if detail is None:
        raise CaseworkError(f"no ticket {ticket_id}", "no_ticket")
    if not detail.ticket.missing:
        raise CaseworkError(
            "nothing is missing: there is no missing-items reply to send", "nothing_missing"
        )
    mail = _answerable_mail(detail.mails)
    if mail is None:
        raise CaseworkError(
            "no mail in the case may be answered (machine-made or no sender)", "no_answerable_mail"
        )
    try:
        reply = _reply_to(store, detail.ticket, detail.mails, mail, Answerer(settings, manual=True))
    except (ReplyRenderError, ValueError) as error:
        raise CaseworkError(f"the reply cannot be composed: {error}", "not_composed") from error
    except OSError as error:  # its bytes were deleted (personal data, or a purge)
        raise CaseworkError(
            "the mail this reply answers is deleted (its personal data was removed): "
            "write to the applicant yourself",
            "answered_mail_deleted",
        ) from error
    if isinstance(reply, str):
        raise CaseworkError(reply, "no_reminder")
    guard = timedelta(minutes=settings.resend_guard_minutes)
    with store.session() as session, session.begin():
        ticket = session.get(Ticket, ticket_id, with_for_update=True)  # clicks queue up here
        if ticket is None:
            raise CaseworkError(f"no ticket {ticket_id}", "no_ticket")
        previous = previous_reply_at(session, ticket_id)
        wait_until = reminder_wait(previous, utc_now(), guard)
        if previous is not None and wait_until is not None:
            raise ReplyRefusedError(
                "too_soon",
                f"a reply went to this case at {previous:%Y-%m-%d %H:%M} UTC: a reminder may"
                f" be sent again from {wait_until:%H:%M} UTC",
                previous=previous,
                allowed=wait_until,
            )
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


# --- bulk actions from the queue -------------------------------------------------------

BULK_MAX_TICKETS: Final = 100
"""Tickets one bulk request may name: four full queue pages."""
_MAX_ID: Final = 2**31 - 1


class BulkAction(StrEnum):
    ASSIGN = "assign"
    CLOSE = "close"
    CATEGORY = "category"


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk action did to one ticket."""

    ticket_id: int
    changed: bool
    """False: nothing to do (closed already, the same category, theirs already) or an error."""
    error: str | None = None

    @property
    def reference(self) -> str:
        return f"MB-{self.ticket_id:06d}"


def bulk(
    store: Store,
    settings: Settings,
    action: str,
    ticket_ids: Sequence[int],
    user: str,
    *,
    value: str = "",
    requirements: tuple[Requirement, ...] = (),
) -> list[BulkOutcome]:
    """One action on many tickets, in one transaction, one outcome per ticket (in the
    order given, each id once): `assign` to the user named `value` (one notice for all),
    `close`, or `category` `value`. A ticket that does not exist is reported and the others
    are done; one with nothing to do (closed already, that category, theirs already) is
    reported unchanged and records nothing. Each changed ticket's history records the
    action, marked `bulk` when more than one ticket was named. CaseworkError when the
    request itself is wrong (no tickets, too many, unknown action, category or caseworker)."""
    ids = list(dict.fromkeys(ticket_ids))
    if not ids:
        raise CaseworkError("no tickets selected", "none_selected")
    if len(ids) > BULK_MAX_TICKETS:
        raise CaseworkError(
            f"at most {BULK_MAX_TICKETS} tickets at a time ({len(ids)} selected)",
            "too_many_selected", limit=BULK_MAX_TICKETS, given=len(ids),
        )  # fmt: skip
    try:
        wanted = BulkAction(action)
    except ValueError as error:
        raise CaseworkError(f"unknown bulk action {action!r}", "unknown_bulk_action") from error
    category = _category(value) if wanted is BulkAction.CATEGORY else None
    detail: dict[str, Any] = {"bulk": True} if len(ids) > 1 else {}
    with store.session() as session, session.begin():
        assignee = _active_user(session, value) if wanted is BulkAction.ASSIGN else None
        found = {
            t.id: t
            for t in session.scalars(
                select(Ticket).where(Ticket.id.in_([i for i in ids if 0 < i <= _MAX_ID]))
            )
        }
        tickets = [found[i] for i in ids if i in found]
        if assignee is not None:
            done = _assign_all(session, settings, tickets, assignee, user, detail)
        elif category is not None:
            done = [
                t
                for t in tickets
                if _change_category(session, t, category, user, requirements, detail)
            ]
        else:
            done = [t for t in tickets if _close(session, t, user, detail)]
        changed = {t.id for t in done}
    return [
        BulkOutcome(i, i in changed, None if i in found else f"no ticket MB-{i:06d}") for i in ids
    ]
