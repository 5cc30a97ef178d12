"""Replies a person lets go: the composer (the bot's draft in an editor, or a blank page)
and the "Til godkjenning" queue of automatic replies waiting for approval (`reply_mode`).

Every form carries the session's CSRF token; the composer also carries its own
idempotency key, so a double click sends one reply. Refusals (an empty text, a national
ID number, a reply someone else already decided) come back on the page in its language,
with what was typed kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Final

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from bot.casework import ReplyRefusedError
from bot.replies.render import MAX_WRITTEN_CHARS
from bot.reply_review import (
    Draft,
    WaitingReply,
    approve,
    discard,
    draft,
    edit_waiting,
    new_compose_key,
    send_written,
    waiting_replies,
    waiting_reply,
)
from bot.store.models import Mail, Ticket
from bot.store.tickets import ticket_detail
from bot.web.pages import Acting, SignedIn, Site, Web, refusal_text

router = APIRouter()
REPLY_DONE_MESSAGES: Final = frozenset({"written", "approved", "edited", "discarded"})
"""The ticket page's `?done=` words for these actions (`done_<key>`)."""
_BACK_TO_TICKET: Final = "ticket"
Text = Annotated[str, Form(max_length=MAX_WRITTEN_CHARS * 2)]
Subject = Annotated[str, Form(max_length=2_000)]


# --- the composer ----------------------------------------------------------------------


@router.get("/tickets/{ticket_id}/reply")
def compose_page(
    request: Request, ticket_id: int, site: Site, _info: SignedIn, start: str = ""
) -> Response:
    """The bot's draft in an editor; `?start=blank` for a reply of one's own."""
    return _composer(site, request, ticket_id, blank=start == "blank")


@router.post("/tickets/{ticket_id}/reply")
def send_reply(
    request: Request,
    ticket_id: int,
    site: Site,
    info: Acting,
    subject: Subject = "",
    body: Text = "",
    compose_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        send_written(site.store, site.settings, ticket_id, info.user.name,
                     subject=subject, body=body, key=compose_key)  # fmt: skip
    except ReplyRefusedError as error:
        typed = {"subject": subject, "body": body, "compose_key": compose_key}
        return _composer(site, request, ticket_id, typed=typed, error=error)
    return RedirectResponse(f"/tickets/{ticket_id}?done=written#replies-h", status_code=303)


def _composer(
    site: Web,
    request: Request,
    ticket_id: int,
    *,
    blank: bool = False,
    typed: dict[str, str] | None = None,
    error: ReplyRefusedError | None = None,
) -> Response:
    detail = ticket_detail(site.store, ticket_id)
    if detail is None:
        raise HTTPException(404)
    made: Draft | None = None
    refused = error
    try:
        made = draft(site.store, site.settings, ticket_id)
    except ReplyRefusedError as no_reply:
        refused = refused or no_reply
    form = typed or {
        "subject": made.subject if made else "",
        "body": "" if blank or made is None else made.body,
        "compose_key": new_compose_key(),
    }
    answered = next((m for m in detail.mails if made and m.id == made.mail_id), None)
    return _render_composer(
        site, request, detail.ticket, form=form, action=f"/tickets/{ticket_id}/reply",
        error=refused, failed=error is not None, bot_draft=made, answered=answered, blank=blank,
        waiting=waiting_replies(site.store, ticket_id=ticket_id),
    )  # fmt: skip


def _render_composer(
    site: Web,
    request: Request,
    ticket: Ticket,
    *,
    form: dict[str, str],
    action: str,
    error: ReplyRefusedError | None,
    failed: bool,
    bot_draft: Draft | None = None,
    waiting_reply: WaitingReply | None = None,
    answered: Mail | None = None,
    blank: bool = False,
    waiting: Sequence[WaitingReply] = (),
) -> Response:
    """`compose.html`: the bot's draft (or a blank page) for a ticket, or a waiting reply;
    `failed`: a posted form was refused (400), its text kept in `form`."""
    return site.render(
        request,
        "compose.html",
        status=400 if failed else 200,
        ticket=ticket,
        draft=bot_draft,
        waiting_reply=waiting_reply,
        answered=answered,
        form=form,
        blank=blank,
        action=action,
        waiting=waiting,
        error=refusal_text(request, error) if error else None,
        max_chars=MAX_WRITTEN_CHARS,
    )


# --- "Til godkjenning" -------------------------------------------------------------------


@router.get("/review")
def review_page(request: Request, site: Site, _info: SignedIn, done: str = "") -> Response:
    return _review(site, request, done=done)


def _review(
    site: Web, request: Request, *, done: str = "", error: str | None = None, status: int = 200
) -> Response:
    return site.render(
        request,
        "review.html",
        status=status,
        waiting=waiting_replies(site.store),
        mode=site.settings.reply_mode.value,
        review_confidence=site.settings.review_confidence,
        done=done if done in REPLY_DONE_MESSAGES else None,
        error=error,
    )


def _decided(ticket_id: int, done: str, back: str) -> RedirectResponse:
    if back == _BACK_TO_TICKET:
        return RedirectResponse(f"/tickets/{ticket_id}?done={done}#replies-h", status_code=303)
    return RedirectResponse(f"/review?done={done}", status_code=303)


@router.post("/review/{outbox_id}/approve")
def approve_reply(
    request: Request,
    outbox_id: int,
    site: Site,
    info: Acting,
    back: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        ticket_id = approve(site.store, outbox_id, info.user.name)
    except ReplyRefusedError as error:
        return _review(site, request, error=refusal_text(request, error), status=409)
    return _decided(ticket_id, "approved", back)


@router.post("/review/{outbox_id}/discard")
def discard_reply(
    request: Request,
    outbox_id: int,
    site: Site,
    info: Acting,
    reason: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        ticket_id = discard(site.store, outbox_id, info.user.name, reason)
    except ReplyRefusedError as error:
        return _review(site, request, error=refusal_text(request, error), status=409)
    return _decided(ticket_id, "discarded", back)


@router.get("/review/{outbox_id}/edit")
def edit_page(request: Request, outbox_id: int, site: Site, _info: SignedIn) -> Response:
    return _editor(site, request, outbox_id)


@router.post("/review/{outbox_id}/edit")
def edit_reply(
    request: Request,
    outbox_id: int,
    site: Site,
    info: Acting,
    subject: Subject = "",
    body: Text = "",
) -> Response:
    try:
        ticket_id = edit_waiting(site.store, outbox_id, info.user.name, subject=subject, body=body)
    except ReplyRefusedError as error:
        if error.key == "not_waiting":
            return _review(site, request, error=refusal_text(request, error), status=409)
        return _editor(site, request, outbox_id, typed={"subject": subject, "body": body},
                       error=error)  # fmt: skip
    return _decided(ticket_id, "edited", _BACK_TO_TICKET)


def _editor(
    site: Web,
    request: Request,
    outbox_id: int,
    *,
    typed: dict[str, str] | None = None,
    error: ReplyRefusedError | None = None,
) -> Response:
    try:
        waiting = waiting_reply(site.store, outbox_id)
    except ReplyRefusedError as gone:
        return _review(site, request, error=refusal_text(request, gone), status=409)
    detail = ticket_detail(site.store, waiting.ticket_id)
    assert detail is not None  # a reply's ticket is never deleted
    form = typed or {"subject": waiting.subject, "body": waiting.body, "compose_key": ""}
    return _render_composer(
        site, request, detail.ticket, form=form, action=f"/review/{outbox_id}/edit",
        error=error, failed=error is not None, waiting_reply=waiting,
    )  # fmt: skip
