"""The `signed_offer` requirement decided from the offer's content, not from its name.

Whole mails go through `bot.triage` (the offer PDFs are drawn in `tests/parsers/
test_signature.py`); scans are given as the OCR text the extractor would hand over.
"""

from __future__ import annotations

import io
from email.message import EmailMessage

from PIL import Image

from bot.offer_check import OfferFile, OfferStatus, check_signed_offer, claims_attached
from bot.rules import load_rules
from bot.triage import TriageContext, check_offer, read_mail, triage
from bot.verdict import AttachmentKind, ItemNote, NoteReason
from parsers.attachments import AttachmentText, ExtractionLimits, extract_attachment
from parsers.attachments.signature import acceptance_from_text
from tests.conftest import make_mail
from tests.parsers.test_ink import acceptance_page, scan_pdf
from tests.parsers.test_signature import offer_pdf

SUBJECT = "Signert tilbud - saksnr. 25/01234"
BODY = "Hei,\n\nVedlagt er signert tilbud for prosjektet.\n\nMed hilsen\nKari Nordmann\n"
WORDS = load_rules().offer_mail


def offer_mail(pdf: bytes, filename: str = "tilbud_signert.pdf", body: str = BODY) -> bytes:
    return make_mail(body, subject=SUBJECT, attachments=[(filename, "application/pdf", pdf)])


def test_offer_with_a_typed_name_and_an_empty_signature_line_goes_to_the_caseworker(
    context: TriageContext,
) -> None:
    """Signed or not is arguable: nobody is asked for it, the caseworker checks it."""
    raw = offer_mail(offer_pdf(place_date="Bergen, 12.03.2025", name="Kari Nordmann"))
    verdict = triage(raw, "signed.eml", context)
    assert verdict.category.value == "signed_offer"
    assert "signed_offer" not in verdict.missing
    assert "signed_offer" in verdict.to_check
    check = check_offer(read_mail(raw, context), context.rules)
    assert check.status is OfferStatus.TO_CHECK
    assert check.sources[0][0] == "signed_offer"
    assert "on page 1 of tilbud_signert.pdf" in check.sources[0][1]


def test_drawn_signature_image_in_the_block_satisfies_the_requirement(
    context: TriageContext,
) -> None:
    raw = offer_mail(offer_pdf(place_date="Oslo, 12.03.2025", mark="image"))
    check = check_offer(read_mail(raw, context), context.rules)
    assert check.status is OfferStatus.SIGNED
    assert (
        "signature image on page 1 of tilbud_signert.pdf beside 'Underskrift'"
        in (check.sources[0][1])
    )


def test_offer_returned_with_a_blank_block_stays_missing_as_not_signed(
    context: TriageContext,
) -> None:
    raw = offer_mail(offer_pdf())
    verdict = triage(raw, "blank.eml", context)
    assert verdict.category.value == "signed_offer"
    assert "signed_offer" in verdict.missing
    check = check_offer(read_mail(raw, context), context.rules)
    assert check.notes == (ItemNote("signed_offer", NoteReason.NOT_SIGNED, "tilbud_signert.pdf"),)
    assert "left blank" in check.sources[0][1]


def test_offer_dated_only_stays_missing_as_not_signed(context: TriageContext) -> None:
    raw = offer_mail(offer_pdf(place_date="Oslo, 12.03.2025"))
    assert "signed_offer" in triage(raw, "dated.eml", context).missing
    assert check_offer(read_mail(raw, context), context.rules).status is OfferStatus.NOT_SIGNED


def test_offer_with_an_empty_signature_field_stays_missing(context: TriageContext) -> None:
    from tests.parsers.test_signature import signature_field_pdf

    raw = offer_mail(signature_field_pdf(filled=False))
    check = check_offer(read_mail(raw, context), context.rules)
    assert check.status is OfferStatus.NOT_SIGNED
    assert "signature field 'Underskrift' left empty" in check.sources[0][1]
    raw = offer_mail(signature_field_pdf(filled=True))
    assert check_offer(read_mail(raw, context), context.rules).status is OfferStatus.SIGNED


def test_mail_saying_the_offer_is_attached_without_one_is_not_attached(
    context: TriageContext,
) -> None:
    raw = make_mail("Please find the signed offer attached.\n\nBest regards\nKari", subject=SUBJECT)
    verdict = triage(raw, "claim.eml", context)
    assert "signed_offer" in verdict.missing
    check = check_offer(read_mail(raw, context), context.rules)
    assert check.notes == (ItemNote("signed_offer", NoteReason.NOT_ATTACHED),)


def logo_png() -> bytes:
    image = Image.new("RGB", (160, 40), (255, 255, 255))
    image.paste((30, 60, 150), (0, 0, 36, 39))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_signature_logo_is_never_the_signed_offer(context: TriageContext) -> None:
    """Outlook's image001.png, shown inline by `cid:` in the HTML, beside "vedlagt signert"."""
    message = EmailMessage()
    message["From"] = "Kari Nordmann <kari.nordmann@bergen.kommune.no>"
    message["To"] = "mikrodata@ssb.no"
    message["Subject"] = SUBJECT
    message["Message-ID"] = "<logo-offer@bergen.kommune.no>"
    message.set_content(BODY)
    message.add_alternative(
        "<p>Hei,</p><p>Vedlagt er signert tilbud for prosjektet.</p>"
        '<p>Med hilsen<br>Kari Nordmann<br><img src="cid:image001.png@01DB"></p>',
        subtype="html",
    )
    html_part = message.get_payload()[1]
    html_part.add_related(
        logo_png(), "image", "png", cid="<image001.png@01DB>", filename="image001.png"
    )
    raw = message.as_bytes()
    verdict = triage(raw, "logo.eml", context)
    assert "signed_offer" in verdict.missing
    check = check_offer(read_mail(raw, context), context.rules)
    assert check.status is OfferStatus.NOT_ATTACHED
    assert "image001.png" in check.sources[0][1]


def scan(text: str, filename: str = "scan001.pdf") -> OfferFile:
    """A scanned offer as the extractor hands it over: OCR text and its acceptance block."""
    attachment = AttachmentText(
        filename,
        "application/pdf",
        "pdf",
        text,
        pages=2,
        scanned=True,
        ocr=bool(text),
        acceptance=acceptance_from_text(text, ocr=True) if text else None,
    )
    return OfferFile(attachment, AttachmentKind.SIGNED_OFFER, size=240_000)


OFFER_TEXT = (
    "Tilbud om levering av mikrodata\nVår ref.: 24/04410-6 Dato: 29.08.2024\n"
    "SSB tilbyr å tilrettelegge og levere mikrodata som beskrevet i vedtaket om tilgang.\n"
    "Tilbudet må dateres, signeres og returneres innen to uker.\n"
)


def test_scan_showing_date_and_name_is_signed() -> None:
    text = OFFER_TEXT + "Vi aksepterer tilbudet.\nSted og dato: Oslo, 12.09.2024\nUnderskrift:\n"
    check = check_signed_offer([scan(text + "Navn: Bente Solheim, bydelsdirektør")], BODY, WORDS)
    assert check.status is OfferStatus.SIGNED
    assert check.sources == (
        (
            "signed_offer",
            "scan: name 'Bente Solheim' written at 'Navn', dated 12.09.2024 in scan001.pdf",
        ),
    )


def test_scan_with_a_blank_looking_block_goes_to_the_caseworker_not_the_applicant() -> None:
    text = OFFER_TEXT + "Vi aksepterer tilbudet.\nSted og dato: ________\nUnderskrift: ________\n"
    check = check_signed_offer([scan(text)], BODY, WORDS)
    assert check.status is OfferStatus.TO_CHECK
    assert check.to_check == ("signed_offer",)
    assert check.notes == (ItemNote("signed_offer", NoteReason.POOR_SCAN, "scan001.pdf"),)
    assert check.applied_to({"signed_offer"}) == {"signed_offer"}  # not asked for again


def test_scan_too_poor_to_read_is_to_check() -> None:
    check = check_signed_offer([scan("~ ,. Jf")], BODY, WORDS)
    assert check.status is OfferStatus.TO_CHECK
    assert "too poor" in check.sources[0][1]


def test_signed_copy_wins_over_the_unsigned_original_in_the_same_mail() -> None:
    text = OFFER_TEXT + "Vi aksepterer tilbudet.\nSted og dato: Oslo, 12.09.2024\nUnderskrift:\n"
    unsigned = scan(text, "original.pdf")
    signed = scan(text + "Navn: Bente Solheim", "signert.pdf")
    assert check_signed_offer([unsigned, signed], BODY, WORDS).status is OfferStatus.SIGNED


def test_unsigned_offer_removes_the_kind_from_what_the_mail_provides() -> None:
    text = OFFER_TEXT + "Aksept av tilbud\nSted og dato: ____\nUnderskrift: ____\n"
    attachment = AttachmentText(
        "tilbud.pdf",
        "application/pdf",
        "pdf",
        text,
        pages=2,
        acceptance=acceptance_from_text(text),
    )
    check = check_signed_offer([OfferFile(attachment, AttachmentKind.SIGNED_OFFER)], BODY, WORDS)
    assert check.status is OfferStatus.NOT_SIGNED
    assert check.applied_to({"signed_offer", "field:case_reference"}) == {"field:case_reference"}


def test_promise_to_send_later_is_not_a_claim_that_the_offer_is_attached() -> None:
    assert (
        claims_attached("Vi aksepterer tilbudet. Signert kopi ettersendes neste uke.", WORDS)
        is None
    )
    assert claims_attached("We will send the signed offer next week.", WORDS) is None
    assert claims_attached("Vedlagt signert.", WORDS) == "Vedlagt signert."


def test_unreadable_scanned_offer_is_to_check_and_not_asked_for(context: TriageContext) -> None:
    """An image-only PDF the OCR reads nothing from: the caseworker looks, the reply does not ask."""
    from fpdf import FPDF

    page = Image.new("L", (600, 800), 235)
    out = io.BytesIO()
    page.save(out, "PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(out.getvalue()), x=0, y=0, w=210, h=297)
    raw = offer_mail(bytes(pdf.output()), filename="scan001.pdf")
    verdict = triage(raw, "scan.eml", context)
    assert "signed_offer" not in verdict.missing
    check = check_offer(read_mail(raw, context), context.rules)
    assert check.status is OfferStatus.TO_CHECK
    assert check.notes == (ItemNote("signed_offer", NoteReason.POOR_SCAN, "scan001.pdf"),)


def scanned_offer(*, signed: bool = False, dated: bool = False) -> OfferFile:
    """SSB's acceptance page scanned to an image-only PDF and read as the bot reads it."""
    page = acceptance_page(signed=signed, dated=dated)[0]
    attachment = extract_attachment(
        "scan0042.pdf", "application/pdf", scan_pdf(page), ExtractionLimits()
    )
    return OfferFile(attachment, AttachmentKind.SIGNED_OFFER, size=240_000)


def test_scan_of_a_blank_acceptance_block_is_not_signed() -> None:
    """Scanned before anyone signed: the applicant is told, not the caseworker asked to look."""
    check = check_signed_offer([scanned_offer()], BODY, WORDS)
    assert check.status is OfferStatus.NOT_SIGNED
    assert check.notes == (ItemNote("signed_offer", NoteReason.NOT_SIGNED, "scan0042.pdf"),)
    assert check.sources == (
        (
            "signed_offer",
            "scan: acceptance block on page 1 of scan0042.pdf blank "
            "(no ink beside 'Sted/dato', 'Underskrift')",
        ),
    )


def test_scan_with_pen_loops_beside_the_signature_and_the_date_is_signed() -> None:
    check = check_signed_offer([scanned_offer(signed=True, dated=True)], BODY, WORDS)
    assert check.status is OfferStatus.SIGNED
    assert check.sources == (
        (
            "signed_offer",
            "scan: handwriting beside 'Underskrift', 'Sted/dato' on page 1 of scan0042.pdf",
        ),
    )


def test_scan_signed_but_with_nothing_beside_the_date_goes_to_the_caseworker() -> None:
    check = check_signed_offer([scanned_offer(signed=True)], BODY, WORDS)
    assert check.status is OfferStatus.TO_CHECK
    assert check.applied_to(set()) == {"signed_offer"}  # never asked of the applicant


def test_scanned_blank_offer_in_a_mail_is_missing_as_not_signed(context: TriageContext) -> None:
    page = acceptance_page()[0]
    raw = offer_mail(scan_pdf(page), filename="scan0042.pdf")
    verdict = triage(raw, "scan.eml", context)
    assert "signed_offer" in verdict.missing
    assert "signed_offer" not in verdict.to_check
