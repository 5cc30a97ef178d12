"""The acceptance block of a returned offer: is it dated and signed, or left blank?

An offer that comes back unsigned must not count as signed. This module reads the block
("Aksept av tilbud", "Sted og dato", "Underskrift", "Navn", English and nynorsk too) into an
`Acceptance`. The core, `read_acceptance`, is a pure function of the block's text lines plus
what an extractor saw beside them: a signature image, an ink annotation or a pen stroke in
the block (PDF), a picture in the block's paragraph (DOCX), a filled or empty PDF signature
field. The PDF and DOCX helpers below only gather those marks; they never raise.
"""

from __future__ import annotations

import ctypes
import io
import itertools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from parsers.attachments import Acceptance, BlockInk

log = logging.getLogger(__name__)

# -------------------------------------------------------------------------- words of the block

_ACCEPT_WORDS = (
    r"aksept\w*|vi\s+aksepterer|eg\s+aksepterer|vi\s+godtek\w*|vi\s+godtar|"
    r"acceptance|we\s+(?:hereby\s+)?accept|i\s+(?:hereby\s+)?accept"
)
_SIGN_LABELS = (
    r"(?:sted|stad)\s*(?:og|/|&)\s*dato|place\s*(?:and|/|&)\s*date|underskrift\w*|"
    r"signatur(?:en)?|signature|navn\s+med\s+blokkbokstaver|namn\s+med\s+blokkbokstavar|"
    r"name\s+in\s+block\s+letters"
)
_STRONG = re.compile(
    rf"^[\W\d]{{0,4}}(?:(?P<accept>{_ACCEPT_WORDS})|(?P<label>{_SIGN_LABELS}))\b", re.I
)
_NAME_AND_ROLE = r"(?:navn|namn|name)\s*(?:og|and|/|&|,)\s*(?:stilling|tittel|title|position|role)"
_SIGNED_TOKEN = re.compile(
    r"[\[(]\s*(?:sign(?:ert|ed|atur|ature)?\.?|underskrevet|underskrive|signed\s+electronically)"
    r"\s*[\])]|(?<!\w)/s/(?!\w)",
    re.I,
)
"""How a typed copy says a signature is there: "(sign.)", "[signatur]", "(signert)", "/s/"."""
_LABEL = re.compile(
    rf"(?P<label>{_SIGN_LABELS}|{_NAME_AND_ROLE}|dato|date|navn|namn|name|stilling|tittel|title|position)\b"
    r"\s*(?:\([^)]{0,60}\))?\s*[:.]?",
    re.I,
)
_NAME_LABEL = re.compile(r"navn|namn|name|underskrift|signatur|signature", re.I)
_NOT_THE_SIGNERS_DATE = re.compile(r"^\W*(?:vår|var|deres|dykkar|our|your)\s+dat", re.I)
_MAX_LABEL_LINE = 90
"""A label line is short; a long line starting with "Signatur…" is prose that wrapped."""
_BLOCK_BEFORE = 12
_BLOCK_AFTER = 7

_MONTHS = (
    r"jan(?:uar|uary)?|feb(?:ruar|ruary)?|mar(?:s|ch)?|apr(?:il)?|mai|may|jun[ie]?|jul[iy]?|"
    r"aug(?:ust)?|sep(?:t|tember)?|okt(?:ober)?|oct(?:ober)?|nov(?:ember)?|des(?:ember)?|dec(?:ember)?"
)
_DATE = re.compile(
    r"\b(?:\d{1,2}\s*[./-]\s*\d{1,2}\s*[./-]\s*(?:19|20)?\d{2}"
    r"|(?:19|20)\d{2}\s*-\s*\d{1,2}\s*-\s*\d{1,2}"
    rf"|\d{{1,2}}\.?\s+(?:{_MONTHS})\.?\s+(?:19|20)\d{{2}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}})\b",
    re.I,
)
_BLANK = re.compile(r"^[\s_.…\-–—:/|]*$")
_NAME_WORD = (
    r"(?:[A-ZÆØÅÄÖÜÉ][a-zæøåäöüéèáó'’]+(?:-[A-ZÆØÅ][a-zæøåäöüéèáó'’]+)?|[A-ZÆØÅ]\.|[A-ZÆØÅ]{2,})"
)
_NAME = re.compile(rf"^{_NAME_WORD}(?:\s+(?:{_NAME_WORD}|von|van|de|af|da|di)){{1,3}}$")
_NAME_IN = re.compile(rf"{_NAME_WORD}(?:\s+(?:{_NAME_WORD}|von|van|de|af|da|di)){{1,3}}")
_NOT_NAMES = re.compile(
    r"kommune|fylke|universitet|university|høgskule|høgskole|direktorat|departement|"
    r"institutt|institute|statistisk|statistics|sentralbyrå|norway|norge|noreg|"
    r"bydel|senter|centre|center|tilbud|tilbod|vilkår|mikrodata|microdata|postboks|"
    r"\b(?:ssb|etat|office|offer|side|page|pris|price)\b",
    re.I,
)
"""Words of an organisation, a heading or a footer: such a line is never the signer's name."""
_ESIGN = re.compile(
    r"(?:signert|signed|underskrevet|underskrive)\s+(?:elektronisk|electronically|digitalt|digitally)"
    r"|(?:elektronisk|electronically|digitalt|digitally)\s+(?:signert|signed|underskrevet)"
    r"|(?:signert|signed)\s+(?:\S+\s+){0,6}?(?:med|with|via)\s+(?:bankid|buypass|commfides)"
    r"|docusign\s+envelope|penneo|signicat|assently|scrive\b",
    re.I,
)


def _has_date(text: str) -> str | None:
    match = _DATE.search(text)
    return match.group(0) if match else None


def _person_name(text: str) -> str | None:
    """The signer's name when `text` is one ("Kari Nordmann, direktør" gives "Kari Nordmann";
    OCR may read the comma as a full stop)."""
    line = re.sub(r"\s+", " ", text).strip(" \t_.:;-–—•*|")
    match = _NAME_IN.match(line)
    if match is None or not re.fullmatch(r"(?:\s*[,.;]\s*\S.*)?", line[match.end() :]):
        return None
    head = match.group(0)
    if len(head) > 60 or _NOT_NAMES.search(head) or not _NAME.match(head):
        return None
    return head


def _name_in(value: str) -> str | None:
    """The first person's name in a labelled value ("Bente Aas p.p. Ketil Nordmo, …")."""
    match = _NAME_IN.search(value.split(",")[0])
    if match is None or _NOT_NAMES.search(match.group(0)):
        return None
    return match.group(0)


def _is_strong(line: str) -> bool:
    match = _STRONG.match(line)
    if not match:
        return False
    return bool(match.group("accept")) or len(line) <= _MAX_LABEL_LINE


def _segments(line: str) -> list[tuple[str, str]]:
    """A line as (label, value) pieces: "Sted og dato: ____ Underskrift: ____" has two; text
    before the first label (or a line without one) has the label ""."""
    matches = [m for m in _LABEL.finditer(line) if _label_starts_word(line, m.start())]
    if not matches:
        return [("", line)]
    pieces = []
    head = line[: matches[0].start()].strip(" \t_.:|")
    if head:
        pieces.append(("", head))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
        pieces.append((match.group("label"), line[match.end() : end].strip()))
    return pieces


def _label_starts_word(line: str, start: int) -> bool:
    return start == 0 or not line[start - 1].isalnum()


def label_spans(line: str) -> list[tuple[int, int, str]]:
    """(start, end, label) of each block label in `line` ("Sted/dato:", "Underskrift"),
    the label's colon and a bracketed hint included; for finding the labels on a page image."""
    return [
        (m.start(), m.end(), m.group("label"))
        for m in _LABEL.finditer(line)
        if _label_starts_word(line, m.start())
    ]


# -------------------------------------------------------------------------- the pure core


@dataclass(frozen=True)
class Mark:
    """Something drawn in or beside the block, seen by an extractor (not by its text)."""

    what: str
    """"signature image", "ink annotation", "pen stroke", "picture"."""
    beside: str = ""
    """The label it sits next to ("Underskrift"), when known."""


def find_block(lines: Sequence[str]) -> tuple[int, int] | None:
    """Start and end (exclusive) of the acceptance block, or None when there is none.

    The block ends a few lines after its last label ("Underskrift", "Signatur"), where the
    signer's name is written, and starts at the first acceptance line or label shortly before.
    """
    strong = [index for index, line in enumerate(lines) if _is_strong(line.strip())]
    if not strong:
        return None
    last = strong[-1]
    first = min(index for index in strong if index >= last - _BLOCK_BEFORE)
    return first, min(len(lines), last + _BLOCK_AFTER)


def read_acceptance(
    lines: Sequence[str],
    *,
    where: str = "",
    ocr: bool = False,
    marks: Sequence[Mark] = (),
    digital: str | None = None,
    empty_field: str | None = None,
    form_lines: Sequence[str] = (),
) -> Acceptance | None:
    """What the acceptance block in `lines` holds; None when the text has no block at all.

    `where` names the file and page for the evidence ("page 2"). `ocr` says the lines are
    OCR of a scan: there a short garbled line in the block is a handwritten signature the
    OCR could not read. `digital` describes a filled signature field, `empty_field` an
    empty one; `marks` are images, ink or strokes an extractor saw in the block;
    `form_lines` are a fillable PDF's "Field: value" lines (typed answers live there).
    """
    lines = [line.strip() for line in lines]
    on = f" on {where}" if where else ""
    esign = _electronic_signature(lines)
    block = find_block(lines)
    found = _Found()
    if block is None:
        if esign is None and digital is None and empty_field is None:
            return None
    else:
        start, end = block
        for line in [*lines[start:end], *(line for line in form_lines if _LABEL.match(line))]:
            _read_line(line, found, ocr=ocr)
    signature: str | None = None
    said: list[str] = []
    if digital is not None or esign is not None:
        signature = "digital"
        said.append((digital or "electronic signature") + on)
        if esign is not None:
            said.append(f"'{esign[0]}'")
    elif marks:
        signature = "drawn"
        beside = f" beside '{marks[0].beside}'" if marks[0].beside else " in the acceptance block"
        said.append(f"{marks[0].what}{on}{beside}")
    elif found.garbled is not None and ocr:
        signature = "drawn"
        said.append(f"handwriting the OCR cannot read{on} beside '{found.garbled}'")
    elif found.name is not None:
        at = f" at '{found.name[1]}'" if found.name[1] else ""
        said.append(f"name '{found.name[0]}' written{on}{at}")
        arguable = (
            not ocr
            and empty_field is None  # an empty signature field: plainly not signed
            and found.date is not None  # undated: not "dated and signed" in any reading
            and _signature_line_left_blank(found)
        )
        signature = "name_only" if arguable else "written"
        if arguable:
            said.append("the signature line is empty")
    elif found.token is not None:
        signature = "written"
        at = f" at '{found.token[1]}'" if found.token[1] else ""
        said.append(f"signature marked '{found.token[0]}'{on}{at}")
    date = found.date or (esign[2] if esign else None)
    # A filled signature field carries its signing time, whether or not a date is typed.
    dated = date is not None or digital is not None
    if date:
        said.append(f"dated {date}")
    if signature is None:
        said.insert(0, f"acceptance block{on} not signed")
        if empty_field is not None:
            said.append(empty_field)
    blank = list(dict.fromkeys(label for label in found.blank if label))
    if blank and (signature is None or not dated):
        said.append("left blank: " + ", ".join(f"'{label}'" for label in blank))
    elif not dated:
        said.append("no date")
    return Acceptance(
        True, signature, dated, empty_field is not None and digital is None, ", ".join(said)
    )


_SIGNATURE_LABEL = re.compile(r"underskrift|signatur|signature", re.I)


def _signature_line_left_blank(found: _Found) -> bool:
    """The block has a line of its own for the signature, left empty, and the name stands
    at another label ("Navn med blokkbokstaver"): typed, not signed — or signed on paper
    the bot never saw. Readers of such offers disagree, so a person judges it."""
    name_label = found.name[1] if found.name else ""
    return not _SIGNATURE_LABEL.search(name_label) and any(
        _SIGNATURE_LABEL.search(label) for label in found.blank
    )


class _Found:
    """What the block's lines hold, gathered line by line."""

    def __init__(self) -> None:
        self.date: str | None = None
        self.name: tuple[str, str] | None = None
        self.garbled: str | None = None
        self.token: tuple[str, str] | None = None
        self.blank: list[str] = []
        self.last_label = ""


def _read_line(line: str, found: _Found, *, ocr: bool) -> None:
    if not line or _NOT_THE_SIGNERS_DATE.match(line):
        return
    token = _SIGNED_TOKEN.search(line)
    if token:
        labelled = _LABEL.match(line)
        if found.token is None:
            found.token = (
                token.group(0),
                labelled.group("label") if labelled else found.last_label,
            )
        line = _SIGNED_TOKEN.sub(" ", line).strip()
        if not line:
            return
    strong = _STRONG.match(line)
    if strong and strong.group("accept"):
        # "Vi aksepterer tilbudet …" is the block's heading, not a value; a date on it counts.
        found.date = found.date or _has_date(line)
        return
    for label, value in _segments(line):
        if label:
            found.last_label = label
        if _BLANK.match(value):
            if label:
                found.blank.append(label)
            continue
        date = _has_date(value)
        if date and found.date is None:
            found.date = date
        name_part = _DATE.sub("", value) if date else value
        name = _person_name(name_part) if not label else _name_in(name_part)
        if name and found.name is None and (not label or _NAME_LABEL.search(label)):
            found.name = (name, label or found.last_label)
            continue
        if ocr and not date and not name and found.garbled is None and _garbled(value):
            found.garbled = label or found.last_label or "Underskrift"


def _garbled(value: str) -> bool:
    """A short run of OCR noise where a pen signature was: few letters, or no real word."""
    text = value.strip()
    if not 2 <= len(text) <= 30:
        return False
    letters = sum(char.isalpha() for char in text)
    if letters < 0.6 * len(text.replace(" ", "")):
        return True
    words = re.findall(r"[a-zæøå]{4,}", text)
    return not words


def _electronic_signature(lines: Sequence[str]) -> tuple[str, bool, str | None] | None:
    """An e-signature's stamp text ("Signert elektronisk … med BankID"), whether it is
    dated (on that line or the next two), and the date."""
    for index, line in enumerate(lines):
        if _ESIGN.search(line):
            near = " ".join(lines[index : index + 3])
            date = _has_date(near)
            return line[:120], date is not None, date
    return None


def acceptance_from_text(
    text: str, *, where: str = "", ocr: bool = False, ink: BlockInk | None = None
) -> Acceptance | None:
    """`read_acceptance` over a plain text (an OCR'd scan, a text PDF without layout); `ink`
    is what the scan's page image shows beside the block's labels (`ink.py`), kept with it."""
    found = read_acceptance(text.splitlines(), where=where, ocr=ocr)
    if found is None or ink is None or not found.found:
        return found
    return replace(found, ink=ink)


# -------------------------------------------------------------------------- PDF

_BAND_LABELS = (
    "underskrift",
    "signatur",
    "signature",
    "sted og dato",
    "stad og dato",
    "place and date",
)
_SIGNATURE_WORD = re.compile(r"underskrift|signatur", re.I)
_BAND_CLUSTER = 200.0
"""Labels more than this (points) above the lowest one belong to other text on the page."""
_MAX_MARK_HEIGHT = 250.0
"""Taller images are letterheads or page backgrounds, not a signature."""
_BAND_ABOVE = 70.0
"""Points above the highest label still in the block (a signature drawn over its line)."""
_BAND_BELOW = 45.0
_MIN_STROKE_SEGMENTS = 6
_MAX_PAGE_OBJECTS = 3_000
_MAX_SIG_FIELDS = 200


def pdf_acceptance(
    payload: bytes,
    page_texts: Sequence[str],
    *,
    has_form: bool,
    form_lines: Sequence[str] = (),
    max_pages: int = 60,
) -> Acceptance | None:
    """The acceptance block of a text PDF: its page's text, plus images, ink annotations or
    pen strokes beside its labels, and AcroForm signature fields. Never raises."""
    try:
        return _pdf_acceptance(payload, page_texts, has_form, form_lines, max_pages)
    except Exception as exc:  # a damaged page costs only the marks; the text is safe
        log.debug("acceptance marks unreadable: %r", exc)
        return _text_only(page_texts)


def _text_only(page_texts: Sequence[str]) -> Acceptance | None:
    for index in reversed(range(len(page_texts))):
        found = read_acceptance(page_texts[index].splitlines(), where=f"page {index + 1}")
        if found is not None:
            return found
    return None


def _pdf_acceptance(
    payload: bytes,
    page_texts: Sequence[str],
    has_form: bool,
    form_lines: Sequence[str],
    max_pages: int,
) -> Acceptance | None:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    digital: str | None = None
    empty_field: str | None = None
    page_index = next(
        (
            index
            for index in reversed(range(min(len(page_texts), max_pages)))
            if find_block(page_texts[index].splitlines()) is not None
        ),
        None,
    )
    if page_index is None and not has_form:
        return read_acceptance([line for text in page_texts for line in text.splitlines()])
    document = pdfium.PdfDocument(payload, password=None)
    try:
        if has_form and (b"/Sig" in payload or b"/ObjStm" in payload):
            filled, empty = signature_fields(payload)
            if filled:
                name, _page, when = filled[0]
                digital = f"digital signature in field '{name}'" + (
                    f", signed {when}" if when else ""
                )
            elif empty:
                empty_field = f"signature field '{empty[0][0]}' left empty"
        marks: list[Mark] = []
        if page_index is not None:
            page = document[page_index]
            try:
                marks = _page_marks(page, pdfium_c)
            finally:
                page.close()
    finally:
        document.close()
    if page_index is None:
        lines = [line for text in page_texts for line in text.splitlines()]
        return read_acceptance([*lines, *form_lines], digital=digital, empty_field=empty_field)
    return read_acceptance(
        page_texts[page_index].splitlines(),
        where=f"page {page_index + 1}",
        marks=marks,
        digital=digital,
        empty_field=empty_field,
        form_lines=form_lines,
    )


def _page_marks(page: Any, pdfium_c: Any) -> list[Mark]:
    """Images, ink or stamp annotations and pen strokes level with the block's labels."""
    textpage = page.get_textpage()
    try:
        labels = list(_label_boxes(textpage))
    finally:
        textpage.close()
    if not labels:
        return []
    lowest = min(bottom for _name, bottom, _top in labels)
    labels = [label for label in labels if label[1] <= lowest + _BAND_CLUSTER]
    low = lowest - _BAND_BELOW
    high = max(top for _name, _bottom, top in labels) + _BAND_ABOVE

    def beside(bottom: float, top: float) -> str:
        """The signature label nearest the mark ("Underskrift" rather than "Sted og dato")."""
        middle = (bottom + top) / 2
        signs = [label for label in labels if _SIGNATURE_WORD.match(label[0])]
        near = [label for label in signs if abs((label[1] + label[2]) / 2 - middle) < 60]
        return min(near or labels, key=lambda label: abs((label[1] + label[2]) / 2 - middle))[0]

    marks: list[Mark] = []
    kinds = (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_PATH)
    for count, obj in enumerate(page.get_objects(filter=kinds)):
        if count >= _MAX_PAGE_OBJECTS or len(marks) >= 10:
            break  # a map or a drawing, not a letter: what was seen so far is enough
        left, bottom, right, top = obj.get_bounds()
        if top < low or bottom > high:
            continue
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            if right - left >= 20 and 8 <= top - bottom <= _MAX_MARK_HEIGHT:
                marks.append(Mark("signature image", beside(bottom, top)))
        elif _is_stroke(obj, pdfium_c) and right - left >= 15 and top - bottom >= 4:
            marks.append(Mark("pen stroke", beside(bottom, top)))
    for index in range(max(pdfium_c.FPDFPage_GetAnnotCount(page.raw), 0)):
        annot = pdfium_c.FPDFPage_GetAnnot(page.raw, index)
        try:
            subtype = pdfium_c.FPDFAnnot_GetSubtype(annot)
            if subtype not in (pdfium_c.FPDF_ANNOT_INK, pdfium_c.FPDF_ANNOT_STAMP):
                continue
            rect = pdfium_c.FS_RECTF()
            if not pdfium_c.FPDFAnnot_GetRect(annot, rect):
                continue
            bottom, top = min(rect.bottom, rect.top), max(rect.bottom, rect.top)
            if top >= low and bottom <= high:
                what = "ink annotation" if subtype == pdfium_c.FPDF_ANNOT_INK else "stamp"
                marks.append(Mark(what, beside(bottom, top)))
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return marks


def _label_boxes(textpage: Any) -> Iterable[tuple[str, float, float]]:
    """(label as printed, bottom, top) of each block label on the page."""
    for word in _BAND_LABELS:
        searcher = textpage.search(word, match_case=False, match_whole_word=False)
        for _ in range(20):
            hit = searcher.get_next()
            if hit is None:
                break
            index, count = hit
            first = textpage.get_charbox(index)
            last = textpage.get_charbox(index + count - 1)
            printed = textpage.get_text_range(index, count)
            yield str(printed), min(first[1], last[1]), max(first[3], last[3])


def _is_stroke(obj: Any, pdfium_c: Any) -> bool:
    """A path of many pieces running in many directions: handwriting, not a ruling line."""
    raw = obj.raw
    count = max(pdfium_c.FPDFPath_CountSegments(raw), 0)
    if count < _MIN_STROKE_SEGMENTS:
        return False
    x, y = ctypes.c_float(), ctypes.c_float()
    points = []
    for index in range(min(count, 400)):
        segment = pdfium_c.FPDFPath_GetPathSegment(raw, index)
        if pdfium_c.FPDFPathSegment_GetPoint(segment, x, y):
            points.append((x.value, y.value))
    slanted = sum(
        1
        for (x0, y0), (x1, y1) in itertools.pairwise(points)
        if abs(x1 - x0) > 0.3 and abs(y1 - y0) > 0.3
    )
    return slanted >= _MIN_STROKE_SEGMENTS // 2


def signature_fields(
    payload: bytes,
) -> tuple[list[tuple[str, int | None, str]], list[tuple[str, int | None, str]]]:
    """AcroForm signature fields (`/FT /Sig`): (name, page, signing time) of the filled ones
    (with a `/V` signature dictionary) and of the empty ones. Bounded; raises on a broken file."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1

    from parsers.attachments.pdf_form import as_text, terminal_fields

    document = PDFDocument(PDFParser(io.BytesIO(payload)))
    filled: list[tuple[str, int | None, str]] = []
    empty: list[tuple[str, int | None, str]] = []
    for field, name, _widgets in terminal_fields(document):
        if as_text(field.get("FT")) != "Sig":
            continue
        value = resolve1(field.get("V"))
        when = as_text(value.get("M")) if isinstance(value, dict) else ""
        entry = (name or "signature", None, _pdf_date(when))
        (filled if isinstance(value, dict) else empty).append(entry)
        if len(filled) + len(empty) >= _MAX_SIG_FIELDS:
            break
    return filled, empty


def _pdf_date(value: str) -> str:
    """ "D:20250312101500+01'00'" as "2025-03-12"; "" when it is not a PDF date."""
    match = re.match(r"D?:?(\d{4})(\d{2})(\d{2})", value.strip())
    return f"{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else ""


# -------------------------------------------------------------------------- DOCX

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PICTURES = (
    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}drawing",
    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}pict",
    "{urn:schemas-microsoft-com:vml}imagedata",
)


_BREAKS = (f"{_W}br", f"{_W}cr")


def docx_acceptance(body: Any) -> Acceptance | None:
    """The acceptance block of a Word document's body (an lxml element): paragraph and cell
    texts, and a picture (a scanned or drawn signature) in the block's paragraphs. Never raises."""
    try:
        lines: list[str] = []
        pictures: list[int] = []
        for paragraph in body.iter(f"{_W}p"):
            if len(lines) >= 20_000:
                break
            # A line break inside a paragraph ("…decision.<br/>Date: 2025-04-22<br/>Name: …")
            # starts a line of its own, as Word shows it.
            text = "".join(
                (node.text or "") if node.tag == f"{_W}t" else "\n" if node.tag in _BREAKS else " "
                for node in paragraph.iter(f"{_W}t", *_BREAKS, f"{_W}tab")
            )
            if any(True for tag in _PICTURES for _ in paragraph.iter(tag)):
                pictures.append(len(lines))
            lines.extend(" ".join(part.split()) for part in text.split("\n")[: 20_000 - len(lines)])
        block = find_block(lines)
        marks = []
        if block is not None:
            start, end = block
            for index in pictures:
                if start - 2 <= index < end:
                    marks.append(Mark("signature image", _nearest_label(lines, index)))
        return read_acceptance(lines, marks=marks)
    except Exception as exc:  # never cost the document's text
        log.debug("DOCX acceptance block unreadable: %r", exc)
        return None


def _nearest_label(lines: Sequence[str], index: int) -> str:
    """The block label printed next to a picture: the line under it, above it, or two under."""
    for near in (index, index + 1, index - 1, index + 2):
        if 0 <= near < len(lines) and _LABEL.match(lines[near]):
            return lines[near].rstrip(" :_.")[:40]
    return ""
