"""Attachment previews: a page that shows a PDF's or an image's pages, and each page as PNG.

The PNG is made by the isolated extraction worker (`bot.web.preview`); the original bytes
are never served inline. A file that holds national IDs is previewed to nobody, a file
whose personal data were deleted is gone (410), and a file the worker cannot draw (damaged,
encrypted, not a PDF or an image, too large) gets a page that says so in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from bot.store.tickets import mail_of_ticket
from bot.web.mailview import attachments_of
from bot.web.pages import SignedIn, Site, Web, web
from bot.web.personal_data import holds_personal_data, protected_attachments
from bot.web.preview import Previewer
from parsers.attachments.preview import PreviewFailure, PreviewImage, PreviewProblem
from parsers.national_id import mask_national_ids

router = APIRouter()
PNG_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Content-Disposition": "inline",
    "Cache-Control": "private, max-age=3600",
}
"""A preview is our own PNG, but served as if it were hostile all the same."""
_PROBLEM_STATUS: Final = {
    PreviewProblem.NO_SUCH_PAGE: 404,
    PreviewProblem.TIMED_OUT: 503,
    PreviewProblem.FAILED: 503,
}


def previewer(request: Request) -> Previewer:
    """The app's one previewer (with its cache), made on first use."""
    found: Previewer | None = getattr(request.app.state, "previewer", None)
    if found is None:
        found = request.app.state.previewer = Previewer.from_settings(web(request).settings)
    return found


Previews = Annotated[Previewer, Depends(previewer)]


@dataclass(frozen=True)
class Attachment:
    """Which attachment a preview is of (as the ticket page numbers them)."""

    ticket_id: int
    mail_id: int
    index: int


@dataclass(frozen=True)
class PreviewSource:
    filename: str
    payload: bytes
    subject: str


class PreviewRefusedError(Exception):
    """No preview, before any rendering: the status and the words the page shows."""

    def __init__(self, status: int, message_key: str) -> None:
        super().__init__(message_key)
        self.status = status
        self.message_key = message_key


def preview_source(site: Web, where: Attachment) -> PreviewSource:
    """The attachment's bytes; or not found (404), personal data (403, for everyone),
    deleted with the personal data (410)."""
    mail = mail_of_ticket(site.store, where.ticket_id, where.mail_id)
    if mail is None:
        raise HTTPException(404)
    try:
        raw = site.store.raw_mail.get(mail.sha256)
    except OSError as error:
        if mail.personal_data_deleted_at is not None:
            raise PreviewRefusedError(410, "preview_gone") from error
        raise HTTPException(404) from error
    attachments = attachments_of(raw, site.mail_limits)
    if not 0 <= where.index < len(attachments):
        raise HTTPException(404)
    if holds_personal_data(mail):
        names = [a.filename for a in attachments]
        if where.index in protected_attachments(mail.verdict, names):
            raise PreviewRefusedError(403, "preview_personal_data")
    attachment = attachments[where.index]
    return PreviewSource(
        mask_national_ids(attachment.filename), attachment.payload, mask_national_ids(mail.subject)
    )


def preview_view(
    site: Web,
    request: Request,
    where: Attachment,
    *,
    status: int = 200,
    message_key: str = "",
    source: PreviewSource | None = None,
    pages: int = 0,
    total_pages: int = 0,
) -> Response:
    """The preview page: the pages as images, or the message that says why there are none."""
    return site.render(
        request,
        "attachment_preview.html",
        status=status,
        where=where,
        filename=source.filename if source else "",
        subject=source.subject if source else "",
        pages=pages,
        total_pages=total_pages,
        message_key=message_key,
    )


def _failure_view(
    site: Web, request: Request, where: Attachment, source: PreviewSource, failure: PreviewFailure
) -> Response:
    status = _PROBLEM_STATUS.get(failure.problem, 422)
    key = f"preview_{failure.problem.value}"
    return preview_view(site, request, where, status=status, message_key=key, source=source)


def _draw(
    site: Web, request: Request, previews: Previewer, where: Attachment, page: int
) -> Response | tuple[PreviewSource, PreviewImage]:
    """The attachment and its page drawn; or the page that says why not (refused, or the
    worker could not draw it)."""
    try:
        source = preview_source(site, where)
    except PreviewRefusedError as refused:
        return preview_view(
            site, request, where, status=refused.status, message_key=refused.message_key
        )
    drawn = previews.page(source.payload, page)
    if isinstance(drawn, PreviewFailure):
        return _failure_view(site, request, where, source, drawn)
    return source, drawn


@router.get("/tickets/{ticket_id}/mails/{mail_id}/attachments/{index}/preview")
def preview_page(
    request: Request,
    ticket_id: int,
    mail_id: int,
    index: int,
    site: Site,
    previews: Previews,
    _info: SignedIn,
) -> Response:
    """The file's pages as images (the first is drawn now, to count them and to find out
    whether the file can be drawn at all); or why it cannot be previewed."""
    where = Attachment(ticket_id, mail_id, index)
    drawn = _draw(site, request, previews, where, 1)
    if isinstance(drawn, Response):
        return drawn
    source, first = drawn
    return preview_view(
        site, request, where, source=source, pages=first.pages, total_pages=first.total_pages
    )


@router.get("/tickets/{ticket_id}/mails/{mail_id}/attachments/{index}/preview/{page}.png")
def preview_image(
    request: Request,
    ticket_id: int,
    mail_id: int,
    index: int,
    page: int,
    site: Site,
    previews: Previews,
    _info: SignedIn,
) -> Response:
    """One page as PNG (`image/png`, nosniff, sandboxed); a page that says why otherwise."""
    drawn = _draw(site, request, previews, Attachment(ticket_id, mail_id, index), page)
    if isinstance(drawn, Response):
        return drawn
    return Response(drawn[1].png, media_type="image/png", headers=PNG_HEADERS)
