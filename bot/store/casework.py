"""What caseworkers do with tickets, and who they are: the web pages' side of the store.

Every action runs in one transaction and writes a `TicketEvent` naming the person, so
the ticket's history shows who did what and when, next to what the bot did. Moving a
ticket to another category also records a `Correction`: a labelled example that
`mikrobot corrections export` writes in the `fixtures/labels.jsonl` format for
`mikrobot train`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.cases import TicketStatus, limit_to_thread, reply_for_case
from bot.replies.render import ReplyRenderError, render_preview, render_reply
from bot.requirements import Requirement, missing_items
from bot.settings import Settings
from bot.store.models import (
    Correction,
    Mail,
    OutboxMessage,
    Ticket,
    TicketEvent,
    UserRole,
    WebSession,
    WebUser,
    as_utc,
    utc_now,
)
from bot.store.repository import Store, case_state_of
from bot.verdict import Category, Reply, ReplyAction, Verdict
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
_USER_NAME = re.compile(r"[A-Za-z0-9._@-]{1,120}")
_hasher = PasswordHasher()
_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")
_DUMMY_HASH = _hasher.hash("not a password anyone has")


class CaseworkError(ValueError):
    """An action that cannot be done as asked (shown to the caseworker, not a crash)."""


# --- users and sessions ------------------------------------------------------------------


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    role: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN.value


@dataclass(frozen=True)
class SessionInfo:
    user: UserInfo
    csrf_token: str


def _user_info(user: WebUser) -> UserInfo:
    return UserInfo(user.id, user.name, user.role, user.active, user.created_at, user.last_login_at)


def add_user(store: Store, name: str, password: str, role: str) -> UserInfo:
    """A new account (or a new password and role for an existing one): argon2id hash only."""
    if not _USER_NAME.fullmatch(name):
        raise CaseworkError("a user name is 1–120 letters, digits, '.', '_', '@' or '-'")
    if role not in {r.value for r in UserRole}:
        raise CaseworkError(f"role must be one of {', '.join(r.value for r in UserRole)}")
    if len(password) < 10:
        raise CaseworkError("a password has at least 10 characters")
    with store.session() as session, session.begin():
        user = session.scalar(select(WebUser).where(WebUser.name == name))
        if user is None:
            user = WebUser(name=name, password_hash="", role=role, active=True)
            session.add(user)
        user.password_hash = _hasher.hash(password)
        user.role = role
        user.active = True
        session.flush()
        return _user_info(user)


def list_users(store: Store) -> list[UserInfo]:
    with store.session() as session:
        return [_user_info(u) for u in session.scalars(select(WebUser).order_by(WebUser.name))]


def authenticate(store: Store, name: str, password: str) -> UserInfo | None:
    """The user if the password is right; the same argon2 work when the name is unknown,
    so the response time does not tell which names exist."""
    with store.session() as session, session.begin():
        user = session.scalar(select(WebUser).where(WebUser.name == name))
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None or not user.active:
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.last_login_at = utc_now()
        return _user_info(user)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(store: Store, user_id: int, hours: float) -> str:
    """A new login; returns the cookie's token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    with store.session() as session, session.begin():
        now = utc_now()
        session.query(WebSession).filter(WebSession.expires_at < now).delete()
        session.add(
            WebSession(
                token_sha256=_token_digest(token),
                user_id=user_id,
                csrf_token=secrets.token_urlsafe(32),
                expires_at=now + timedelta(hours=hours),
            )
        )
    return token


def session_for(store: Store, token: str) -> SessionInfo | None:
    """The live session of a cookie's token, or None (unknown, expired, user disabled)."""
    with store.session() as session:
        found = session.scalar(
            select(WebSession)
            .options(selectinload(WebSession.user))
            .where(WebSession.token_sha256 == _token_digest(token))
        )
        if found is None or as_utc(found.expires_at) < utc_now() or not found.user.active:
            return None
        return SessionInfo(_user_info(found.user), found.csrf_token)


def close_session(store: Store, token: str) -> None:
    with store.session() as session, session.begin():
        session.query(WebSession).filter(WebSession.token_sha256 == _token_digest(token)).delete()


# --- the queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    category: str | None = None
    status: str | None = None
    assigned_to: str | None = None
    """A user name, or "-" for tickets nobody has taken."""
    has_missing: bool = False
    low_confidence: bool = False
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


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int]
    """Tickets per category under every filter except the category itself."""


def _filtered(query: _Query, wanted: QueueFilter, threshold: float) -> _Query:
    if wanted.status:
        query = query.where(Ticket.status == wanted.status)
    if wanted.assigned_to == "-":
        query = query.where(Ticket.assigned_to.is_(None))
    elif wanted.assigned_to:
        query = query.where(Ticket.assigned_to == wanted.assigned_to)
    if wanted.low_confidence:
        query = query.where(Ticket.confidence < threshold)
    if wanted.has_missing:  # json_array_length: the same function in SQLite and PostgreSQL
        query = query.where(func.json_array_length(Ticket.missing) > 0)
    text = wanted.search.strip()[:200]
    if text:
        mails = select(Mail.ticket_id).where(
            or_(
                Mail.sender.icontains(text, autoescape=True),
                Mail.subject.icontains(text, autoescape=True),
            )
        )
        conditions = [
            Ticket.case_reference.icontains(text, autoescape=True),
            Ticket.fields["organization_name"].as_string().icontains(text, autoescape=True),
            Ticket.fields["organization_number"].as_string().icontains(text, autoescape=True),
            Ticket.id.in_(mails),
        ]
        number = re.fullmatch(r"(?:MB-)?0*(\d{1,9})", text, re.IGNORECASE)
        if number:
            conditions.append(Ticket.id == int(number.group(1)))
        query = query.where(or_(*conditions))
    return query


def queue(
    store: Store, wanted: QueueFilter, *, threshold: float, page: int = 1, per_page: int = 25
) -> QueuePage:
    """One page of tickets, newest first, with counts per category."""
    with store.session() as session:
        counted = _filtered(
            select(Ticket.category, func.count(Ticket.id)).group_by(Ticket.category),
            wanted,
            threshold,
        )
        counts = {str(c): int(n) for c, n in session.execute(counted).all()}
        query = _filtered(select(Ticket), wanted, threshold)
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


def verdict_of(mail: Mail) -> Verdict:
    """The stored verdict as a `Verdict` again, with what replies are composed from."""
    data = mail.verdict
    fields = data.get("fields") or {}
    reply = data.get("reply") or {}
    return Verdict(
        file=str(data.get("file") or mail.source_key),
        message_id=data.get("message_id"),
        category=Category(data.get("category", Category.OTHER.value)),
        confidence=float(data.get("confidence") or 0.0),
        language=str(data.get("language") or "nb"),
        auto_generated=bool(data.get("auto_generated")),
        fields=Fields(**{k: fields.get(k) for k in EDITABLE_FIELDS}),
        attachments=(),
        missing=tuple(data.get("missing") or ()),
        reply=Reply(
            ReplyAction(reply.get("action", ReplyAction.NONE.value)),
            str(reply.get("language") or "nb"),
            str(reply.get("subject") or ""),
        ),
        error=data.get("error"),
        provided=tuple(data.get("provided") or ()),
        conditions=tuple(data.get("conditions") or ()),
    )


def _answerable_mail(mails: Sequence[Mail]) -> Mail | None:
    """The newest mail a reply may answer: a person's, one the bot meant to answer."""
    for mail in reversed(mails):
        verdict = verdict_of(mail)
        if not verdict.auto_generated and verdict.reply.action is not ReplyAction.NONE:
            return mail
    return None


def reply_preview(store: Store, settings: Settings, ticket_id: int) -> str:
    """The reply the ticket's newest mail gets now, as a person reads it."""
    detail = ticket_detail(store, ticket_id)
    if detail is None or not detail.mails:
        return "(ingen e-post / no mail)"
    latest = detail.mails[-1]
    try:
        return render_preview(
            reply_for_case(verdict_of(latest), case_state_of(detail.ticket)),
            parse_mail(store.raw_mail.get(latest.sha256)),
            ticket_reference=detail.ticket.reference,
            from_address=settings.from_address,
            message_id_domain=settings.message_id_domain,
            now=utc_now(),
        )
    except (ReplyRenderError, ValueError, OSError) as error:
        return f"(no reply: {error})"


# --- actions ---------------------------------------------------------------------------


def _record(session: Session, ticket: Ticket, actor: str, action: str, **detail: Any) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, actor=actor, action=action, detail=detail))
    ticket.updated_at = utc_now()


def _restate(ticket: Ticket, requirements: tuple[Requirement, ...]) -> None:
    """Missing items and status from what the ticket now holds, as `next_case_state` would."""
    category = Category(ticket.category)
    missing = missing_items(
        category, frozenset(ticket.provided), frozenset(ticket.conditions), requirements
    )
    ticket.missing = list(missing)
    if ticket.status == TicketStatus.CLOSED.value:
        return
    if category is Category.OTHER:
        ticket.status = TicketStatus.NEW.value
    else:
        ticket.status = (
            TicketStatus.WAITING_FOR_APPLICANT if missing else TicketStatus.READY
        ).value


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
    if name not in EDITABLE_FIELDS:
        raise CaseworkError(f"unknown field {name!r}")
    cleaned = " ".join(value.split())[:500] or None
    pattern = _FIELD_FORMATS.get(name)
    if cleaned is not None and pattern is not None:
        cleaned = cleaned.replace(" ", "")
        if not pattern.fullmatch(cleaned):
            raise CaseworkError(f"{name}: {cleaned!r} does not have the form {pattern.pattern}")
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
    verdict = limit_to_thread(  # the case's own reference, as the automatic reply has it
        reply_for_case(verdict_of(mail), case_state_of(detail.ticket)),
        thread_case_reference=detail.ticket.case_reference,
        sender_in_thread=True,  # a mail of this very thread
    )
    try:
        reply = render_reply(
            verdict,
            parse_mail(store.raw_mail.get(mail.sha256)),
            ticket_reference=detail.ticket.reference,
            from_address=settings.from_address,
            message_id_domain=settings.message_id_domain,
            now=utc_now(),
        )
    except (ReplyRenderError, ValueError) as error:
        raise CaseworkError(f"the reply cannot be composed: {error}") from error
    if reply is None:
        raise CaseworkError("the mail has no address a reply may go to")
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
