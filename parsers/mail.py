"""One mail's bytes → a `ParsedMail`: headers, sender, text split by author, attachments.

Header decoding (RFC 2047, broken address lists, obsolete dates) comes from
mail-parser's utilities, which recover far more malformed input than the stdlib's
strict policy. The MIME tree is walked here over the stdlib `Message`, because
mail-parser's own walk flattens forwarded `message/rfc822` parts into the body
and names unnamed parts with random strings (the same bytes would not give the
same verdict), and it has no notion of Outlook's winmail.dat.
"""

from __future__ import annotations

import base64
import codecs
import dataclasses
import email
import email.parser
import email.policy
import email.utils
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header, decode_header
from email.message import Message

import tnefparse
from mailparser.utils import convert_mail_date, decode_header_part, get_addresses

from parsers.attachments.logos import cid_references, content_id
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
    max_attachments: int = 200
    max_mail_bytes: int = 50_000_000
    """A larger mail is parsed up to here: its text comes first, a cut attachment shows as
    damaged, and a defect says so."""


_ADDRESS_HEADERS = ("to", "cc")
_LATIN1_LABELS = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii"}
_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_WINDOWS_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com\d|lpt\d)(?:\..*)?$", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")
_NOT_TEXT_CODECS = frozenset(
    {"unicode_escape", "raw_unicode_escape", "utf_7", "punycode", "idna", "undefined"}
)
"""Codecs Python accepts as labels that no mail body is written in: a label naming one lies."""
_WIDE_CODECS = ("utf_16", "utf_32")


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes to text, trusting the bytes over a label that lies.

    Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the label says (Latin-1 text
    almost never is valid UTF-8); "ISO-8859-1" is read as Windows-1252, its superset
    that every mail client actually writes; unknown labels fall back the same way.
    """
    if not data.isascii():
        try:
            return _text(data.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    label = (charset or "").strip().strip('"').lower()
    if label in _LATIN1_LABELS or not label:
        return _text(data.decode("cp1252", errors="replace"))
    try:
        codec = codecs.lookup(label).name.replace("-", "_")
        # UTF-16/32 text (of any script mail is written in) is full of zero bytes.
        wide_lie = codec.startswith(_WIDE_CODECS) and data.count(0) * 4 < len(data)
        if codec in _NOT_TEXT_CODECS or wide_lie:
            raise LookupError(f"{label} is not what mail text is written in")
        return _text(data.decode(label))
    except (LookupError, ValueError):
        return _text(data.decode("cp1252", errors="replace"))


def _text(decoded: str) -> str:
    """NUL is never mail text, and databases refuse it in text columns."""
    return decoded.replace("\x00", "")


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
class _Counts:
    """Totals over the whole mail, shared by the walks of forwarded mails inside it."""

    parts: int = 0
    attachments: int = 0


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
    counts: _Counts = field(default_factory=_Counts)
    cids: set[str] = field(default_factory=set)
    """Content-IDs an HTML body of this mail (or a mail inside it) shows by `cid:`."""

    def attachment_room(self) -> bool:
        if self.counts.attachments < self.limits.max_attachments:
            return True
        if self.counts.attachments == self.limits.max_attachments:
            self.counts.attachments += 1  # say it once
            self.defects.append(
                f"more than {self.limits.max_attachments} attachments: the rest skipped"
            )
        return False

    def take(self, *attachments: RawAttachment) -> None:
        self.attachments.extend(attachments)
        self.counts.attachments += len(attachments)


def parse_mail(raw: bytes, limits: MailLimits | None = None) -> ParsedMail:
    """Parse RFC 5322 bytes. Never raises on malformed mail: damage lands in `defects`.

    A mail the MIME parser cannot take at all (nesting past Python's recursion limit, say)
    keeps its headers; if even those fail, it is an empty mail with the reason as a defect.
    """
    limits = limits or MailLimits()
    cut: list[str] = []
    if len(raw) > limits.max_mail_bytes:
        cut.append(
            f"mail of {len(raw) / 1e6:.1f} MB is over the {limits.max_mail_bytes / 1e6:g} MB"
            " limit: only its start was read"
        )
        raw = raw[: limits.max_mail_bytes]
    try:
        return _parse(raw, limits, cut)
    except Exception as error:  # the stdlib parser or the walk gave up: keep what we can
        reason = f"MIME structure unreadable ({type(error).__name__}): body skipped"
    try:
        message = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        return _assemble(message, _Walk(limits=limits, defects=[*cut, reason]), MailText(new=""))
    except Exception as error:
        reason = f"{reason}; headers unreadable ({type(error).__name__})"
    return _assemble(Message(), _Walk(limits, defects=[*cut, reason]), MailText(""))


def _parse(raw: bytes, limits: MailLimits, defects: list[str]) -> ParsedMail:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    walk = _Walk(limits=limits, defects=list(defects))
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
    return _assemble(message, walk, text)


def _assemble(message: Message, walk: _Walk, text: MailText) -> ParsedMail:
    headers = _decoded_headers(message, walk)
    return ParsedMail(
        message_id=_first_message_id(_header(message, "message-id", walk.limits)),
        subject=_header(message, "subject", walk.limits),
        sender=_first_address(message, "from", walk),
        recipients=tuple(a for name in _ADDRESS_HEADERS for a in _addresses(message, name, walk)),
        reply_to=tuple(_addresses(message, "reply-to", walk)),
        date=_date(message, walk),
        in_reply_to=_first_message_id(_header(message, "in-reply-to", walk.limits)),
        references=tuple(_MESSAGE_ID.findall(_header(message, "references", walk.limits))),
        headers=headers,
        content_type=message.get_content_type(),
        text=text,
        attachments=tuple(
            dataclasses.replace(a, shown_in_html=True) if a.content_id in walk.cids else a
            for a in walk.attachments
        ),
        defects=tuple(dict.fromkeys(walk.defects)),
    )


def _walk_part(
    part: Message, walk: _Walk, depth: int, origin: str, in_report: bool = False
) -> None:
    walk.counts.parts += 1
    if walk.counts.parts > walk.limits.max_parts:
        if walk.counts.parts == walk.limits.max_parts + 1:
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
    inner_walk = _Walk(limits=walk.limits, counts=walk.counts)
    _walk_part(inner, inner_walk, depth + 1, "forwarded")
    heading = "\n".join(
        f"{label}: {_header(inner, name, walk.limits)}"
        for label, name in (("From", "from"), ("Date", "date"), ("Subject", "subject"))
        if _header(inner, name, walk.limits)
    )
    body = "\n\n".join(inner_walk.plain) or "\n\n".join(map(html_to_text, inner_walk.html))
    text = "\n".join(p for p in (heading, body, *inner_walk.forwarded) if p)
    (walk.quoted if quoted_back else walk.forwarded).append(text)
    walk.attachments.extend(inner_walk.attachments)
    walk.defects.extend(inner_walk.defects)
    walk.cids |= inner_walk.cids


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
        if part.get("content-transfer-encoding", "").strip().lower() == "base64":
            payload = _lenient_base64(part.get_payload(), payload)
    except Exception as error:  # compat32 decoders raise on some damaged payloads
        walk.defects.append(f"undecodable part {content_type}: {error}")
        return
    data = payload if isinstance(payload, bytes) else b""

    if is_body_text:
        text = decode_text(data, part.get_content_charset())
        (walk.plain if content_type == "text/plain" else walk.html).append(text)
        if content_type == "text/html":
            walk.cids |= cid_references(text)
        return
    if content_type in ("message/delivery-status", "text/rfc822-headers"):
        walk.quoted.append(decode_text(data, part.get_content_charset()))
        return
    if not walk.attachment_room():
        return
    index = len(walk.attachments) + 1
    filename = safe_filename(raw_name, index, content_type)
    is_tnef = content_type == "application/ms-tnef" or filename.lower() == "winmail.dat"
    if is_tnef and _unpack_tnef(data, walk):
        return
    walk.take(
        RawAttachment(
            filename=filename,
            content_type=content_type,
            payload=data,
            inline=disposition == "inline" or bool(part.get("content-id") and not raw_name),
            content_id=content_id(str(part.get("content-id") or "")),
            origin=origin,
        )
    )


def _lenient_base64(encoded: object, decoded: object) -> object:
    """Base64 as mail clients really write it: stray characters skipped, padding optional.

    When junk makes the length wrong the stdlib gives up on the whole part and hands back
    the encoded text (`decoded`); then skipping what is not in the alphabet keeps every
    intact quantum. Otherwise the stdlib's result stands.
    """
    text = encoded if isinstance(encoded, str) else ""
    undecoded = b"".join(text.encode("utf-8", "surrogateescape").splitlines())
    if decoded != undecoded or not text.strip():
        return decoded
    alphabet = _NOT_BASE64.sub("", text)
    usable = len(alphabet) - len(alphabet) % 4
    tail = alphabet[usable:]
    body = base64.b64decode(alphabet[:usable]) if usable else b""
    if len(tail) >= 2:  # a last quantum without its padding
        body += base64.b64decode(tail + "=" * (4 - len(tail)))
    return body


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
    walk.take(*found)
    return True


def _header_text(value: object) -> str:
    """A header value as text: raw 8-bit bytes decoded like a body, then RFC 2047 words.

    Encoded words are decoded by `decode_text` too, so a charset label that lies or that no
    one writes mail in (`=?utf-16?…`, `=?unicode-escape?…`) cannot turn a subject to noise.
    """
    if not isinstance(value, Header):
        text = str(value)
        if not text.isascii():
            # compat32 keeps undeclared 8-bit header bytes as surrogate escapes.
            text = decode_text(text.encode("utf-8", "surrogateescape"), None)
        if "=?" not in text:
            return _text(text)
        value = text
    try:
        chunks = decode_header(value)
    except Exception:  # a malformed encoded word: mail-parser's lenient decoder
        return _text(str(decode_header_part(str(value))))
    return "".join(
        decode_text(chunk, None if charset in (None, "unknown-8bit") else charset)
        if isinstance(chunk, bytes)
        else _text(chunk)
        for chunk, charset in chunks
    )


def _header(message: Message, name: str, limits: MailLimits) -> str:
    value = message.get(name)
    if value is None:
        return ""
    text = _header_text(_clip(value, limits.max_header_chars))[: limits.max_header_chars]
    return re.sub(r"\s+", " ", text).strip()


def _clip(value: object, max_chars: int) -> object:
    """A raw header value cut before decoding (encoded words at most quadruple the length)."""
    if isinstance(value, str) and len(value) > 4 * max_chars:
        return value[: 4 * max_chars]
    return value


def _decoded_headers(message: Message, walk: _Walk) -> tuple[tuple[str, str], ...]:
    items = message.items()
    if len(items) > walk.limits.max_headers:
        walk.defects.append(f"more than {walk.limits.max_headers} headers: the rest skipped")
        items = items[: walk.limits.max_headers]
    decoded = []
    for key, value in items:
        text = _header_text(_clip(value, walk.limits.max_header_chars))
        if len(text) > walk.limits.max_header_chars:
            walk.defects.append(f"header {key} longer than {walk.limits.max_header_chars} chars")
            text = text[: walk.limits.max_header_chars]
        decoded.append((str(key), re.sub(r"\s+", " ", text).strip()))
    return tuple(decoded)


def _addresses(message: Message, name: str, walk: _Walk) -> list[Address]:
    """The header's addresses, taken apart *before* encoded words are decoded.

    Decoding first would let a display name such as `=?utf-8?q?evil=40y.no=2C_?=` turn
    into a second address (or replace the real one); encoded words are atoms of a name,
    so each name is decoded only after the split.
    """
    found: list[Address] = []
    for value in message.get_all(name) or []:
        try:
            clipped = _clip(value, walk.limits.max_header_chars)
            if isinstance(clipped, Header):  # already decoded by the email package
                pairs = get_addresses(_header_text(clipped), decode_names=True)
            else:
                raw = str(clipped)[: walk.limits.max_header_chars]
                if not raw.isascii():
                    raw = decode_text(raw.encode("utf-8", "surrogateescape"), None)
                pairs = [(_header_text(n), a) for n, a in email.utils.getaddresses([raw])]
        except Exception as error:
            walk.defects.append(f"unreadable {name} header: {error}")
            continue
        found.extend(
            Address(name=str(n).strip(), email=str(a).strip())
            for n, a in _rejoin_unquoted_names(pairs)
            if a
        )
    return found


def _rejoin_unquoted_names(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`From: Strand, Ole-Martin <o@nav.no>` (a "Last, First" name some clients leave
    unquoted) splits at the comma into a bare "Strand" and "Ole-Martin <o@nav.no>": a bare
    word with no @ before a real address is the start of that address's name."""
    joined: list[tuple[str, str]] = []
    pending: list[str] = []
    for name, address in pairs:
        if address and "@" not in address and not name:
            pending.append(address)
            continue
        if pending and "@" in address:
            name = ", ".join([*pending, name] if name else pending)
        else:
            joined.extend(("", word) for word in pending)
        pending = []
        joined.append((name, address))
    joined.extend(("", word) for word in pending)
    return joined


def _first_address(message: Message, name: str, walk: _Walk) -> Address | None:
    addresses = _addresses(message, name, walk)
    return addresses[0] if addresses else None


def _date(message: Message, walk: _Walk) -> datetime | None:
    raw = _header(message, "date", walk.limits)
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
