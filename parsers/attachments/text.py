"""Plain-text and HTML attachments: cover letters, microdata.no scripts, CSV, saved web pages.

This module's single job is turning text bytes into a bounded `AttachmentText`: decode
UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 (what Norwegian Windows
tools still write), and convert HTML to readable text with html2text. `looks_like_text`
lets the dispatcher sniff text without decoding a whole file.
"""

from __future__ import annotations

import codecs
import re

from parsers.attachments import AttachmentText, ExtractionLimits
from parsers.attachments.common import Deadline, TextBudget, clean_text
from parsers.forms import merge, read_text

_SNIFF_BYTES = 65_536
_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.I)
# Bytes that never occur in real text in any of the encodings we accept (TAB, LF, FF, CR
# and ESC excluded); a handful is tolerated, more means binary.
_BINARY_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))
_HTML_INPUT_FACTOR = 4
"""Markup outweighs text: feed html2text at most this many characters per output character."""
_HTML_CHUNK = 32_768


def _bom_encoding(payload: bytes) -> str | None:
    if payload.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if payload.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _is_utf8(prefix: bytes) -> bool:
    """Strict UTF-8 check of a prefix that may end in the middle of a character."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(prefix, final=False)
    except UnicodeDecodeError:
        return False
    return True


def looks_like_text(payload: bytes) -> bool:
    """True when the first 64 KB decode as text and carry (almost) no binary control bytes."""
    if _bom_encoding(payload):
        return True
    prefix = payload[:_SNIFF_BYTES]
    if not prefix or b"\x00" in prefix:
        return False
    controls = sum(prefix.count(bytes([b])) for b in _BINARY_BYTES)
    return controls * 100 <= len(prefix)  # cp1252 decodes (almost) any byte, so this decides


def looks_like_html(payload: bytes, filename: str, content_type: str) -> bool:
    if content_type.lower().startswith(("text/html", "application/xhtml")):
        return True
    if filename.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    return bool(_HTML_START.match(payload[:1024].lstrip(codecs.BOM_UTF8)))


def decode(payload: bytes, max_chars: int) -> tuple[str, str, bool]:
    """(text, encoding, cut) for at most about `max_chars` characters of `payload`."""
    encoding = _bom_encoding(payload)
    if encoding is None:
        encoding = "utf-8" if _is_utf8(payload[: max(4 * max_chars, 4)]) else "cp1252"
    # 4 bytes per character is UTF-8's worst case, so this slice never loses wanted text.
    window = payload[: 4 * max_chars + 4]
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(window, final=len(window) == len(payload))
    cut = len(window) < len(payload) or len(text) > max_chars
    return text, encoding, cut


def _html_to_text(html: str, deadline: Deadline) -> tuple[str, bool]:
    """html2text fed in chunks, so `max_seconds` can stop it (it is pure Python, ~2.5 µs/char)."""
    import html2text

    converter = html2text.HTML2Text()
    converter.body_width = 0  # no hard wrapping: keep one paragraph per line
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.unicode_snob = True
    cut = False
    for start in range(0, len(html), _HTML_CHUNK):
        if deadline.expired():
            cut = True
            break
        converter.feed(html[start : start + _HTML_CHUNK])
    converter.feed("")
    return str(converter.finish()), cut  # what handle() does, minus wrapping (body_width=0)


def extract_text(
    filename: str,
    content_type: str,
    payload: bytes,
    limits: ExtractionLimits,
    deadline: Deadline,
) -> AttachmentText:
    """Decoded (and, for HTML, de-tagged) text, cut at `limits.max_chars`."""
    is_html = looks_like_html(payload, filename, content_type)
    budget_chars = limits.max_chars * (_HTML_INPUT_FACTOR if is_html else 1)
    raw, _encoding, cut = decode(payload, budget_chars)
    if is_html:
        raw, timed_out = _html_to_text(raw, deadline)
        cut = cut or timed_out
    budget = TextBudget(limits.max_chars)
    for line in clean_text(raw).split("\n"):
        if not budget.add(line.rstrip()):
            break
    text = budget.text().strip("\n")
    return AttachmentText(
        filename=filename,
        content_type=content_type,
        format="text",
        text=text,
        truncated=cut or budget.truncated,
        form_fields=merge(read_text(text)),  # a form typed as "Label: value" lines
    )
