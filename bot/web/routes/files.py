"""A mail's attachments and raw bytes, always as downloads, under the personal-data rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from bot.store.accounts import SessionInfo
from bot.store.tickets import mail_of_ticket
from bot.web.mailview import attachments_of, content_disposition
from bot.web.pages import Acting, SignedIn, Site, Web
from bot.web.personal_data import (
    REASON_MAX_CHARS,
    Access,
    download_access,
    holds_personal_data,
    protected_attachments,
    record_download,
)
from parsers.national_id import mask_national_ids

router = APIRouter()


def serve_file(
    site: Web,
    request: Request,
    info: SessionInfo,
    ticket_id: int,
    mail_id: int,
    index: int | None,
    reason: str | None,
) -> Response:
    """An attachment (`index`), or the raw mail (None), under the personal-data rule
    (`bot.web.personal_data`): always a download of opaque bytes, so a hostile HTML or
    SVG attachment never renders in our origin; never the bytes of a file that holds
    national IDs to a caseworker, and to an admin only with a reason, logged."""
    store = site.store
    mail = mail_of_ticket(store, ticket_id, mail_id)
    if mail is None:
        raise HTTPException(404)
    deleted = mail.personal_data_deleted_at is not None
    try:
        raw = store.raw_mail.get(mail.sha256)
    except OSError as error:
        if not deleted:
            raise HTTPException(404) from error
        raw = None  # deleted with the personal data: nothing left to download
    holds_ids = holds_personal_data(mail)
    filename, payload = f"mail-{mail.id}.eml", raw
    if index is not None and raw is not None:
        attachments = attachments_of(raw, site.mail_limits)
        if not 0 <= index < len(attachments):
            raise HTTPException(404)
        filename, payload = attachments[index].filename, attachments[index].payload
        names = [a.filename for a in attachments]
        holds_ids = holds_ids and index in protected_attachments(mail.verdict, names)
    elif index is not None:
        filename = f"#{index + 1}"
    access = (
        Access.DELETED
        if payload is None
        else download_access(
            holds_ids=holds_ids, deleted=deleted, is_admin=info.user.is_admin, reason=reason
        )
    )
    if access is Access.ALLOWED and payload is not None:
        if holds_ids:
            record_download(store, ticket_id, mail.id, info.user.name, filename, reason or "")
        return Response(
            payload,
            media_type="application/octet-stream",
            headers={
                "Content-Disposition": content_disposition(mask_national_ids(filename)),
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
            },
        )
    status = {
        Access.REFUSED: 403,
        Access.DELETED: 410,
        Access.REASON_NEEDED: 200 if reason is None else 400,
    }.get(access, 404)
    return site.render(
        request,
        "personal_data_file.html",
        status=status,
        access=access.value,
        ticket_id=ticket_id,
        mail_id=mail.id,
        subject=mail.subject,
        filename=filename,
        deleted_at=mail.personal_data_deleted_at,
        action=request.url.path,
        reason=(reason or "")[:REASON_MAX_CHARS],
        failed=reason is not None,
    )


@router.get("/tickets/{ticket_id}/mails/{mail_id}/attachments/{index}")
def download(
    request: Request, ticket_id: int, mail_id: int, index: int, site: Site, info: SignedIn
) -> Response:
    return serve_file(site, request, info, ticket_id, mail_id, index, None)


@router.post("/tickets/{ticket_id}/mails/{mail_id}/attachments/{index}")
def download_with_reason(
    request: Request,
    ticket_id: int,
    mail_id: int,
    index: int,
    site: Site,
    info: Acting,
    reason: Annotated[str, Form()] = "",
) -> Response:
    return serve_file(site, request, info, ticket_id, mail_id, index, reason)


@router.get("/tickets/{ticket_id}/mails/{mail_id}/raw")
def download_raw(
    request: Request, ticket_id: int, mail_id: int, site: Site, info: SignedIn
) -> Response:
    return serve_file(site, request, info, ticket_id, mail_id, None, None)


@router.post("/tickets/{ticket_id}/mails/{mail_id}/raw")
def download_raw_with_reason(
    request: Request,
    ticket_id: int,
    mail_id: int,
    site: Site,
    info: Acting,
    reason: Annotated[str, Form()] = "",
) -> Response:
    return serve_file(site, request, info, ticket_id, mail_id, None, reason)
