"""The dispatcher: format sniffing, the size limit, images, and the never-raise contract."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import docx
import pytest

from parsers.attachments import AttachmentText, ExtractionLimits, extract_attachment

LIMITS = ExtractionLimits()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def corpus_format(relative: str) -> str:
    suffix = Path(relative).suffix.lower()
    return {".pdf": "pdf", ".docx": "docx"}.get(suffix, "xlsx")


def test_every_corpus_document_extracts_without_exception(
    corpora: Path, corpus_document: str
) -> None:
    payload = (corpora / corpus_document).read_bytes()
    result = extract_attachment(Path(corpus_document).name, "", payload, LIMITS)
    assert isinstance(result, AttachmentText)
    assert result.format == corpus_format(corpus_document)
    assert len(result.text) <= LIMITS.max_chars
    assert result.error is None or result.error.strip()


def test_too_large_file_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    import pypdfium2

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("an oversized file must not be parsed")

    monkeypatch.setattr(pypdfium2, "PdfDocument", forbidden)
    payload = b"%PDF-1.7\n" + bytes(31_200_000 - 9)
    result = extract_attachment("stor.pdf", "application/pdf", payload, LIMITS)
    assert result.format == "pdf"
    assert result.error == "file too large: 31.2 MB > 30 MB limit"


def test_pdf_bytes_win_over_a_wrong_extension(make_text_pdf: Callable[..., bytes]) -> None:
    result = extract_attachment("soknad.docx", "application/msword", make_text_pdf(pages=1), LIMITS)
    assert result.format == "pdf" and result.error is None


def test_docx_sent_as_octet_stream_without_extension_is_sniffed() -> None:
    document = docx.Document()
    document.add_paragraph("Prosjektbeskrivelse")
    buffer = io.BytesIO()
    document.save(buffer)
    result = extract_attachment("vedlegg", "application/octet-stream", buffer.getvalue(), LIMITS)
    assert result.format == "docx" and "Prosjektbeskrivelse" in result.text


def test_undecodable_image_is_a_scan_with_a_clear_error() -> None:
    result = extract_attachment("skjema.bin", "application/octet-stream", PNG, LIMITS)
    assert result.format == "image"
    assert result.scanned and result.text == ""
    assert result.error is not None and result.error.startswith("unreadable image")


def test_unknown_binary_is_other_without_error() -> None:
    payload = bytes(range(256)) * 4
    result = extract_attachment("data.bin", "application/octet-stream", payload, LIMITS)
    assert result.format == "other" and result.error is None


def test_plain_zip_archive_is_other(make_zip: Callable[[dict[str, bytes | int]], bytes]) -> None:
    result = extract_attachment("filer.zip", "application/zip", make_zip({"a.txt": b"a"}), LIMITS)
    assert result.format == "other"


def test_extractor_exception_becomes_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    import parsers.attachments.text as text_module

    def explode(*args: object, **kwargs: object) -> AttachmentText:
        raise MemoryError("simulated")

    monkeypatch.setattr(text_module, "extract_text", explode)
    result = extract_attachment("brev.txt", "text/plain", b"hei", LIMITS)
    assert result.format == "text"
    assert result.error == "text extraction failed: MemoryError: simulated"


def test_library_warnings_do_not_become_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    import parsers.attachments.text as text_module

    original = text_module.extract_text

    def noisy(*args: object, **kwargs: object) -> AttachmentText:
        warnings.warn("library chatter", UserWarning, stacklevel=1)  # pytest turns it into an error
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(text_module, "extract_text", noisy)
    result = extract_attachment("brev.txt", "text/plain", b"hei", LIMITS)
    assert result.error is None and result.text == "hei"
