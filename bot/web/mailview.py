"""A stored mail as a caseworker may see it: text to escape, HTML made inert, attachments.

Everything here reads hostile input. Text is handed to the templates as plain strings
(Jinja escapes them); the HTML part is cleaned by nh3 (an allow-list: no scripts, event
handlers, styles, forms, images or other remote content) and is then shown in an iframe
sandboxed without `allow-scripts`, under the page's CSP — three walls, each enough.
Attachments are served only as downloads, under a name safe for a header.

National ID numbers are never shown (issue #11): every text, name and the HTML taken
from the raw bytes here passes `mask_national_ids` (`010190*****`).
"""

from __future__ import annotations

import email
import email.policy
import re
import unicodedata
from dataclasses import dataclass
from email.message import Message
from html import escape
from typing import Any, Final
from urllib.parse import quote

import nh3

from parsers.attachments.preview import preview_format
from parsers.mail import MailLimits, decode_text, parse_mail
from parsers.message import ParsedMail, RawAttachment
from parsers.national_id import mask_national_ids
from parsers.text import html_to_text

_HTML_TAGS: Final = frozenset(nh3.ALLOWED_TAGS) - {"img", "map", "area"}
"""Remote images are how a mail learns it was read: none are shown (nor `data:` ones)."""
_HTML_ATTRIBUTES: Final = {
    tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items() if tag in _HTML_TAGS
}
_URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})
_MAX_HTML_CHARS: Final = 500_000
_ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class AttachmentView:
    index: int
    filename: str
    content_type: str
    kind: str
    size: int
    error: str | None
    previewable: bool = False
    """A PDF or an image by its bytes: the ticket page offers a preview (`bot.web.preview`)."""


@dataclass(frozen=True)
class MailView:
    """What the ticket page shows of one mail."""

    text: str
    quoted: str
    forwarded: str
    html: str | None
    """The HTML part cleaned, as an iframe's `srcdoc`; None when the mail has none."""
    attachments: tuple[AttachmentView, ...]
    defects: tuple[str, ...]


def sanitize_html(html: str) -> str:
    """Mail HTML with nothing active or remote left: a document for a sandboxed iframe."""
    cleaned = nh3.clean(
        html[:_MAX_HTML_CHARS],
        tags=set(_HTML_TAGS),
        attributes=_HTML_ATTRIBUTES,
        url_schemes=set(_URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # `&nbsp;` is the one entity the cleaner writes between digits ("010190&nbsp;12345");
    # as the character it is, the masking sees the spaced form of a number too.
    cleaned = mask_national_ids(cleaned.replace("&nbsp;", "\u00a0"))
    # A number split over tags ("<span>0101901</span><span>0046</span>") or written with
    # entities survives masking the markup; what the page would show is what counts. Then
    # the page shows the mail's text, masked, instead of its HTML.
    visible = html_to_text(cleaned)
    if mask_national_ids(visible) != visible:
        cleaned = f"<pre>{escape(mask_national_ids(visible))}</pre>"
    return f'<!doctype html><html><head><meta charset="utf-8"></head><body>{cleaned}</body></html>'


def html_bodies(raw: bytes, limits: MailLimits | None = None) -> list[str]:
    """The mail's own HTML body parts (not attachments, not forwarded mails), decoded."""
    limits = limits or MailLimits()
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    found: list[str] = []
    seen = 0

    def walk(part: Message, depth: int) -> None:
        nonlocal seen
        seen += 1
        if seen > limits.max_parts or depth > limits.max_depth:
            return
        if part.get_content_maintype() == "message":
            return
        if part.is_multipart():
            children: Any = part.get_payload()
            for child in children if isinstance(children, list) else ():
                if isinstance(child, Message):
                    walk(child, depth + 1)
            return
        disposition = (part.get_content_disposition() or "").lower()
        named = part.get_filename() or part.get_param("name")
        if part.get_content_type() == "text/html" and disposition != "attachment" and not named:
            try:
                payload = part.get_payload(decode=True)
            except Exception:  # compat32 decoders raise on some damaged payloads
                return
            if isinstance(payload, bytes):
                found.append(decode_text(payload, part.get_content_charset()))

    walk(message, 0)
    return found


def mail_view(raw: bytes, verdict: dict[str, Any], limits: MailLimits | None = None) -> MailView:
    """The stored bytes parsed again (cheap: no attachment text is extracted here)."""
    parsed = parse_mail(raw, limits)
    judged = verdict.get("attachments") or []
    attachments = []
    for index, attachment in enumerate(parsed.attachments):
        judgement = judged[index] if index < len(judged) else {}
        filename = mask_national_ids(attachment.filename)
        same = mask_national_ids(str(judgement.get("filename", ""))) == filename
        attachments.append(
            AttachmentView(
                index=index,
                filename=filename,
                content_type=attachment.content_type,
                kind=str(judgement.get("kind", "other")) if same else "other",
                size=len(attachment.payload),
                error=mask_national_ids(str(judgement["error"]))
                if same and judgement.get("error")
                else None,
                previewable=preview_format(attachment.payload) is not None,
            )
        )
    htmls = html_bodies(raw, limits)
    text = "\n\n".join(p for p in (parsed.text.new, parsed.text.signature) if p.strip())
    return MailView(
        text=mask_national_ids(text),
        quoted=mask_national_ids(parsed.text.quoted),
        forwarded=mask_national_ids(parsed.text.forwarded),
        html=sanitize_html("<hr>".join(htmls)) if htmls else None,
        attachments=tuple(attachments),
        defects=tuple(mask_national_ids(d) for d in parsed.defects),
    )


def attachment_of(raw: bytes, index: int, limits: MailLimits | None = None) -> RawAttachment:
    """The index-th attachment, as `parse_mail` finds it (IndexError when there is none)."""
    parsed: ParsedMail = parse_mail(raw, limits)
    if index < 0:
        raise IndexError(index)
    return parsed.attachments[index]


def attachments_of(raw: bytes, limits: MailLimits | None = None) -> tuple[RawAttachment, ...]:
    """Every attachment, numbered as `mail_view` and `attachment_of` number them."""
    return parse_mail(raw, limits).attachments


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the real one in RFC 5987 form."""
    normalized = unicodedata.normalize("NFKD", filename)
    fallback = _ASCII_NAME.sub("_", normalized.encode("ascii", "ignore").decode()).strip("._")
    fallback = (fallback or "attachment")[:150]
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename[:200], safe='')}"
