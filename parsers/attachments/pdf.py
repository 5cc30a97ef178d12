"""PDF attachments: text layer, page count, scan detection, first-page tables and form values.

This module's single job is reading a PDF within `ExtractionLimits`. PDFium (pypdfium2) gives
the text of every page in 1-2.5 ms a page. Ruled tables become "cell | cell" rows (the
"Label | value" lines field extraction reads) on the first `limits.layout_pages` pages whose
drawing could be a table (cheap pre-check through PDFium's path objects): the ruling lines come
from PDFium's path segments, pdfplumber's `TableFinder` turns them into cells (its lines
strategy and tolerances, so the rows match pdfplumber's), and PDFium reads each cell's text —
a few ms a page instead of pdfminer's 30-300. Pages PDFium's paths cannot describe plainly
(rotated, rulings inside form XObjects) still go through pdfplumber itself. Fillable application
forms keep their answers in AcroForm fields rather than in the page text, so field values are
read from the document catalogue (pdfminer, through pdfplumber) whenever PDFium reports a form.
"""

from __future__ import annotations

import ctypes
import io
import logging
import zlib
from typing import Any, cast

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import LIT

from parsers.attachments import AttachmentText, ExtractionLimits, FormField
from parsers.attachments.common import (
    Deadline,
    TextBudget,
    clean_text,
    join_cells,
    megabytes,
)
from parsers.attachments.ocr import ocr_pdf
from parsers.attachments.pdf_form import form_field_lines, form_fields
from parsers.attachments.signature import acceptance_from_text, pdf_acceptance
from parsers.forms import merge, read_lines, read_text

log = logging.getLogger(__name__)

SCANNED_CHARS_PER_PAGE = 20
"""Fewer visible characters than this per page on average means a scan (or blank pages)."""
TABLE_MIN_SEGMENTS = 12
"""A ruled table needs at least a few lines: fewer path segments and pdfplumber is skipped."""
TABLE_MAX_PATHS = 2_000
"""More path objects is a drawing or map; pdfplumber would spend seconds on it for nothing."""

MAX_TABLE_EDGES = 5_000
"""More axis-parallel segments than this and the page's rulings are not read as a table."""
_FLAT = 0.5
"""A segment whose ends differ by at most this (points) across its length is a ruling line."""

MAX_FIELD_PAGES = 200
"""AcroForm fields are given page numbers within this many pages."""
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


class _NeedsPdfplumberError(Exception):
    """The page's rulings are not plain page-level paths: leave the table to pdfplumber."""


def _edge(x0: float, top: float, x1: float, bottom: float, orientation: str) -> dict[str, Any]:
    """A ruling line in pdfplumber's edge shape; `top` grows downwards (it is -y)."""
    return {
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "width": x1 - x0,
        "height": bottom - top,
        "orientation": orientation,
        "object_type": "line",
    }


def _path_edges(page: pdfium.PdfPage) -> list[dict[str, Any]]:
    """Horizontal and vertical straight pieces of the page's paths, as pdfplumber sees them.

    pdfminer turns rectangles into four edges and lines into one; walking PDFium's segments
    (move, line, close) with each path's matrix gives the same pieces. Curves add none.
    """
    edges: list[dict[str, Any]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,)):
        if obj.level > 0:
            raise _NeedsPdfplumberError("path inside a form XObject")
        a, b, c, d, e, f = obj.get_matrix().get()
        raw = obj.raw
        start: tuple[float, float] | None = None
        current: tuple[float, float] | None = None
        for index in range(max(pdfium_c.FPDFPath_CountSegments(raw), 0)):
            segment = pdfium_c.FPDFPath_GetPathSegment(raw, index)
            if not pdfium_c.FPDFPathSegment_GetPoint(segment, x, y):
                raise _NeedsPdfplumberError("unreadable path segment")
            point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
            kind = pdfium_c.FPDFPathSegment_GetType(segment)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = current = point
                continue
            pieces = []
            if kind == pdfium_c.FPDF_SEGMENT_LINETO and current is not None:
                pieces.append((current, point))
            if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
                pieces.append((point, start))
            for (x0, y0), (x1, y1) in pieces:
                if abs(x0 - x1) <= _FLAT and y0 != y1:
                    edges.append(_edge(x0, -max(y0, y1), x0, -min(y0, y1), "v"))
                elif abs(y0 - y1) <= _FLAT and x0 != x1:
                    edges.append(_edge(min(x0, x1), -y0, max(x0, x1), -y0, "h"))
            current = point
            if len(edges) > MAX_TABLE_EDGES:
                return []
    return edges


class _RulingsPage:
    """What pdfplumber's `TableFinder` reads from a page with the lines strategy."""

    def __init__(self, edges: list[dict[str, Any]], bbox: tuple[float, ...]) -> None:
        self.edges = edges
        self.bbox = bbox
        self.chars: list[dict[str, Any]] = []


def _pdfium_table_lines(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> list[str]:
    """Table rows of a page from PDFium's rulings and text; pdfplumber only finds the cells."""
    from pdfplumber.table import TableFinder

    if page.get_rotation():
        raise _NeedsPdfplumberError("rotated page")
    edges = _path_edges(page)
    if not edges:
        return []
    left, bottom, right, top = page.get_bbox()
    rulings = _RulingsPage(edges, (left, -top, right, -bottom))
    finder = TableFinder(cast(Any, rulings), {})  # duck-typed: edges and bbox are all it reads
    lines = []
    for table in finder.tables:
        for row in table.rows:
            cells: list[str | None] = []
            for cell in row.cells:
                if cell is None:
                    cells.append(None)
                    continue
                x0, cell_top, x1, cell_bottom = cell
                text = textpage.get_text_bounded(
                    left=x0, bottom=-cell_bottom, right=x1, top=-cell_top
                )
                cells.append(" ".join(clean_text(str(text)).split()))
            line = _row_line(cells)
            if line:
                lines.append(line)
    return lines


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


def _row_line(cells: list[str | None]) -> str:
    """A table row as a text line; a row whose answer cell is empty keeps a trailing " |"
    ("Begrunnelse for særlig identifiserende variabler |"), so the form reader sees a
    question left unanswered, not a line of prose. A cell spanned by its neighbour (None)
    is no answer cell."""
    line = join_cells([cell or "" for cell in cells])
    filled = [index for index, cell in enumerate(cells) if cell]
    if filled and any(cell == "" for cell in cells[filled[-1] + 1 :]):
        line += " |"
    return line


def _table_lines(page: Any) -> list[str]:
    lines = []
    for table in page.find_tables():
        for row in table.extract():
            line = _row_line([None if cell is None else " ".join(cell.split()) for cell in row])
            if line:
                lines.append(line)
    return lines


def _layout_pass(
    payload: bytes, table_pages: list[int], want_form: bool, deadline: Deadline
) -> tuple[dict[int, list[str]], list[str], list[FormField]]:
    """pdfplumber: table rows for `table_pages` (0-based), AcroForm values and fields.

    Failures here only cost the extras: the PDFium text is already safe, so they are logged.
    """
    import pdfplumber

    tables: dict[int, list[str]] = {}
    fields: list[str] = []
    acroform: list[FormField] = []
    try:
        # Only the wanted pages become pdfplumber Page objects; [1] when only the form is read.
        pages = [index + 1 for index in table_pages] or [1]
        with pdfplumber.open(io.BytesIO(payload), pages=pages) as pdf:
            if want_form:
                fields = form_field_lines(pdf.doc)
                acroform = form_fields(pdf.doc, MAX_FIELD_PAGES)
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
    return tables, fields, acroform


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
    tables: dict[int, list[str]] = {}
    table_pages: list[int] = []  # pages left to pdfplumber
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
            textpage = page.get_textpage()
            try:
                text = clean_text(str(textpage.get_text_bounded())).strip()
                if index < limits.layout_pages and _is_table_candidate(page):
                    try:
                        lines = _pdfium_table_lines(page, textpage)
                    except Exception as exc:  # _NeedsPdfplumberError, or a surprise
                        log.debug("PDFium table pass left page %d to pdfplumber: %r", index, exc)
                        table_pages.append(index)
                    else:
                        if lines:
                            tables[index] = lines
            finally:
                textpage.close()
                page.close()
            page_texts.append(text)
            chars += len(text)
    finally:
        document.close()

    fields: list[str] = []
    acroform: list[FormField] = []
    if (table_pages or has_form) and not deadline.expired():
        plumbed, fields, acroform = _layout_pass(payload, table_pages, has_form, deadline)
        tables.update(plumbed)

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
    text, ocr_text, ocr_cut, ink = budget.text(), "", False, None
    if scanned and limits.defer_ocr and limits.ocr_pages > 0:
        return AttachmentText(filename, content_type, "pdf", "", ocr_deferred=True)
    if scanned and not deadline.expired():
        ocr_text, ocr_cut, ink = ocr_pdf(payload, limits, deadline)
        text = "\n".join(t for t in (text, ocr_text[: limits.max_chars]) if t)
    acceptance = None  # a returned offer's "Sted og dato / Underskrift" block (signature.py)
    if ocr_text:
        acceptance = acceptance_from_text(ocr_text, ocr=True, ink=ink)
    elif not scanned and not deadline.expired():
        acceptance = pdf_acceptance(payload, page_texts, has_form=has_form, form_lines=fields)
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
        acceptance=acceptance,
        form_fields=merge(  # the form's answers (parsers/forms.py), each with its page
            acroform,
            # In a fillable form the answers are its fields: a printed line under a question
            # is a box's caption ("Yes, such variables are requested"), never its answer.
            *(
                read_text(page_text, index + 1, answer_lines=not acroform)
                for index, page_text in enumerate(page_texts)
            ),
            *(read_lines(rows, index + 1) for index, rows in sorted(tables.items())),
        ),
    )
