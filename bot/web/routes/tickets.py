"""One ticket: its thread of mails, the bot's verdict and reply preview, and the
caseworker's actions on it (each a POST with the session's CSRF token, back with 303)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from bot.cases import TicketStatus
from bot.casework import (
    EDITABLE_FIELDS,
    change_category,
    close,
    edit_field,
    reopen,
    reply_preview,
    resend_missing,
    resolve_item,
)
from bot.store.accounts import assignable_users
from bot.store.errors import CaseworkError, FieldError
from bot.store.personal_data import delete_personal_data_now
from bot.store.tickets import ticket_detail
from bot.web.mailview import MailView, mail_view
from bot.web.pages import Acting, SignedIn, Site, Web, refusal_text
from bot.web.personal_data import flag_of, holds_personal_data, protected_attachments
from bot.web.plain_words import PlainWords
from bot.web.routes.queue import CATEGORIES
from bot.web.routes.replies import REPLY_DONE_MESSAGES
from parsers.national_id import mask_national_ids

router = APIRouter()
DONE_MESSAGES: Final = (
    frozenset(
        {"assigned", "category", "field", "item", "resent", "closed", "reopened", "pd_deleted"}
    )
    | {"assigned_other", "unassigned", "note", "no_next"}  # bot.web.routes.teamwork
    | REPLY_DONE_MESSAGES
)


@dataclass(frozen=True)
class ThreadMail:
    id: int
    sender: str | None
    subject: str
    received_at: Any
    verdict: dict[str, Any]
    view: MailView | None
    error: str | None
    protected: frozenset[int] = frozenset()
    """Indexes of the attachments that hold national IDs: not for caseworkers to download."""
    holds_ids: bool = False


def ticket_page(
    site: Web,
    request: Request,
    ticket_id: int,
    *,
    done: str | None = None,
    error: str | None = None,
    field_error: FieldError | None = None,
    status: int = 200,
    **context: Any,
) -> Response:
    """The ticket's page; `field_error`: a field's typed value, kept, with its problem;
    `context` adds to what its templates get (a form's typed text)."""
    detail = ticket_detail(site.store, ticket_id)
    if detail is None:
        raise HTTPException(404)
    thread = []
    for mail in detail.mails:
        try:
            view: MailView | None = mail_view(
                site.store.raw_mail.get(mail.sha256), mail.verdict, site.mail_limits
            )
            problem = None
        except OSError as failure:
            view, problem = None, f"raw mail unreadable: {failure.strerror or failure}"
        holds_ids = holds_personal_data(mail)
        thread.append(
            ThreadMail(
                mail.id,
                mail.sender,
                mask_national_ids(mail.subject),
                mail.received_at or mail.created_at,
                mail.verdict,
                view,
                problem or mail.error,
                protected_attachments(mail.verdict, [a.filename for a in view.attachments])
                if view is not None and holds_ids
                else frozenset(),
                holds_ids,
            )
        )
    latest = detail.mails[-1].verdict if detail.mails else {}
    return site.render(
        request,
        "ticket.html",
        status=status,
        ticket=detail.ticket,
        thread=thread,
        latest=latest,
        evidence=latest.get("evidence") or {},
        personal_data=[flag_of(m) for m in detail.mails if holds_personal_data(m)],
        events=detail.events,
        replies=[(r, _reply_text(r.raw)) for r in detail.replies],
        corrections=detail.corrections,
        preview=reply_preview(site.store, site.settings, ticket_id)
        if detail.ticket.status != TicketStatus.CLOSED.value
        else None,
        field_names=EDITABLE_FIELDS,
        categories=CATEGORIES,
        done=done if done in DONE_MESSAGES else None,
        error=error,
        assignable=assignable_users(site.store),
        field_error=field_error,
        plain=PlainWords,
        **context,
    )


@router.get("/tickets/{ticket_id}")
def show_ticket(
    request: Request, ticket_id: int, site: Site, _info: SignedIn, done: str = ""
) -> Response:
    return ticket_page(site, request, ticket_id, done=done or None)


def act(
    site: Web,
    request: Request,
    ticket_id: int,
    done: str,
    action: Callable[..., object],
    *args: Any,
) -> Response:
    """Run one caseworker action; back to the ticket (303) or its page with the error."""
    try:
        action(*args)
    except FieldError as error:
        return ticket_page(site, request, ticket_id, field_error=error, status=400)
    except CaseworkError as error:
        return ticket_page(site, request, ticket_id, error=refusal_text(request, error), status=400)
    return RedirectResponse(f"/tickets/{ticket_id}?done={done}#top", status_code=303)


@router.post("/tickets/{ticket_id}/category")
def recategorise(
    request: Request,
    ticket_id: int,
    site: Site,
    info: Acting,
    category: Annotated[str, Form()] = "",
) -> Response:
    return act(
        site, request, ticket_id, "category", change_category,
        site.store, ticket_id, category, info.user.name, site.requirements,
    )  # fmt: skip


@router.post("/tickets/{ticket_id}/field")
def set_field(
    request: Request,
    ticket_id: int,
    site: Site,
    info: Acting,
    name: Annotated[str, Form()] = "",
    value: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    return act(
        site, request, ticket_id, "field", edit_field,
        site.store, ticket_id, name, value, info.user.name, site.requirements,
    )  # fmt: skip


@router.post("/tickets/{ticket_id}/items/{code}")
def resolve(
    request: Request,
    ticket_id: int,
    code: str,
    site: Site,
    info: Acting,
    how: Annotated[str, Form()] = "",
) -> Response:
    return act(
        site, request, ticket_id, "item", resolve_item,
        site.store, ticket_id, code, how, info.user.name, site.requirements,
    )  # fmt: skip


@router.post("/tickets/{ticket_id}/resend")
def resend(request: Request, ticket_id: int, site: Site, info: Acting) -> Response:
    return act(
        site, request, ticket_id, "resent", resend_missing,
        site.store, site.settings, ticket_id, info.user.name,
    )  # fmt: skip


@router.post("/tickets/{ticket_id}/personal-data/delete")
def delete_ticket_personal_data(
    request: Request,
    ticket_id: int,
    site: Site,
    info: Acting,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The action "Slett personopplysningene": any caseworker or admin, with a reason."""
    return act(
        site, request, ticket_id, "pd_deleted", delete_personal_data_now,
        site.store, ticket_id, info.user.name, reason,
    )  # fmt: skip


@router.post("/tickets/{ticket_id}/close")
def close_ticket(request: Request, ticket_id: int, site: Site, info: Acting) -> Response:
    return act(site, request, ticket_id, "closed", close, site.store, ticket_id, info.user.name)


@router.post("/tickets/{ticket_id}/reopen")
def reopen_ticket(request: Request, ticket_id: int, site: Site, info: Acting) -> Response:
    return act(
        site, request, ticket_id, "reopened", reopen,
        site.store, ticket_id, info.user.name, site.requirements,
    )  # fmt: skip


def _reply_text(raw: bytes) -> str:
    """A queued or sent reply's text, as the applicant reads it."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if isinstance(message, EmailMessage):
            body = message.get_body(("plain",))
            if isinstance(body, EmailMessage):
                return str(body.get_content())
    except Exception as error:  # a reply we wrote ourselves; still, never break the page
        return f"(unreadable: {error})"
    return ""
