"""OCR for scans: signed offers and deletion confirmations often arrive as scanned PDFs.

Pages are rendered by PDFium (already loaded for the text layer) and read by Tesseract
through pytesseract, within the attachment's deadline and `ocr_pages`. The same Tesseract
run gives the words' boxes, and the page image it read shows whether the acceptance block
of a returned offer holds ink (`ink.py`): the page is rendered once. Without a
`tesseract` binary the scan keeps no text (logged once), as before OCR existed.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
from functools import cache
from typing import Any

import pypdfium2 as pdfium

from parsers.attachments import BlockInk, ExtractionLimits
from parsers.attachments.common import Deadline, clean_text
from parsers.attachments.ink import Word, measure_ink, parse_tsv

log = logging.getLogger(__name__)

_MIN_SECONDS_LEFT = 0.5


@cache
def _tesseract_languages() -> frozenset[str] | None:
    """Installed Tesseract languages, or None when there is no Tesseract at all."""
    if shutil.which("tesseract") is None:
        log.warning("tesseract not installed: scanned attachments stay without text")
        return None
    import pytesseract

    # Tesseract's OpenMP threads only contend on a small machine, and workers already run
    # in parallel: one thread per page read was 3x faster here (2 cores). Inherited by the
    # tesseract child processes only; an operator's own setting wins.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        return frozenset(pytesseract.get_languages(config=""))
    except Exception as exc:  # a broken install must not break extraction
        log.warning("tesseract unusable (%s): scanned attachments stay without text", exc)
        return None


def ocr_available() -> bool:
    return _tesseract_languages() is not None


def _languages(wanted: str) -> str:
    installed = _tesseract_languages() or frozenset()
    usable = [lang for lang in wanted.split("+") if lang in installed]
    return "+".join(usable) or "eng"


def _read_image(
    image: Any, limits: ExtractionLimits, deadline: Deadline
) -> tuple[str, list[Word]] | None:
    """One image's text and word boxes (one Tesseract run gives both); None when the
    deadline leaves too little time to start or finish."""
    import pytesseract

    remaining = deadline.remaining()
    if remaining < _MIN_SECONDS_LEFT:
        return None
    try:
        text, tsv = pytesseract.run_and_get_multiple_output(
            image,
            extensions=["txt", "tsv"],
            lang=_languages(limits.ocr_languages),
            timeout=deadline.child_timeout(),
        )
    except RuntimeError:  # pytesseract's timeout
        return None
    return clean_text(str(text)).strip(), parse_tsv(str(tsv))


def _block_ink(image: Any, words: list[Word], page: int | None) -> BlockInk | None:
    """The ink beside the page's acceptance block labels (`ink.py`); None when the page has
    none. Never raises: a failed measure costs only the ink, never the text."""
    try:
        return measure_ink(image, words, page)
    except Exception as exc:
        log.debug("ink of the acceptance block not measured: %r", exc)
        return None


def ocr_pdf(
    payload: bytes, limits: ExtractionLimits, deadline: Deadline
) -> tuple[str, bool, BlockInk | None]:
    """Text of the first `ocr_pages` pages, whether a limit cut it short, and the ink in the
    acceptance block on the last of them that has one (measured on the page OCR read)."""
    if limits.ocr_pages <= 0 or not ocr_available():
        return "", False, None
    texts: list[str] = []
    ink: BlockInk | None = None
    document = pdfium.PdfDocument(payload, password=None)
    try:
        pages = min(len(document), limits.ocr_pages)
        for index in range(pages):
            page = document[index]
            try:
                image = page.render(scale=limits.ocr_dpi / 72).to_pil()
            finally:
                page.close()
            read = _read_image(image, limits, deadline)
            if read is None:
                return "\n".join(t for t in texts if t), True, ink
            texts.append(read[0])
            ink = _block_ink(image, read[1], index + 1) or ink
        return "\n".join(t for t in texts if t), len(document) > pages, ink
    finally:
        document.close()


def ocr_image(
    payload: bytes, limits: ExtractionLimits, deadline: Deadline
) -> tuple[str, bool, BlockInk | None]:
    """Text of an image attachment (a photographed or scanned page), whether a limit cut it
    short, and the ink in its acceptance block."""
    if limits.ocr_pages <= 0 or not ocr_available():
        return "", False, None
    from PIL import Image

    with Image.open(io.BytesIO(payload)) as image:
        if image.width * image.height > 40_000_000:  # a decompression bomb, not a page
            return "", True, None
        gray = image.convert("L")
        read = _read_image(gray, limits, deadline)
    if read is None:
        return "", True, None
    return read[0], False, _block_ink(gray, read[1], None)
