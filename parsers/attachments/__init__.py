"""Attachment text extraction: one attachment's bytes in, an `AttachmentText` out.

Every extractor is bounded by `ExtractionLimits` and never raises on bad input:
a broken, encrypted or oversized file becomes an `AttachmentText` whose `error`
says what went wrong, so the mail it came with still gets a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Format = Literal["pdf", "docx", "xlsx", "text", "image", "other"]


@dataclass(frozen=True)
class ExtractionLimits:
    """Upper bounds for one attachment; the bot builds these from its settings."""

    max_bytes: int = 30_000_000
    max_pages: int = 60
    max_chars: int = 200_000
    max_cells: int = 200_000
    max_seconds: float = 10.0
    """CPU seconds one attachment may cost (`common.Deadline`): the same on a loaded server."""
    layout_pages: int = 2
    """PDF pages (from the start) that also go through pdfplumber for tables/form layout."""
    ocr_pages: int = 3
    """Pages of a scan (PDF without text, or an image) read by OCR; 0 turns OCR off."""
    ocr_languages: str = "nor+eng"
    ocr_dpi: int = 200
    isolate: bool = False
    """Run extraction in a killable worker process (`isolation.py`); the bot turns this on."""
    max_memory_mb: int = 1024
    """Address-space limit of an isolated worker: a bomb that needs more kills only it."""
    kill_after_seconds: float = 30.0
    """Wall-clock limit of an isolated extraction; `max_seconds` is the polite one inside."""
    logo_max_bytes: int = 20_000
    logo_max_pixels: int = 250_000
    """An inline image the HTML shows by `cid:` at or under either size is a signature logo:
    not read by OCR (`logos.py`). A readable page is megapixels and 100 KB and more."""
    ocr_workers: int = 1
    """Isolated OCR runs (scanned PDFs, images) at once per process; more wait their turn."""
    ocr_niceness: int = 5
    """`os.nice` increment of the isolated OCR workers: triage of the next mail goes first."""
    ocr_parallel_pages: int = 2
    """Pages of one scan read at once (Tesseract processes); 1 reads them one by one."""
    defer_ocr: bool = False
    """Set by the extraction pool for its plain workers: a scan comes back `ocr_deferred`
    and is read again in an OCR worker."""


FieldOrigin = Literal["acroform", "content_control", "table", "line", "checkbox"]


@dataclass(frozen=True)
class FormField:
    """One question of a form and the applicant's answer, as the file holds it.

    Forms are read as answers, not as prose: the words of a question's label ("grunnkrets,
    postnummer, fødselsdato …") are never a request; only its answer says yes or no.
    """

    label: str
    value: str
    """The answer as written; "" for an empty field. Checkboxes: the box's own label."""
    checked: bool | None = None
    """For a checkbox or radio choice: ticked or not; None for a text answer."""
    origin: FieldOrigin = "line"
    page: int | None = None
    """1-based page (PDF) where the field sits, when known."""


InkRole = Literal["date", "signature", "name", "other"]


@dataclass(frozen=True)
class LabelInk:
    """Pen beside one label of a scanned acceptance block, measured on the page image."""

    label: str
    """The label as OCR read it ("Sted/dato", "Underskrift")."""
    role: InkRole
    """What is written there: the place and date, the signature, the name, anything else."""
    ink: bool
    """Something was written or drawn where the answer goes (right of it, or under it)."""


@dataclass(frozen=True)
class BlockInk:
    """What a scan's page image shows in the acceptance block beyond its printed words and
    lines (`parsers/attachments/ink.py`): OCR misses handwriting, the pixels do not."""

    labels: tuple[LabelInk, ...]
    anywhere: bool
    """Ink anywhere in the block (beside, above or under any label), not only where expected."""
    page: int | None = None
    """1-based page of a PDF the block is on; None for an image."""

    def inked(self, role: InkRole) -> bool | None:
        """Ink beside any label of `role`; None when the block has no such label."""
        found = [label.ink for label in self.labels if label.role == role]
        return any(found) if found else None

    def named(self, role: InkRole) -> list[str]:
        return list(dict.fromkeys(label.label for label in self.labels if label.role == role))


@dataclass(frozen=True)
class Acceptance:
    """The acceptance block of a returned offer ("Aksept", "Sted/dato", "Underskrift"),
    as read from the file: what is filled in, and how it was signed."""

    found: bool
    """The file has an acceptance block at all."""
    signature: str | None = None
    """How it is signed: `digital` (a filled signature field), `drawn` (an image or ink
    annotation in the block), `written` (the signer's name written in), `name_only` (a
    name typed at "Navn med blokkbokstaver" while the block's own signature line is empty:
    signed or not is for a person to judge), None: unsigned."""
    dated: bool = False
    empty_signature_field: bool = False
    """A PDF signature field without a value."""
    evidence: str = ""
    """Where it was seen, in words for the caseworker (page, field or line)."""
    ink: BlockInk | None = None
    """For a scan: the pen seen beside the block's labels on the page image; None when it
    was not measured (no scan, no word boxes, labels not found on the image)."""


@dataclass(frozen=True)
class AttachmentText:
    """What the classifier and the requirement checks may know about one attachment."""

    filename: str
    content_type: str
    format: Format
    text: str
    pages: int | None = None
    truncated: bool = False
    """True when a limit cut the text short (the text that was read is kept)."""
    scanned: bool = False
    """A PDF (or image) with pages but no text layer: a scan a person must read."""
    ocr: bool = False
    """The text was read by OCR from a scan: good enough to find a reference, not to quote."""
    selected_rows: tuple[str, ...] = ()
    """Spreadsheet rows the applicant ticked (variable lists); empty when none are marked."""
    error: str | None = None
    form_fields: tuple[FormField, ...] = ()
    """The file's questions and answers (AcroForm fields, table rows, "Label: value" lines,
    checkboxes, DOCX content controls), in document order; empty when it has none."""
    acceptance: Acceptance | None = None
    """An offer's acceptance block, when the file has one (see `Acceptance`)."""
    national_ids: tuple[tuple[str, int], ...] = ()
    """(file name, distinct national ID numbers) when the file holds any; the text,
    answers and rows above are already masked."""
    members: tuple[AttachmentText, ...] = ()
    """For a zip archive: the files inside it, each read like an attachment of its own."""
    logo: bool = False
    """A signature logo (an inline image the HTML shows, small): not read by OCR."""
    ocr_deferred: bool = False
    """A scan left for an OCR worker (`ExtractionLimits.defer_ocr`); never seen by triage."""

    @property
    def needs_ocr_worker(self) -> bool:
        return self.ocr_deferred or any(m.ocr_deferred for m in self.members)

    @property
    def text_chars(self) -> int:
        return len(self.text)


def extract_attachment(
    filename: str,
    content_type: str,
    payload: bytes,
    limits: ExtractionLimits,
    *,
    shown_inline: bool = False,
) -> AttachmentText:
    """Sniff the real format, enforce `max_bytes`, extract; never raises.

    Any exception (ours or a library's) becomes `error`, so one hostile attachment cannot
    stop the triage of the mail it came with. `shown_inline`: an inline part the HTML body
    shows by `cid:` (a small one is a signature logo, not read by OCR).
    """
    try:
        from parsers.attachments.dispatch import extract

        return extract(filename, content_type, payload, limits, shown_inline=shown_inline)
    except Exception as exc:  # the last line of defence; dispatch already catches per format
        from parsers.attachments.common import describe_error

        return AttachmentText(
            filename, content_type, "other", "", error=f"extraction failed: {describe_error(exc)}"
        )
