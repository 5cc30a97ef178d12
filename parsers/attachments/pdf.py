"""PDF attachments: text layer, page count, scan detection, first-page tables and form values.

This module's single job is reading a PDF within `ExtractionLimits`. PDFium (pypdfium2) gives
the text of every page in 1-2.5 ms a page; pdfplumber costs 10-300 ms a page, so it only
looks at the first `limits.layout_pages` pages, and only at those whose drawing could be a
ruled table (cheap pre-check through PDFium's path objects). Fillable application forms keep
their answers in AcroForm fields rather than in the page text, so field values are read from
the document catalogue (pdfminer, through pdfplumber) whenever PDFium reports a form.
"""

from __future__ import annotations

import io
import logging
import zlib
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import LIT

from parsers.attachments import AttachmentText, ExtractionLimits
from parsers.attachments.common import (
    Deadline,
    TextBudget,
    clean_text,
    join_cells,
    megabytes,
)
from parsers.attachments.ocr import ocr_pdf
from parsers.attachments.pdf_form import form_field_lines

log = logging.getLogger(__name__)

SCANNED_CHARS_PER_PAGE = 20
"""Fewer visible characters than this per page on average means a scan (or blank pages)."""
TABLE_MIN_SEGMENTS = 12
"""A ruled table needs at least a few lines: fewer path segments and pdfplumber is skipped."""
TABLE_MAX_PATHS = 2_000
"""More path objects is a drawing or map; pdfplumber would spend seconds on it for nothing."""

MAX_LAYOUT_CONTENT_BYTES = 250_000
"""Page content above this (about half a second of pdfminer) is left to the PDFium text."""
LITERAL_FLATE = LIT("FlateDecode")

_OPEN_ERRORS = {
    pdfium_c.FPDF_ERR_PASSWORD: "encrypted PDF: no password",
    pdfium_c.FPDF_ERR_SECURITY: "encrypted PDF: unsupported security handler",
}


def _open_error(payload: bytes, code: int | None) -> str:
    """The clearest reason PDFium refused the file, using what the bytes themselves show."""
    if code in _OPEN_ERRORS:
        return _OPEN_ERRORS[code]
    if b"%PDF" not in payload[:1024]:
        return "not a valid PDF (no %PDF header)"
    if b"%%EOF" not in payload[-1024:]:
        return f"truncated PDF: file ends without %%EOF after {megabytes(len(payload))}"
    return "damaged PDF: PDFium cannot parse it"


def _is_table_candidate(page: pdfium.PdfPage) -> bool:
    """Cheap PDFium look at the vector paths: could pdfplumber find a ruled table here?"""
    segments = 0
    for count, obj in enumerate(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,)), 1):
        if count > TABLE_MAX_PATHS:
            return False
        segments += max(pdfium_c.FPDFPath_CountSegments(obj.raw), 0)
    return segments >= TABLE_MIN_SEGMENTS


def _page_text(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        return str(textpage.get_text_bounded())
    finally:
        textpage.close()


def _content_size(page: Any) -> int:
    """Decoded size of a pdfplumber page's content streams, stopping once past the cap.

    pdfminer spends about 2 ms per KB of content and cannot be interrupted inside a page, so
    a heavy page (a map, a garbled stream it crawls through byte by byte) gets no table pass.
    """
    total = 0
    for reference in page.page_obj.contents:
        stream = resolve1(reference)
        if not isinstance(stream, PDFStream):
            continue
        filters = [name for name, _params in stream.get_filters()]
        raw = stream.get_rawdata()
        if raw is not None and not stream.decipher and not filters:
            total += len(raw)
        elif raw is not None and not stream.decipher and filters == [LITERAL_FLATE]:
            try:
                budget = MAX_LAYOUT_CONTENT_BYTES + 1 - total
                total += len(zlib.decompressobj().decompress(raw, budget))
            except zlib.error:
                return MAX_LAYOUT_CONTENT_BYTES + 1  # corrupt: not worth pdfminer's repair
        else:
            total += len(stream.get_data())  # encrypted or unusual filters: pdfminer decodes
        if total > MAX_LAYOUT_CONTENT_BYTES:
            break
    return total


def _table_lines(page: Any) -> list[str]:
    lines = []
    for table in page.find_tables():
        for row in table.extract():
            line = join_cells([" ".join((cell or "").split()) for cell in row])
            if line:
                lines.append(line)
    return lines


def _layout_pass(
    payload: bytes, table_pages: list[int], want_form: bool, deadline: Deadline
) -> tuple[dict[int, list[str]], list[str]]:
    """pdfplumber: table rows for `table_pages` (0-based) and AcroForm values.

    Failures here only cost the extras: the PDFium text is already safe, so they are logged.
    """
    import pdfplumber

    tables: dict[int, list[str]] = {}
    fields: list[str] = []
    try:
        # Only the wanted pages become pdfplumber Page objects; [1] when only the form is read.
        pages = [index + 1 for index in table_pages] or [1]
        with pdfplumber.open(io.BytesIO(payload), pages=pages) as pdf:
            if want_form:
                fields = form_field_lines(pdf.doc)
            for page in pdf.pages if table_pages else []:
                if deadline.expired():
                    break
                if _content_size(page) > MAX_LAYOUT_CONTENT_BYTES:
                    continue
                lines = _table_lines(page)
                if lines:
                    tables[page.page_number - 1] = lines
                page.close()
    except Exception as exc:  # pdfminer has many failure modes; none may cost the text
        log.debug("pdfplumber layout pass failed: %r", exc)
    return tables, fields


def extract_pdf(
    filename: str,
    content_type: str,
    payload: bytes,
    limits: ExtractionLimits,
    deadline: Deadline,
) -> AttachmentText:
    """PDFium text for up to `max_pages` pages, plus tables and form values from pdfplumber."""
    try:
        # password=None makes PDFium try the empty user password, which many "protected"
        # (print/copy-restricted) PDFs use; only a real password prompt fails here.
        document = pdfium.PdfDocument(payload, password=None)
    except pdfium.PdfiumError as exc:
        return AttachmentText(
            filename, content_type, "pdf", "", error=_open_error(payload, exc.err_code)
        )
    page_texts: list[str] = []
    table_pages: list[int] = []
    error: str | None = None
    truncated = False
    chars = 0
    try:
        page_count = len(document)
        has_form = document.get_formtype() != pdfium_c.FORMTYPE_NONE
        for index in range(page_count):
            if index >= limits.max_pages or chars >= limits.max_chars or deadline.expired():
                truncated = True
                break
            try:
                page = document[index]
            except pdfium.PdfiumError:
                error = error or f"damaged PDF: page {index + 1} could not be read"
                page_texts.append("")
                continue
            try:
                text = clean_text(_page_text(page)).strip()
                if index < limits.layout_pages and _is_table_candidate(page):
                    table_pages.append(index)
            finally:
                page.close()
            page_texts.append(text)
            chars += len(text)
    finally:
        document.close()

    tables: dict[int, list[str]] = {}
    fields: list[str] = []
    if (table_pages or has_form) and not deadline.expired():
        tables, fields = _layout_pass(payload, table_pages, has_form, deadline)

    budget = TextBudget(limits.max_chars)
    for line in fields:
        budget.add(line)
    for index, text in enumerate(page_texts):
        if text:
            budget.add(text)
        for line in tables.get(index, []):
            budget.add(line)
    visible = sum(len("".join(text.split())) for text in page_texts)
    scanned = bool(page_texts) and visible < SCANNED_CHARS_PER_PAGE * len(page_texts) and not fields
    text, ocr_text, ocr_cut = budget.text(), "", False
    if scanned and not deadline.expired():
        ocr_text, ocr_cut = ocr_pdf(payload, limits, deadline)
        text = "\n".join(t for t in (text, ocr_text[: limits.max_chars]) if t)
    return AttachmentText(
        filename=filename,
        content_type=content_type,
        format="pdf",
        text=text,
        pages=page_count,
        truncated=truncated or budget.truncated or ocr_cut,
        scanned=scanned,
        ocr=bool(ocr_text),
        error=error,
    )
