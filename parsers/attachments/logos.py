"""Signature logos: the small images a mail client puts in every signature.

Outlook and others embed the sender's logo as `image001.png`, an inline part the HTML body
shows by `cid:`. It is never a document, yet OCR read each one (about 170 ms of Tesseract
for 15 characters). This module is the one home of the decision, in two places of the
pipeline:

- before reading (`is_signature_logo`): an inline image the HTML refers to by `cid:`,
  small in pixels or bytes, is not sent to OCR. A photo or scan of a signed page is far
  larger in both, so it stays OCR'd, inline or not.
- after reading (`looks_like_logo`): an image with next to no text that is small, or named
  like a signature image and inline, is never a signed offer (`bot/offer_check.py`), and
  a signature image's name never makes it a document (`bot/readability.py`).
"""

from __future__ import annotations

import io
import re

from parsers.attachments import AttachmentText, ExtractionLimits

LOGO_MAX_BYTES = 40_000
"""After reading: an image smaller than this with next to no text is a signature logo,
never an offer (a phone photo or scan of a signed page is 100 KB and more, and OCR reads
its words)."""
LOGO_MAX_TEXT = 40
_LOGO_NAME = re.compile(r"^(?:image|img|logo|outlook|~wrd)\d*\b.*\.(?:png|gif|jpe?g|bmp)$", re.I)
SIGNATURE_IMAGE_NAME = re.compile(
    r"^(?:image\d+|img\d{3}|logo[\w-]*|signatur[\w-]*|signature[\w-]*|outlook[\w-]*)"
    r"\.(?:png|gif|jpe?g|bmp)$",
    re.IGNORECASE,
)
"""Images a mail client puts in a signature: never a scanned document."""
_CID = re.compile(r"""\bcid:\s*([^"'\s>)]+)""", re.IGNORECASE)


def cid_references(html: str) -> frozenset[str]:
    """The Content-IDs an HTML body shows (`<img src="cid:image001.png@01D9…">`), as
    `content_id` below normalises them."""
    return frozenset(content_id(ref) for ref in _CID.findall(html))


def content_id(header: str) -> str:
    """A Content-ID header or `cid:` URL as one comparable string (no angle brackets)."""
    return header.strip().strip("<>").strip().lower()


def is_signature_logo(payload: bytes, limits: ExtractionLimits) -> bool:
    """Before OCR, for an inline image the HTML body shows by `cid:`: a logo when it is
    small in bytes (`logo_max_bytes`) or in pixels (`logo_max_pixels`). An image Pillow
    cannot size is not called a logo here (its reading will say what it is)."""
    if len(payload) <= limits.logo_max_bytes:
        return True
    from PIL import Image

    try:
        with Image.open(io.BytesIO(payload)) as image:  # reads the header only
            width, height = image.size
    except Exception:
        return False
    return width * height <= limits.logo_max_pixels


def looks_like_logo(attachment: AttachmentText, size: int, inline: bool) -> bool:
    """After reading: a small image with next to no text (Outlook's `image001.png` from the
    signature), or one set apart as a logo before OCR."""
    if attachment.format != "image":
        return False
    if attachment.logo:
        return True
    small = 0 < size < LOGO_MAX_BYTES
    wordless = len(attachment.text.strip()) < LOGO_MAX_TEXT
    named = bool(_LOGO_NAME.match(attachment.filename))
    return wordless and (small or (named and inline))


def may_be_a_document(attachment: AttachmentText) -> bool:
    """A PDF or a photographed page may be any document; a signature's logo is not."""
    if attachment.format == "image":
        return not attachment.logo and not SIGNATURE_IMAGE_NAME.match(attachment.filename.strip())
    return attachment.format in ("pdf", "docx", "xlsx", "text", "other")
