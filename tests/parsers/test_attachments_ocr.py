"""Scans are read by OCR within the attachment's limits: a scanned offer still names its case."""

from __future__ import annotations

import email
import email.policy
import io
from email.message import EmailMessage

import pytest
from PIL import Image, ImageDraw

from parsers.attachments import ExtractionLimits, extract_attachment
from tests.conftest import REPO

LIMITS = ExtractionLimits(ocr_parallel_pages=1)
SCANNED_OFFER_MAIL = REPO / "fixtures" / "mail" / "signed_offer" / "0027.eml"


def _scanned_offer_pdf() -> tuple[str, bytes]:
    message = email.message_from_bytes(SCANNED_OFFER_MAIL.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    for part in message.iter_attachments():
        if part.get_content_type() == "application/pdf":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return str(part.get_filename()), payload
    raise AssertionError("the fixture lost its scanned offer")


def test_scanned_pdf_is_read_by_ocr_and_marked_as_such() -> None:
    filename, payload = _scanned_offer_pdf()
    result = extract_attachment(filename, "application/pdf", payload, ExtractionLimits())
    assert result.scanned and result.ocr
    assert "23/03591" in result.text
    assert result.error is None


def test_ocr_can_be_turned_off() -> None:
    filename, payload = _scanned_offer_pdf()
    result = extract_attachment(filename, "application/pdf", payload, ExtractionLimits(ocr_pages=0))
    assert result.scanned and not result.ocr
    assert result.text == ""


def test_ocr_stops_at_the_attachment_deadline() -> None:
    filename, payload = _scanned_offer_pdf()
    result = extract_attachment(
        filename, "application/pdf", payload, ExtractionLimits(max_seconds=0.2)
    )
    assert result.scanned and result.truncated


def test_image_attachment_is_read_by_ocr() -> None:
    image = Image.new("L", (1400, 300), color=255)
    ImageDraw.Draw(image).text((40, 100), "Saksnummer 24/01872", fill=0, font_size=72)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    result = extract_attachment("bilde.png", "image/png", buffer.getvalue(), ExtractionLimits())
    assert result.format == "image" and result.scanned and result.ocr
    assert "24/01872" in result.text


def _page(*lines: str, shadow: bool = False, signature: bool = False) -> Image.Image:
    """An A4 page as a 150 dpi scanner gives it: a little grey, darker edges when `shadow`."""
    page = Image.new("L", (1240, 1754), 238)
    draw = ImageDraw.Draw(page)
    if shadow:  # the scanner lid's shadow along two edges, as on many blank sheets
        draw.rectangle([0, 0, 1239, 30], fill=120)
        draw.rectangle([0, 0, 25, 1753], fill=140)
    for row, line in enumerate(lines):
        draw.text((120, 200 + row * 80), line, fill=25, font_size=40)
    if signature:
        draw.line([(700, 1400), (820, 1350), (950, 1420), (1040, 1370)], fill=40, width=4)
    return page


def test_blank_pages_and_separator_sheets_have_no_text_regions_a_signed_page_has() -> None:
    from parsers.attachments.ocr import BLANK_SCALE, has_text_regions

    def small(page: Image.Image) -> Image.Image:
        scale = BLANK_SCALE * 72 / 150
        return page.resize((int(page.width * scale), int(page.height * scale)))

    assert not has_text_regions(small(_page()))
    assert not has_text_regions(small(_page(shadow=True)))
    assert has_text_regions(small(_page(signature=True))), "a signature alone is read"
    assert has_text_regions(small(_page("Saksnummer 24/01872")))


def test_a_blank_sheet_between_the_pages_of_a_scan_is_not_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fpdf import FPDF

    from parsers.attachments import ocr

    pdf = FPDF(format="A4")
    for page in (_page("Saksnummer 24/01872"), _page(shadow=True), _page("Sted og dato: Bergen")):
        png = io.BytesIO()
        page.save(png, format="PNG")
        pdf.add_page()
        pdf.image(io.BytesIO(png.getvalue()), x=0, y=0, w=210, h=297)
    read_pages: list[object] = []
    real = ocr._read_image

    def counting(image: object, *args: object) -> object:
        read_pages.append(image)
        return real(image, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ocr, "_read_image", counting)
    result = extract_attachment("skann.pdf", "application/pdf", bytes(pdf.output()), LIMITS)
    assert result.ocr and "24/01872" in result.text and "Bergen" in result.text
    assert len(read_pages) == 2, "the blank sheet went to Tesseract"


def test_pages_of_a_scan_are_read_at_once_only_on_idle_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from parsers.attachments import ocr

    monkeypatch.setattr(ocr.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(ocr.os, "getloadavg", lambda: (0.1, 0.1, 0.1))
    assert ocr.parallel_pages(3) == 2
    monkeypatch.setattr(ocr.os, "getloadavg", lambda: (1.8, 1.0, 1.0))
    assert ocr.parallel_pages(3) == 1, "busy cores: one page after the other"
