"""Choosing the extractor for one attachment: sniff the bytes, check the size, call, contain.

This module's single job is the routing behind `extract_attachment`. Mail clients mislabel
attachments (`application/octet-stream`, a `.pdf` that is an HTML error page, an old `.doc`
renamed `.docx`), so the bytes decide first: PDF, OOXML zip, image and OLE2 magic numbers,
then text that decodes; the file name's extension and the declared content type are only the
fallback. Every extractor runs under a blanket `except` (and with library warnings
silenced, since pytest and the bot may turn warnings into errors), so nothing escapes.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile

from parsers.attachments import AttachmentText, ExtractionLimits, Format
from parsers.attachments.common import Deadline, describe_error, megabytes

_PDF_MAGIC = re.compile(rb"%PDF-\d")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE2_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_HEIF_BRANDS = (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypheif", b"ftypavif")
_LABEL = {"pdf": "PDF", "docx": "DOCX", "xlsx": "XLSX", "text": "text", "image": "image"}

_TEXT_EXTENSIONS = (
    ".txt .text .md .mdscript .csv .tsv .html .htm .xhtml .json .xml .log .sas .sps .do .r .py"
    " .sql .yaml .yml .ini"
)
_IMAGE_EXTENSIONS = ".png .jpg .jpeg .jfif .gif .tif .tiff .bmp .webp .heic .heif"
_EXTENSIONS: dict[str, Format] = {
    ".pdf": "pdf",
    **dict.fromkeys((".docx", ".docm", ".dotx", ".dotm"), "docx"),
    **dict.fromkeys((".xlsx", ".xlsm", ".xltx", ".xltm"), "xlsx"),
    **dict.fromkeys(_TEXT_EXTENSIONS.split(" "), "text"),
    **dict.fromkeys(_IMAGE_EXTENSIONS.split(" "), "image"),
}
_CONTENT_TYPES: dict[str, Format] = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-word.document.macroenabled.12": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": "xlsx",
    "application/json": "text",
    "application/xhtml+xml": "text",
}


def declared_format(filename: str, content_type: str) -> Format:
    """What the sender says it is: the extension first, then the content type."""
    name = filename.lower().strip()
    dot = name.rfind(".")
    if dot >= 0 and name[dot:] in _EXTENSIONS:
        return _EXTENSIONS[name[dot:]]
    mime = content_type.lower().split(";")[0].strip()
    if mime in _CONTENT_TYPES:
        return _CONTENT_TYPES[mime]
    if mime.startswith("text/"):
        return "text"
    if mime.startswith("image/"):
        return "image"
    return "other"


def _zip_names(payload: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            return {name.lower() for name in archive.namelist()}
    except Exception:  # not a readable zip: the declared format decides
        return set()


def _is_image(payload: bytes) -> bool:
    head = payload[:16]
    if head.startswith(_IMAGE_MAGIC) or head[4:12] in _HEIF_BRANDS:
        return True
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return True
    return head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00"


def sniff_format(payload: bytes, declared: Format) -> Format:
    """The format the bytes prove; a binary declared format wins over "looks like text"."""
    from parsers.attachments.text import looks_like_text

    if _PDF_MAGIC.search(payload[:1024]):
        return "pdf"
    if payload.startswith(_ZIP_MAGIC):
        names = _zip_names(payload)
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return declared if declared in ("docx", "xlsx") else "other"
    if _is_image(payload):
        return "image"
    if payload.startswith(_OLE2_MAGIC):
        return declared if declared in ("docx", "xlsx") else "other"
    if declared in ("pdf", "docx", "xlsx"):
        return declared  # its extractor explains clearly why the bytes are not that format
    if looks_like_text(payload):
        return "text"
    return "other"


def _ole2_error(payload: bytes) -> str:
    if _OLE2_ENCRYPTED in payload:
        return "encrypted Office file: password-protected (no password)"
    return "unsupported legacy Office 97-2003 file (.doc/.xls): ask for DOCX, XLSX or PDF"


def _run(
    fmt: Format,
    filename: str,
    content_type: str,
    payload: bytes,
    limits: ExtractionLimits,
    shown_inline: bool = False,
) -> AttachmentText:
    # The polite wall-clock bound ends before the isolated worker's hard kill, so an
    # overrun still returns the text read so far.
    deadline = Deadline(limits.max_seconds, wall_seconds=0.8 * limits.kill_after_seconds)
    if fmt == "pdf":
        from parsers.attachments.pdf import extract_pdf

        return extract_pdf(filename, content_type, payload, limits, deadline)
    if fmt == "docx":
        from parsers.attachments.docx import extract_docx

        return extract_docx(filename, content_type, payload, limits, deadline)
    if fmt == "xlsx":
        from parsers.attachments.xlsx import extract_xlsx

        return extract_xlsx(filename, content_type, payload, limits, deadline)
    if fmt == "text":
        from parsers.attachments.text import extract_text

        return extract_text(filename, content_type, payload, limits, deadline)
    if fmt == "image":
        from parsers.attachments.logos import is_signature_logo
        from parsers.attachments.ocr import ocr_image
        from parsers.attachments.signature import acceptance_from_text

        if shown_inline and is_signature_logo(payload, limits):
            return AttachmentText(filename, content_type, "image", "", scanned=True, logo=True)
        if limits.defer_ocr and limits.ocr_pages > 0:
            return AttachmentText(filename, content_type, "image", "", ocr_deferred=True)
        try:
            text, cut, ink = ocr_image(payload, limits, deadline)
        except Exception as exc:  # Pillow: unidentified, truncated or bomb-sized images
            error = f"unreadable image: {describe_error(exc)}"
            return AttachmentText(filename, content_type, "image", "", scanned=True, error=error)
        return AttachmentText(
            filename,
            content_type,
            "image",
            text[: limits.max_chars],
            scanned=True,
            ocr=bool(text),
            truncated=cut,
            acceptance=acceptance_from_text(text, ocr=True, ink=ink) if text else None,
        )
    return AttachmentText(filename, content_type, "other", "")


def extract(
    filename: str,
    content_type: str,
    payload: bytes,
    limits: ExtractionLimits,
    depth: int = 0,
    *,
    shown_inline: bool = False,
) -> AttachmentText:
    """The body of `extract_attachment` (which adds the last-resort guard). `depth` 1: a
    file inside a zip (a zip inside a zip is not opened)."""
    declared = declared_format(filename, content_type)
    if not payload:
        return AttachmentText(filename, content_type, declared, "", error="empty file (0 bytes)")
    fmt = sniff_format(payload, declared)
    if len(payload) > limits.max_bytes:
        error = (
            f"file too large: {megabytes(len(payload))}"
            f" > {megabytes(limits.max_bytes, limit=True)} limit"
        )
        return AttachmentText(filename, content_type, fmt, "", error=error)
    if payload.startswith(_OLE2_MAGIC):
        return AttachmentText(filename, content_type, fmt, "", error=_ole2_error(payload))
    from parsers.attachments.national_ids import set_apart

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if fmt == "other" and payload.startswith(_ZIP_MAGIC) and depth == 0:
                return _read_zip(filename, content_type, payload, limits)
            read = _run(fmt, filename, content_type, payload, limits, shown_inline)
            return read if read.ocr_deferred else set_apart(read, payload)
    except Exception as exc:  # a library failure we did not map: contain it, name it
        error = f"{_LABEL.get(fmt, fmt)} extraction failed: {describe_error(exc)}"
        return AttachmentText(filename, content_type, fmt, "", error=error)


MAX_ZIP_FILES = 50
"""Files read from one zip archive; the rest are named in the error."""


def _read_zip(
    filename: str, content_type: str, payload: bytes, limits: ExtractionLimits
) -> AttachmentText:
    """A plain zip archive: each file inside is read like an attachment of its own (one
    level deep, under the zip-bomb guard; `members`), so documents and personal data sent
    zipped are found too. The archive's own text stays empty: its files speak for it."""
    from parsers.attachments.zipguard import zip_problem

    problem = zip_problem(payload, limits, "zip archive")
    if problem:
        return AttachmentText(filename, content_type, "other", "", error=problem)
    members: list[AttachmentText] = []
    skipped: list[str] = []
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        files = [m for m in archive.infolist() if not m.is_dir()]
        for number, member in enumerate(files, start=1):
            name = _member_name(member, number)
            if number > MAX_ZIP_FILES or member.file_size > limits.max_bytes:
                skipped.append(name)
                continue
            if member.flag_bits & 0x1:
                skipped.append(f"{name} (encrypted)")
                continue
            data = archive.read(member)
            members.append(extract(name, "application/octet-stream", data, limits, depth=1))
    from parsers.national_id import mask_national_ids

    error = (
        mask_national_ids(f"zip archive: not read: {', '.join(skipped[:5])}") if skipped else None
    )
    return AttachmentText(filename, content_type, "other", "", error=error, members=tuple(members))


def _member_name(member: zipfile.ZipInfo, number: int) -> str:
    """The file's own name (no folders). Zips without the UTF-8 flag were decoded as CP437
    by `zipfile`; most such names are really UTF-8 (macOS, 7-Zip) or CP850 (Windows)."""
    from parsers.mail import safe_filename

    name = member.filename
    if not member.flag_bits & 0x800:
        raw = name.encode("cp437", "replace")
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            name = raw.decode("cp850", "replace")
    return safe_filename(name, number, "application/octet-stream")
