"""Scans are read by OCR within the attachment's limits: a scanned offer still names its case."""

from __future__ import annotations

import email
import email.policy
import io
from email.message import EmailMessage

from PIL import Image, ImageDraw

from parsers.attachments import ExtractionLimits, extract_attachment
from tests.conftest import REPO

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
