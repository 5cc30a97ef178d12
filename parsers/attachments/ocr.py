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

import numpy as np
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


BLANK_SCALE = 36 / 72
"""Pages are first rendered at 36 dpi to see whether they hold anything to read."""
BLANK_INK_SHARE = 0.0005
"""A page whose dark share (margins left out) is at most this is blank or a separator
sheet: not read by OCR. A signature alone on a page is several times more at 36 dpi."""
_BLANK_MARGIN = 0.05
"""Of each edge, left out: scanners darken the edges of a blank sheet."""
_BLANK_DARK = 0.75
"""A pixel darker than this share of the paper's brightness is ink (at 36 dpi a line of
small print is grey, not black)."""


def has_text_regions(image: Any) -> bool:
    """Whether a (small, greyscale) page image holds ink worth reading: False for a blank
    page or a separator sheet. Cheap: one pass over ~125,000 pixels for an A4 page."""
    pixels = np.asarray(image.convert("L"), dtype=np.uint8)
    height, width = pixels.shape
    dy, dx = int(height * _BLANK_MARGIN), int(width * _BLANK_MARGIN)
    inner = pixels[dy : height - dy, dx : width - dx]
    if inner.size == 0:
        return True
    paper = float(np.percentile(inner, 90))
    if paper <= 0:
        return True  # a black page: let OCR say what it is
    dark = np.count_nonzero(inner < _BLANK_DARK * paper)
    return bool(dark / inner.size > BLANK_INK_SHARE)


def parallel_pages(wanted: int) -> int:
    """Pages read at once: `wanted`, as far as the cores are idle (1-minute load)."""
    idle = (os.cpu_count() or 1) - os.getloadavg()[0]
    return max(1, min(wanted, int(idle + 0.5)))


def ocr_pdf(
    payload: bytes, limits: ExtractionLimits, deadline: Deadline
) -> tuple[str, bool, BlockInk | None]:
    """Text of the first `ocr_pages` pages, whether a limit cut it short, and the ink in the
    acceptance block on the last of them that has one (measured on the page OCR read).

    Blank pages and separator sheets are seen on a 36 dpi rendering and not read; the
    others are read by up to `ocr_parallel_pages` Tesseract processes at once, as far as
    the cores are idle (each Tesseract is single-threaded: `OMP_THREAD_LIMIT`)."""
    if limits.ocr_pages <= 0 or not ocr_available():
        return "", False, None
    document = pdfium.PdfDocument(payload, password=None)
    try:
        pages = min(len(document), limits.ocr_pages)
        images: list[tuple[int, Any]] = []
        for index in range(pages):
            if deadline.expired():
                return "", True, None
            page = document[index]
            try:
                if not has_text_regions(page.render(scale=BLANK_SCALE, grayscale=True).to_pil()):
                    continue
                images.append((index, page.render(scale=limits.ocr_dpi / 72).to_pil()))
            finally:
                page.close()
        more = len(document) > pages
    finally:
        document.close()
    reads = _read_pages([image for _, image in images], limits, deadline)
    texts: list[str] = []
    ink: BlockInk | None = None
    for (index, image), read in zip(images, reads, strict=True):
        if read is None:
            return "\n".join(t for t in texts if t), True, ink
        texts.append(read[0])
        ink = _block_ink(image, read[1], index + 1) or ink
    return "\n".join(t for t in texts if t), more, ink


def _read_pages(
    images: list[Any], limits: ExtractionLimits, deadline: Deadline
) -> list[tuple[str, list[Word]] | None]:
    """Each image read by Tesseract, several at once where cores are idle; in page order."""
    workers = parallel_pages(min(limits.ocr_parallel_pages, len(images)))
    if workers <= 1:
        reads: list[tuple[str, list[Word]] | None] = []
        for image in images:
            reads.append(_read_image(image, limits, deadline))
            if reads[-1] is None:
                break
        return reads + [None] * (len(images) - len(reads))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr-page") as pool:
        return list(pool.map(lambda image: _read_image(image, limits, deadline), images))


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
