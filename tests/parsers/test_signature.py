"""The acceptance block of a returned offer, read from PDF, DOCX and OCR text.

Every file is built here: fpdf2 draws the offer's last page (text, lines, an image, a pen
stroke or an ink annotation), a hand-written PDF carries an AcroForm signature field with
or without a value, python-docx writes a Word offer.
"""

from __future__ import annotations

import io

from fpdf import FPDF
from PIL import Image, ImageDraw

from parsers.attachments import Acceptance, AttachmentText, ExtractionLimits, extract_attachment
from parsers.attachments.signature import acceptance_from_text, read_acceptance
from tests.hostile.inputs import pdf_from_objects, stream

LIMITS = ExtractionLimits(ocr_pages=0)
BLANK = "________________________"


def signature_png() -> bytes:
    """A scanned pen signature: a dark scribble on white."""
    image = Image.new("L", (300, 90), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(10, 60), (60, 20), (90, 70), (140, 25), (190, 65), (280, 30)], fill=20, width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def offer_pdf(
    *, place_date: str = "", name: str = "", mark: str | None = None, heading: bool = True
) -> bytes:
    """SSB's offer with its acceptance block; `mark` draws an image, a stroke or ink in it."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)

    def line(text: str) -> None:
        pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")

    for text in (
        "Statistisk sentralbyrå",
        "Vår ref.: 25/01234-3",
        "Vår dato: 03.02.2025",
        "Tilbud om levering av mikrodata",
        "SSB tilbyr å levere data som beskrevet i vedtaket. Pris eks. mva: 36 800 kr.",
        "Tilbudet må dateres, signeres og returneres innen to uker.",
        "Med hilsen",
        "Kari Lunde",
        "seniorrådgiver",
    ):
        line(text)
    pdf.ln(8)
    if heading:
        line("Aksept av tilbud")
        line("Vi aksepterer tilbudet og vilkårene ovenfor.")
    line(f"Sted og dato: {place_date or BLANK}")
    pdf.ln(16)
    top = pdf.get_y()
    if mark == "image":
        pdf.image(io.BytesIO(signature_png()), x=30, y=top - 14, w=45, h=13)
    elif mark == "stroke":
        points = [(30 + 4 * i, top - 6 - (5 if i % 2 else 0) - i % 3) for i in range(12)]
        pdf.polyline(points)
    elif mark == "ink":
        pdf.ink_annotation([(30, top - 8), (40, top - 2), (55, top - 10), (70, top - 3)])
    line(f"Underskrift: {BLANK}")
    line(f"Navn med blokkbokstaver: {name or BLANK}")
    return bytes(pdf.output())


def extracted(filename: str, payload: bytes) -> AttachmentText:
    return extract_attachment(filename, "application/octet-stream", payload, LIMITS)


def acceptance_of(filename: str, payload: bytes) -> Acceptance:
    acceptance = extracted(filename, payload).acceptance
    assert acceptance is not None
    return acceptance


def test_a_name_in_block_letters_beside_an_empty_signature_line_is_for_a_person() -> None:
    """Blind readers call it unsigned, the issue's rule ("a name and date written into it")
    calls it signed: the bot marks it for the caseworker and asks nobody."""
    found = acceptance_of(
        "tilbud_signert.pdf", offer_pdf(place_date="Bergen, 12.03.2025", name="Kari Nordmann")
    )
    assert (found.found, found.signature, found.dated) == (True, "name_only", True)
    assert "Kari Nordmann" in found.evidence and "12.03.2025" in found.evidence
    assert "the signature line is empty" in found.evidence


def test_name_and_date_written_in_a_block_without_a_signature_line_count_as_signed() -> None:
    found = read_acceptance(
        [
            "Aksept av tilbud",
            "Vi aksepterer tilbudet og vilkårene.",
            "Sted og dato: Bergen, 12.03.2025",
            "Navn og stilling: Kari Nordmann, rådgiver",
        ]
    )
    assert found is not None and (found.signature, found.dated) == ("written", True)
    assert "Kari Nordmann" in found.evidence


def test_signature_image_in_the_block_is_a_drawn_signature_beside_its_label() -> None:
    found = acceptance_of("tilbud.pdf", offer_pdf(place_date="Oslo, 12.03.2025", mark="image"))
    assert (found.signature, found.dated) == ("drawn", True)
    assert "signature image on page 1 beside 'Underskrift'" in found.evidence


def test_pen_stroke_drawn_in_the_block_is_a_drawn_signature() -> None:
    found = acceptance_of("tilbud.pdf", offer_pdf(place_date="Oslo, 12.03.2025", mark="stroke"))
    assert (found.signature, found.dated) == ("drawn", True)
    assert "pen stroke" in found.evidence


def test_ink_annotation_in_the_block_is_a_drawn_signature() -> None:
    found = acceptance_of("tilbud.pdf", offer_pdf(place_date="Oslo, 12.03.2025", mark="ink"))
    assert (found.signature, found.dated) == ("drawn", True)
    assert "ink annotation" in found.evidence


def test_offer_sent_back_with_a_blank_block_is_neither_signed_nor_dated() -> None:
    found = acceptance_of("tilbud_signert.pdf", offer_pdf())
    assert (found.found, found.signature, found.dated) == (True, None, False)
    assert "left blank" in found.evidence and "'Underskrift'" in found.evidence


def test_block_dated_only_is_not_signed() -> None:
    found = acceptance_of("tilbud.pdf", offer_pdf(place_date="Oslo, 12.03.2025"))
    assert (found.signature, found.dated) == (None, True)


def test_signature_without_a_date_is_signed_but_not_dated() -> None:
    found = acceptance_of("tilbud.pdf", offer_pdf(mark="image"))
    assert (found.signature, found.dated) == ("drawn", False)


def test_ssb_letter_date_is_not_the_signers_date() -> None:
    """ "Vår dato: 03.02.2025" is SSB's date at the top of the offer, never the acceptance."""
    found = acceptance_of("tilbud.pdf", offer_pdf(heading=False))
    assert found.dated is False


def test_pdf_without_an_acceptance_block_has_no_acceptance() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 7, "Prosjektbeskrivelse\nFormålet med prosjektet er å studere levekår.")
    assert extracted("beskrivelse.pdf", bytes(pdf.output())).acceptance is None


def signature_field_pdf(*, filled: bool) -> bytes:
    """A one-page offer whose "Underskrift" is an AcroForm signature field (`/FT /Sig`)."""
    text = (
        b"BT /F1 11 Tf 72 760 Td (Tilbud om levering av mikrodata) Tj ET\n"
        b"BT /F1 11 Tf 72 600 Td (Aksept av tilbud) Tj ET\n"
        b"BT /F1 11 Tf 72 580 Td (Sted og dato: Oslo, 12.03.2025) Tj ET\n"
        b"BT /F1 11 Tf 72 540 Td (Underskrift:) Tj ET\n"
    )
    value = b" /V 7 0 R" if filled else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] /SigFlags 3 >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R] >>",
        stream(text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Underskrift) /F 4"
        b" /Rect [150 530 350 560] /P 3 0 R" + value + b" >>",
        b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached"
        b" /Name (Kari Nordmann) /M (D:20250312101500+01'00') /ByteRange [0 0 0 0]"
        b" /Contents <3082> >>",
    ]
    return pdf_from_objects(objects)


def test_filled_signature_field_is_a_digital_signature() -> None:
    found = acceptance_of("tilbud_esignert.pdf", signature_field_pdf(filled=True))
    assert (found.signature, found.dated, found.empty_signature_field) == ("digital", True, False)
    assert "digital signature in field 'Underskrift'" in found.evidence


def test_empty_signature_field_is_reported_and_not_signed() -> None:
    found = acceptance_of("tilbud.pdf", signature_field_pdf(filled=False))
    assert (found.signature, found.empty_signature_field) == (None, True)
    assert "signature field 'Underskrift' left empty" in found.evidence


def test_electronic_signature_stamp_text_is_a_dated_digital_signature() -> None:
    found = acceptance_from_text(
        "Tilbud om levering av mikrodata\n"
        "Dokumentet er signert elektronisk av Kari Nordmann 12.03.2025 kl. 10:15 med BankID."
    )
    assert found is not None and (found.signature, found.dated) == ("digital", True)


def offer_docx(*, place_date: str = "", name: str = "", picture: bool = False) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Tilbud om levering av mikrodata", level=1)
    document.add_paragraph("SSB tilbyr å levere data som beskrevet i vedtaket.")
    document.add_paragraph("Aksept av tilbud: Vi aksepterer tilbudet og vilkårene ovenfor.")
    document.add_paragraph(f"Sted og dato: {place_date}")
    if picture:
        document.add_picture(io.BytesIO(signature_png()))
    document.add_paragraph("______________________________")
    document.add_paragraph("Signatur (person med fullmakt)")
    if name:
        document.add_paragraph(name)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_picture_in_the_block_is_a_drawn_signature() -> None:
    found = acceptance_of(
        "Aksept.docx", offer_docx(place_date="Tromsø, 4. april 2025", picture=True)
    )
    assert (found.signature, found.dated) == ("drawn", True)
    assert "signature image" in found.evidence


def test_docx_name_and_date_typed_in_are_a_written_signature() -> None:
    found = acceptance_of(
        "Aksept.docx", offer_docx(place_date="Tromsø, 04.04.2025", name="Ola Nordmann, rådmann")
    )
    assert (found.signature, found.dated) == ("written", True)
    assert "Ola Nordmann" in found.evidence


def test_docx_offer_returned_blank_is_not_signed() -> None:
    found = acceptance_of("Aksept.docx", offer_docx())
    assert (found.signature, found.dated) == (None, False)


def test_scan_with_date_and_printed_name_is_signed() -> None:
    ocr = (
        "Vi aksepterer tilbudet og vilkårene for tilgang.\n\n"
        "Sted og dato: Førde, 03.02.2025\nUnderskrift:\n\nNamn: Olav Søreide, kommunedirektør"
    )
    found = acceptance_from_text(ocr, ocr=True)
    assert found is not None and (found.signature, found.dated) == ("written", True)


def test_scan_with_ocr_noise_where_the_pen_signed_is_a_drawn_signature() -> None:
    ocr = "Vi aksepterer tilbudet.\nSted og dato: Bodø, 22.05.2025\n\n~ Jfw~ ,,\nUnderskrift:\n"
    found = acceptance_from_text(ocr, ocr=True)
    assert found is not None and (found.signature, found.dated) == ("drawn", True)
    assert "handwriting" in found.evidence


def test_scan_with_blank_lines_shows_no_signature_and_no_date() -> None:
    ocr = "Vi aksepterer tilbudet.\nSted og dato: ______________\nUnderskrift: ______________\n"
    found = acceptance_from_text(ocr, ocr=True)
    assert found is not None and (found.signature, found.dated) == (None, False)


def test_typed_copy_marked_signed_counts_as_written() -> None:
    found = read_acceptance(
        ["Aksept", "Sted og dato: Oslo, 03.10.2024 Underskrift: Mona Lien Haug (sign.), direktør"]
    )
    assert found is not None and (found.signature, found.dated) == ("written", True)


def test_english_block_with_name_and_position_label_is_read() -> None:
    found = read_acceptance(
        [
            "Acceptance",
            "We accept the offer and the conditions of the decision.",
            "Place and date: Tromsø, 14 May 2025",
            "Signature:",
            "Name and position: Ole Arve Misund, Director",
        ]
    )
    assert found is not None and (found.signature, found.dated) == ("name_only", True)
    assert "Ole Arve Misund" in found.evidence


def test_a_typed_name_is_no_signature_when_the_signature_field_is_empty_or_undated() -> None:
    """Only the arguable case (dated, no empty signature field) goes to a person."""
    undated = read_acceptance(
        ["Aksept av tilbud", "Sted/dato:", "Underskrift:", "Navn med blokkbokstaver: KARI NORDMANN"]
    )
    assert undated is not None and (undated.signature, undated.dated) == ("written", False)
    empty_field = read_acceptance(
        ["Aksept av tilbud", "Sted/dato: Oslo 14.03.2025", "Underskrift:", "Navn: Kari Nordmann"],
        empty_field="signature field 'Underskrift' empty",
    )
    assert empty_field is not None and empty_field.signature == "written"
    assert empty_field.empty_signature_field


def test_a_word_acceptance_block_written_with_line_breaks_is_read_line_by_line() -> None:
    """Shift+Enter in Word: one paragraph, its lines split by breaks, not by paragraphs."""
    import docx

    document = docx.Document()
    document.add_paragraph("Offer for access to microdata. Reference 25/00412.")
    paragraph = document.add_paragraph()
    for number, text in enumerate(
        [
            "Acceptance",
            "We accept the offer.",
            "Date: 2025-04-22",
            "Name: Maria Gonzalez",
            "Signature: /signed/ Maria Gonzalez",
        ]
    ):
        run = paragraph.add_run(text)
        if number < 4:
            run.add_break()
    buffer = io.BytesIO()
    document.save(buffer)
    result = extract_attachment(
        "offer_signed.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        buffer.getvalue(),
        ExtractionLimits(),
    )
    assert result.acceptance is not None
    assert (result.acceptance.signature, result.acceptance.dated) == ("written", True)
