"""Working together on tickets: internal notes, assignment to any active caseworker (the
assignee gets a notice by mail when someone else assigns them), "next ticket", and bulk
actions on the tickets ticked in the queue. Every change is a POST with the session's
CSRF token (`Acting`) and is recorded in each ticket's history by `bot.casework`.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from bot.casework import NOTE_MAX_CHARS, add_note, assign, bulk, unassign
from bot.store.errors import CaseworkError
from bot.store.tickets import next_ticket
from bot.web.pages import Acting, SignedIn, Site, refusal_text
from bot.web.routes.tickets import act, ticket_page
from bot.web.security import safe_next

router = APIRouter()
_FORM_CHARS: Final = 4 * NOTE_MAX_CHARS
"""What a note's form field may carry at all; the note's own limit is checked, with a
message, by `bot.casework.note_text`."""
_ID_DIGITS: Final = 10


@router.post("/tickets/{ticket_id}/notes")
def note(
    request: Request,
    ticket_id: int,
    site: Site,
    info: Acting,
    text: Annotated[str, Form(max_length=_FORM_CHARS)] = "",
) -> Response:
    try:
        add_note(site.store, ticket_id, text, info.user.name)
    except CaseworkError as error:  # shown with what was typed, to correct and send again
        return ticket_page(
            site, request, ticket_id, error=refusal_text(request, error), status=400,
            note_draft=text,
        )  # fmt: skip
    return RedirectResponse(f"/tickets/{ticket_id}?done=note#history-h", status_code=303)


@router.post("/tickets/{ticket_id}/assign")
def assign_ticket(
    request: Request,
    ticket_id: int,
    site: Site,
    info: Acting,
    to: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    """To `to` (any active caseworker), or to the one asking when the form names nobody."""
    me = info.user.name
    assignee = to or me
    done = "assigned" if assignee == me else "assigned_other"
    return act(
        site, request, ticket_id, done, assign, site.store, site.settings, ticket_id, assignee, me
    )


@router.post("/tickets/{ticket_id}/unassign")
def unassign_ticket(request: Request, ticket_id: int, site: Site, info: Acting) -> Response:
    return act(
        site, request, ticket_id, "unassigned", unassign, site.store, ticket_id, info.user.name
    )


@router.get("/tickets/{ticket_id}/next")
def go_to_next(ticket_id: int, site: Site, info: SignedIn) -> Response:
    """The next open ticket that nobody or I have (`next_ticket`); back with a word if none."""
    found = next_ticket(site.store, ticket_id, info.user.name)
    target = f"/tickets/{found}" if found is not None else f"/tickets/{ticket_id}?done=no_next"
    return RedirectResponse(target, status_code=303)


def _ticket_ids(values: list[str]) -> list[int]:
    """The ticked tickets' ids; 400 for anything but a plain number. (How many is checked
    by `bot.casework.bulk`; the form parser takes at most 1,000 fields.)"""
    ids = []
    for value in values:
        if not value.isdigit() or len(value) > _ID_DIGITS:
            raise HTTPException(400, "not a ticket id")
        ids.append(int(value))
    return ids


@router.post("/bulk")
def bulk_action(
    request: Request,
    site: Site,
    info: Acting,
    ids: Annotated[list[str] | None, Form()] = None,
    action: Annotated[str, Form(max_length=20)] = "",
    assignee: Annotated[str, Form(max_length=120)] = "",
    category: Annotated[str, Form(max_length=40)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """One action on the tickets ticked in the queue; a page with each ticket's outcome."""
    value = {"assign": assignee, "category": category}.get(action, "")
    back = safe_next(back)
    try:
        outcomes = bulk(
            site.store,
            site.settings,
            action,
            _ticket_ids(ids or []),
            info.user.name,
            value=value,
            requirements=site.requirements,
        )
    except CaseworkError as error:
        return site.render(
            request, "bulk_result.html", status=400, error=refusal_text(request, error),
            outcomes=[], back=back,
            action=action, value=value,
        )  # fmt: skip
    return site.render(
        request, "bulk_result.html", error=None, outcomes=outcomes, back=back, action=action,
        value=value,
    )  # fmt: skip
