"""One mail's bytes → a `ParsedMail`: headers, sender, text split by author, attachments.

Header decoding (RFC 2047, broken address lists, obsolete dates) comes from
mail-parser's utilities, which recover far more malformed input than the stdlib's
strict policy. The MIME tree is walked here over the stdlib `Message`, because
mail-parser's own walk flattens forwarded `message/rfc822` parts into the body
and names unnamed parts with random strings (the same bytes would not give the
same verdict), and it has no notion of Outlook's winmail.dat.
"""

from __future__ import annotations

import email
import email.policy
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header, decode_header
from email.message import Message

import tnefparse
from mailparser.utils import convert_mail_date, decode_header_part, get_addresses

from parsers.message import Address, MailText, ParsedMail, RawAttachment
from parsers.text import html_to_text, split_body


@dataclass(frozen=True)
class MailLimits:
    """Bounds on one mail's structure; the bot builds these from its settings."""

    max_depth: int = 12
    max_parts: int = 1_000
    max_headers: int = 2_000
    max_header_chars: int = 20_000
    max_body_chars: int = 500_000


_ADDRESS_HEADERS = ("to", "cc")
_LATIN1_LABELS = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii"}
_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_WINDOWS_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com\d|lpt\d)(?:\..*)?$", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes to text, trusting the bytes over a label that lies.

    Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the label says (Latin-1 text
    almost never is valid UTF-8); "ISO-8859-1" is read as Windows-1252, its superset
    that every mail client actually writes; unknown labels fall back the same way.
    """
    if not data.isascii():
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    label = (charset or "").strip().strip('"').lower()
    if label in _LATIN1_LABELS or not label:
        return data.decode("cp1252", errors="replace")
    try:
        return data.decode(label)
    except (LookupError, ValueError):
        return data.decode("cp1252", errors="replace")


def safe_filename(raw: str | None, index: int, content_type: str) -> str:
    """A name safe to show and to store: no path, no control or bidi-override characters."""
    name = decode_header_part(raw) if raw else ""
    name = unicodedata.normalize("NFC", str(name))
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_NAME_CHARS.sub("", name).strip().lstrip(".").strip()
    if _WINDOWS_RESERVED.match(name):
        name = f"_{name}"
    if not name:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{index}{extension}"
    return name[:200]


@dataclass
class _Walk:
    """Mutable state of one walk over the MIME tree (local to `parse_mail`)."""

    limits: MailLimits
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    quoted: list[str] = field(default_factory=list)
    attachments: list[RawAttachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    parts_seen: int = 0


def parse_mail(raw: bytes, limits: MailLimits | None = None) -> ParsedMail:
    """Parse RFC 5322 bytes. Never raises on malformed mail: damage lands in `defects`."""
    limits = limits or MailLimits()
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    walk = _Walk(limits=limits)
    _walk_part(message, walk, depth=0, origin="mail")

    html_only = not walk.plain and bool(walk.html)
    body = "\n\n".join(walk.plain) if walk.plain else "\n\n".join(map(html_to_text, walk.html))
    body = body[: limits.max_body_chars]
    split = split_body(body, html_only=html_only)
    forwarded = "\n\n".join(part for part in (split.forwarded, *walk.forwarded) if part)
    quoted = "\n\n".join(part for part in (split.quoted, *walk.quoted) if part)
    text = MailText(
        new=split.new,
        quoted=quoted[: limits.max_body_chars],
        forwarded=forwarded[: limits.max_body_chars],
        signature=split.signature,
        html_only=html_only,
    )

    headers = _decoded_headers(message, walk)
    return ParsedMail(
        message_id=_first_message_id(_header(message, "message-id")),
        subject=_header(message, "subject"),
        sender=_first_address(message, "from", walk),
        recipients=tuple(a for name in _ADDRESS_HEADERS for a in _addresses(message, name, walk)),
        reply_to=tuple(_addresses(message, "reply-to", walk)),
        date=_date(message, walk),
        in_reply_to=_first_message_id(_header(message, "in-reply-to")),
        references=tuple(_MESSAGE_ID.findall(_header(message, "references"))),
        headers=headers,
        content_type=message.get_content_type(),
        text=text,
        attachments=tuple(walk.attachments),
        defects=tuple(dict.fromkeys(walk.defects)),
    )


def _walk_part(
    part: Message, walk: _Walk, depth: int, origin: str, in_report: bool = False
) -> None:
    walk.parts_seen += 1
    if walk.parts_seen > walk.limits.max_parts:
        if walk.parts_seen == walk.limits.max_parts + 1:
            walk.defects.append(f"more than {walk.limits.max_parts} MIME parts: the rest skipped")
        return
    if depth > walk.limits.max_depth:
        walk.defects.append(
            f"MIME nesting deeper than {walk.limits.max_depth}: inner parts skipped"
        )
        return
    walk.defects.extend(type(defect).__name__ for defect in part.defects)
    content_type = part.get_content_type()

    if content_type == "message/rfc822" or (
        part.get_content_maintype() == "message" and part.is_multipart()
    ):
        _walk_forwarded(part, walk, depth, quoted_back=in_report)
        return
    if part.is_multipart():
        children = part.get_payload()
        report = in_report or content_type == "multipart/report"
        if isinstance(children, list):
            for child in children:
                if isinstance(child, Message):
                    _walk_part(child, walk, depth + 1, origin, report)
        return
    _take_leaf(part, walk, origin)


def _walk_forwarded(part: Message, walk: _Walk, depth: int, quoted_back: bool) -> None:
    """A mail inside the mail: forwarded by a person, or quoted back by a bounce."""
    inner_parts = part.get_payload()
    if not isinstance(inner_parts, list) or not inner_parts:
        return
    inner = inner_parts[0]
    if not isinstance(inner, Message):
        return
    inner_walk = _Walk(limits=walk.limits, parts_seen=walk.parts_seen)
    _walk_part(inner, inner_walk, depth + 1, "forwarded")
    walk.parts_seen = inner_walk.parts_seen
    heading = "\n".join(
        f"{label}: {_header(inner, name)}"
        for label, name in (("From", "from"), ("Date", "date"), ("Subject", "subject"))
        if _header(inner, name)
    )
    body = "\n\n".join(inner_walk.plain) or "\n\n".join(map(html_to_text, inner_walk.html))
    text = "\n".join(p for p in (heading, body, *inner_walk.forwarded) if p)
    (walk.quoted if quoted_back else walk.forwarded).append(text)
    walk.attachments.extend(inner_walk.attachments)
    walk.defects.extend(inner_walk.defects)


def _take_leaf(part: Message, walk: _Walk, origin: str) -> None:
    content_type = part.get_content_type()
    disposition = (part.get_content_disposition() or "").lower()
    raw_name = part.get_filename() or part.get_param("name")
    raw_name = raw_name if isinstance(raw_name, str) else None
    is_body_text = (
        content_type in ("text/plain", "text/html") and disposition != "attachment" and not raw_name
    )
    try:
        payload = part.get_payload(decode=True)
    except Exception as error:  # compat32 decoders raise on some damaged payloads
        walk.defects.append(f"undecodable part {content_type}: {error}")
        return
    data = payload if isinstance(payload, bytes) else b""

    if is_body_text:
        text = decode_text(data, part.get_content_charset())
        (walk.plain if content_type == "text/plain" else walk.html).append(text)
        return
    if content_type in ("message/delivery-status", "text/rfc822-headers"):
        walk.quoted.append(decode_text(data, part.get_content_charset()))
        return
    index = len(walk.attachments) + 1
    filename = safe_filename(raw_name, index, content_type)
    is_tnef = content_type == "application/ms-tnef" or filename.lower() == "winmail.dat"
    if is_tnef and _unpack_tnef(data, walk):
        return
    walk.attachments.append(
        RawAttachment(
            filename=filename,
            content_type=content_type,
            payload=data,
            inline=disposition == "inline" or bool(part.get("content-id") and not raw_name),
            origin=origin,
        )
    )


def _unpack_tnef(data: bytes, walk: _Walk) -> bool:
    """Outlook's winmail.dat: replace it by the files inside. False when it cannot be read."""
    try:
        tnef = tnefparse.TNEF(data)
        found = []
        for number, item in enumerate(tnef.attachments, start=1):
            name = item.long_filename() or item.name
            name = name.decode("cp1252", "replace") if isinstance(name, bytes) else str(name or "")
            payload = item.data if isinstance(item.data, bytes) else b""
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            index = len(walk.attachments) + number
            filename = safe_filename(name, index, content_type)
            found.append(RawAttachment(filename, content_type, payload, origin="tnef"))
    except Exception as error:  # tnefparse raises bare exceptions on corrupt input
        walk.defects.append(f"winmail.dat could not be unpacked: {error}")
        return False
    walk.attachments.extend(found)
    return True


def _header_text(value: object) -> str:
    """A header value as text: raw 8-bit bytes decoded like a body, then RFC 2047 words."""
    if isinstance(value, Header):
        # compat32 wraps raw 8-bit header bytes as an "unknown-8bit" Header.
        chunks = decode_header(value)
        return "".join(
            decode_text(chunk, None if charset in (None, "unknown-8bit") else charset)
            if isinstance(chunk, bytes)
            else chunk
            for chunk, charset in chunks
        )
    text = str(value)
    if not text.isascii():
        raw = text.encode("utf-8", "surrogateescape")
        text = decode_text(raw, None)
    try:
        return str(decode_header_part(text))
    except Exception:
        return text


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    return re.sub(r"\s+", " ", _header_text(value)).strip()


def _decoded_headers(message: Message, walk: _Walk) -> tuple[tuple[str, str], ...]:
    items = message.items()
    if len(items) > walk.limits.max_headers:
        walk.defects.append(f"more than {walk.limits.max_headers} headers: the rest skipped")
        items = items[: walk.limits.max_headers]
    decoded = []
    for key, value in items:
        text = _header_text(value)
        if len(text) > walk.limits.max_header_chars:
            walk.defects.append(f"header {key} longer than {walk.limits.max_header_chars} chars")
            text = text[: walk.limits.max_header_chars]
        decoded.append((str(key), re.sub(r"\s+", " ", text).strip()))
    return tuple(decoded)


def _addresses(message: Message, name: str, walk: _Walk) -> list[Address]:
    found: list[Address] = []
    for value in message.get_all(name) or []:
        try:
            raw = _header_text(value)[: walk.limits.max_header_chars]
            pairs = get_addresses(raw, decode_names=True)
        except Exception as error:
            walk.defects.append(f"unreadable {name} header: {error}")
            continue
        found.extend(Address(name=str(n).strip(), email=str(a).strip()) for n, a in pairs if a)
    return found


def _first_address(message: Message, name: str, walk: _Walk) -> Address | None:
    addresses = _addresses(message, name, walk)
    return addresses[0] if addresses else None


def _date(message: Message, walk: _Walk) -> datetime | None:
    raw = _header(message, "date")
    if not raw:
        return None
    try:
        value, _offset = convert_mail_date(raw)
    except Exception:
        walk.defects.append(f"unreadable Date header: {raw[:80]!r}")
        return None
    return value if isinstance(value, datetime) else None


def _first_message_id(value: str) -> str | None:
    match = _MESSAGE_ID.search(value)
    if match:
        return match.group(0)
    return value.strip() or None


__all__ = ["MailLimits", "ParsedMail", "decode_text", "parse_mail", "safe_filename"]
