"""PDF extraction: text, limits, scans, encryption, damage, tables and fillable forms."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from parsers.attachments import AttachmentText, ExtractionLimits, extract_attachment

LIMITS = ExtractionLimits()


def pdf(
    payload: bytes, limits: ExtractionLimits = LIMITS, name: str = "soknad.pdf"
) -> AttachmentText:
    return extract_attachment(name, "application/pdf", payload, limits)


def test_text_pdf_gives_page_count_and_all_pages_text(make_text_pdf: Callable[..., bytes]) -> None:
    result = pdf(make_text_pdf(pages=15))
    assert result.format == "pdf"
    assert result.pages == 15
    assert result.error is None
    assert not result.truncated and not result.scanned
    assert "Side 1." in result.text and "Side 15." in result.text
    assert "Søknad om tilgang til mikrodata" in result.text


def test_pdf_stops_at_max_pages_and_says_truncated(make_text_pdf: Callable[..., bytes]) -> None:
    result = pdf(make_text_pdf(pages=5), ExtractionLimits(max_pages=2))
    assert result.pages == 5
    assert result.truncated
    assert "Side 2." in result.text and "Side 3." not in result.text


def test_pdf_text_is_cut_at_max_chars(make_text_pdf: Callable[..., bytes]) -> None:
    result = pdf(make_text_pdf(pages=3), ExtractionLimits(max_chars=500))
    assert result.truncated
    assert len(result.text) <= 500


def test_zero_time_limit_truncates_pdf_at_once_instead_of_hanging(
    make_text_pdf: Callable[..., bytes],
) -> None:
    payload = make_text_pdf(pages=15)
    result = pdf(payload, ExtractionLimits(max_seconds=0.0))
    assert result.truncated
    assert result.text == "", "a page was read after the budget was spent"
    assert result.pages == 15
    assert result.error is None
    assert not result.scanned  # nothing was read, so nothing is known about a text layer


def test_ruled_table_on_a_layout_page_becomes_pipe_rows(
    make_text_pdf: Callable[..., bytes],
) -> None:
    result = pdf(make_text_pdf(pages=3, table_on_page=1))
    assert "Variabel | Beskrivelse | Bestilles" in result.text
    assert "kjonn | Kjønn | X" in result.text


def test_tables_beyond_layout_pages_are_left_to_the_plain_text(
    make_text_pdf: Callable[..., bytes],
) -> None:
    result = pdf(make_text_pdf(pages=4, table_on_page=4), ExtractionLimits(layout_pages=2))
    assert "Variabel | Beskrivelse" not in result.text
    assert "Variabel" in result.text  # PDFium still reads the cells as plain text


def test_pdf_without_tables_or_form_never_opens_pdfplumber(
    make_text_pdf: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pdfplumber

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("pdfplumber must not run on a plain text PDF")

    monkeypatch.setattr(pdfplumber, "open", forbidden)
    result = pdf(make_text_pdf(pages=5))
    assert result.error is None and "Side 5." in result.text


def test_table_rows_come_from_pdfium_without_opening_pdfplumber(
    make_text_pdf: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pdfplumber

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("pdfplumber must not open a PDF whose rulings PDFium reads")

    monkeypatch.setattr(pdfplumber, "open", forbidden)
    result = pdf(make_text_pdf(pages=2, table_on_page=1))
    assert "Variabel | Beskrivelse | Bestilles" in result.text
    assert "kjonn | Kjønn | X" in result.text


def test_pdfium_rows_match_pdfplumber_rows(make_text_pdf: Callable[..., bytes]) -> None:
    import pdfplumber
    import pypdfium2 as pdfium

    import parsers.attachments.pdf as pdf_module

    payload = make_text_pdf(pages=1, table_on_page=1)
    with pdfplumber.open(io.BytesIO(payload)) as plumbed:
        expected = pdf_module._table_lines(plumbed.pages[0])
    document = pdfium.PdfDocument(payload)
    page = document[0]
    textpage = page.get_textpage()
    try:
        assert pdf_module._pdfium_table_lines(page, textpage) == expected
    finally:
        textpage.close()
        page.close()
        document.close()
    assert expected


def test_page_pdfium_cannot_read_falls_back_to_pdfplumber(
    make_text_pdf: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import parsers.attachments.pdf as pdf_module

    def unsupported(*args: object) -> list[str]:
        raise pdf_module._NeedsPdfplumberError("rulings inside a form XObject")

    monkeypatch.setattr(pdf_module, "_pdfium_table_lines", unsupported)
    result = pdf(make_text_pdf(pages=1, table_on_page=1))
    assert "Variabel | Beskrivelse | Bestilles" in result.text


def test_page_with_heavy_content_gets_no_pdfplumber_table_pass(
    make_text_pdf: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import parsers.attachments.pdf as pdf_module

    def unsupported(*args: object) -> list[str]:
        raise pdf_module._NeedsPdfplumberError("rotated page")

    monkeypatch.setattr(pdf_module, "_pdfium_table_lines", unsupported)
    monkeypatch.setattr(pdf_module, "MAX_LAYOUT_CONTENT_BYTES", 100)
    result = pdf(make_text_pdf(pages=1, table_on_page=1))
    assert "Variabel | Beskrivelse" not in result.text
    assert "Variabel" in result.text


def test_page_with_too_many_rulings_gets_no_table_rows(
    make_text_pdf: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import parsers.attachments.pdf as pdf_module

    monkeypatch.setattr(pdf_module, "MAX_TABLE_EDGES", 3)
    result = pdf(make_text_pdf(pages=1, table_on_page=1))
    assert "Variabel | Beskrivelse" not in result.text
    assert "Variabel" in result.text


def test_pdfplumber_failure_keeps_the_pdfium_text(
    make_text_pdf: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pdfplumber

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("pdfminer exploded")

    monkeypatch.setattr(pdfplumber, "open", broken)
    result = pdf(make_text_pdf(pages=2, table_on_page=1))
    assert result.error is None
    assert "Side 2." in result.text


def test_fillable_form_values_appear_as_field_lines(make_form_pdf: Callable[[], bytes]) -> None:
    result = pdf(make_form_pdf())
    assert "prosjekttittel: Helse og arbeid blant unge i Tromsø" in result.text
    assert "soker.navn: Kari Nordmann" in result.text
    assert "samtykke: Yes" in result.text
    assert "purring" not in result.text  # an unticked box (/Off) is no answer
    assert not result.scanned


def test_libreoffice_form_values_appear_in_text(corpora: Path) -> None:
    payload = (corpora / "pdf/pypdf/libreoffice-form.pdf").read_bytes()
    result = pdf(payload)
    assert "First Name: Alice" in result.text
    assert "First Name_2: Bob" in result.text


@pytest.mark.parametrize(
    "name",
    [
        "pdfplumber/password-example.pdf",
        "pypdf/encrypted-file.pdf",
        "pypdf/crazyones-encrypted-256.pdf",
        "pypdf/libreoffice-writer-password.pdf",
        "pypdf/encryption/r3-user-password.pdf",
        "pypdf/encryption/r4-aes-user-password.pdf",
        "pypdf/encryption/r6-user-password.pdf",
    ],
)
def test_encrypted_pdf_gives_error_and_no_exception(corpora: Path, name: str) -> None:
    result = pdf((corpora / "pdf" / name).read_bytes())
    assert result.format == "pdf"
    assert result.error == "encrypted PDF: no password"
    assert result.text == ""


@pytest.mark.parametrize(
    "name",
    [
        "r2-empty-password.pdf",
        "r4-aes-v2-no-key-length.pdf",
        "r5-owner-password.pdf",
        "r6-empty-password.pdf",
    ],
)
def test_pdf_with_empty_user_password_is_read_normally(corpora: Path, name: str) -> None:
    result = pdf((corpora / "pdf/pypdf/encryption" / name).read_bytes())
    assert result.error is None
    assert result.pages == 1
    assert result.text.strip()


def test_empty_zero_byte_pdf_gives_error(corpora: Path) -> None:
    result = pdf((corpora / "pdf/pdfplumber/empty.pdf").read_bytes(), name="empty.pdf")
    assert result.format == "pdf"
    assert result.error == "empty file (0 bytes)"


def test_truncated_pdf_gives_truncated_error(corpora: Path) -> None:
    whole = (corpora / "pdf/pdfplumber/2023-06-20-PV.pdf").read_bytes()
    result = pdf(whole[: len(whole) // 2])
    assert result.format == "pdf"
    assert result.error is not None and result.error.startswith("truncated PDF:")


@pytest.mark.parametrize(
    "name",
    ["imagemagick-ASCII85Decode.pdf", "imagemagick-CCITTFaxDecode.pdf", "imagemagick-lzw.pdf"],
)
def test_image_only_pdf_is_marked_scanned(corpora: Path, name: str) -> None:
    result = pdf((corpora / "pdf/pypdf" / name).read_bytes())
    assert result.scanned
    assert result.pages == 1
    assert result.error is None


def test_generated_image_only_pdf_is_marked_scanned() -> None:
    from fpdf import FPDF
    from PIL import Image

    document = FPDF()
    for _ in range(2):
        document.add_page()
        document.image(Image.new("L", (200, 280), color=200), x=10, y=10, w=190)
    result = pdf(bytes(document.output()))
    assert result.scanned and result.pages == 2 and result.text == ""


def test_ocr_layer_pdf_is_not_a_scan(corpora: Path) -> None:
    result = pdf((corpora / "pdf/pypdf/Seige_of_Vicksburg_Sample_OCR.pdf").read_bytes())
    assert not result.scanned
    assert "Vicksburg" in result.text


def test_pdf_after_a_ghostscript_banner_is_still_sniffed_as_pdf(corpora: Path) -> None:
    payload = (corpora / "pdf/pdfplumber/issue-848.pdf").read_bytes()
    assert not payload.startswith(b"%PDF")
    result = extract_attachment("scan", "application/octet-stream", payload, LIMITS)
    assert result.format == "pdf"
    assert result.pages == 8 and result.text


def test_html_error_page_named_pdf_gives_clear_error() -> None:
    result = pdf(b"<html><body>404 Not Found</body></html>")
    assert result.format == "pdf"
    assert result.error == "not a valid PDF (no %PDF header)"
