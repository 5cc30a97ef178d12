"""Mail the first run on the hand-written forms, offers and threads got wrong, in small:
the bot asks for nothing a careful caseworker would see is there, and nothing it cannot see."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from bot.form_answers import Answer, answer_of
from bot.rules import load_rules
from bot.triage import TriageContext, triage
from bot.verdict import Category
from parsers.attachments import FormField
from tests.conftest import image_only_pdf, make_mail
from tests.test_form_answers import DPIA_DOC, SCRIPT

WORDS = load_rules().form_answers
FORM_HEAD = "Søknadsskjema – tilgang til mikrodata\nProsjekttittel: Levekår i Bergen\n"


def scan_pdf(text: str) -> bytes:
    """A page of printed text as an image-only PDF: what a scanner sends (read by OCR)."""
    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 30)
    for number, line in enumerate(text.splitlines()):
        draw.text((100, 120 + 60 * number), line, font=font, fill=0)
    return image_only_pdf(page)


def form_file(text: str) -> tuple[str, str, bytes]:
    return ("soknadsskjema.txt", "text/plain", (FORM_HEAD + text).encode())


def test_the_printed_options_of_an_unanswered_radio_group_are_no_yes() -> None:
    assert answer_of(
        FormField("Søkes det om særlig identifiserende variabler?", "Ja Nei"), WORDS
    ) is (Answer.UNKNOWN)
    assert answer_of(FormField("Identifying variables?", "Yes / No"), WORDS) is Answer.UNKNOWN
    assert answer_of(FormField("Identifying variables?", "Ja"), WORDS) is Answer.YES


def test_the_forms_own_dpia_instruction_read_as_an_answer_is_no_exemption(
    context: TriageContext,
) -> None:
    form = form_file(
        "12. Personvernkonsekvensutredning (DPIA)\n"
        "legg ved DPIA eller en begrunnelse for hvorfor DPIA ikke er nødvendig\n"
    )
    verdict = triage(make_mail("Her er søknaden.", attachments=[form, SCRIPT]), "x", context)
    assert verdict.category is Category.NEW_APPLICATION
    assert "dpia" in verdict.missing


def test_a_dpia_or_justification_promised_for_later_is_not_there_yet(
    context: TriageContext,
) -> None:
    form = form_file(
        "DPIA: DPIA er ferdigstilt av personvernombudet og sendes direkte fra henne.\n"
        "Særlig identifiserende variabler: Ja – grunnkrets. Begrunnelse ettersendes.\n"
    )
    verdict = triage(make_mail("Her er søknaden.", attachments=[form, SCRIPT]), "x", context)
    assert verdict.missing == ("dpia", "identifying_variables_justification")


def test_a_form_typed_into_the_mail_is_the_application_form(context: TriageContext) -> None:
    body = (
        "Hei, vi har ikke Word her, så skjemaet står nedenfor.\n\n"
        "Virksomhet: Bergen kommune\nOrganisasjonsnummer: 964338531\n"
        "Kontaktperson: Kari Nordmann\nProsjekttittel: Levekår i Bergen\n"
        "Prosjektperiode: 2025–2027\nFormål: Statistikk om levekår\n"
        "Særlig identifiserende variabler: Nei\nDPIA: Vedlagt\n"
    )
    verdict = triage(make_mail(body, attachments=[SCRIPT, DPIA_DOC]), "x", context)
    assert "text:application_form" in verdict.provided
    assert verdict.missing == ()
    signature_only = "Hei, søknaden kommer.\n\nKari\nTlf: 555 12 345\nE-post: kari@bergen.no\n"
    assert "text:application_form" not in triage(make_mail(signature_only), "y", context).provided


def test_a_scanned_form_naming_identifying_variables_is_for_the_caseworker_to_check(
    context: TriageContext,
) -> None:
    scan = (
        "scan001.pdf",
        "application/pdf",
        scan_pdf(
            "Søknadsskjema mikrodata\nProsjekttittel: Levekår i Bergen\n"
            "Søkes det om særlig identifiserende variabler (grunnkrets, postnummer)?\n"
            "Ja [ ]   Nei [X]\n"
        ),
    )
    verdict = triage(
        make_mail("Søknad vedlagt.", attachments=[scan, SCRIPT, DPIA_DOC]), "x", context
    )
    assert "identifying_variables_justification" not in verdict.missing
    assert "identifying_variables_justification" in verdict.to_check


def test_a_promise_to_return_the_signed_offer_is_not_a_signed_offer(
    context: TriageContext,
) -> None:
    mail = make_mail(
        "Thanks for the offer. Our head of department has to sign it, so we will return the "
        "signed offer as soon as she is back. Can the deadline be extended?",
        subject="Re: Offer for the delivery of microdata – 25/00391-2",
    )
    assert triage(mail, "x", context).category is Category.OTHER


def test_a_reply_that_only_brings_the_missing_dpia_is_not_a_new_application(
    context: TriageContext,
) -> None:
    mail = make_mail(
        "Hei, her kommer personvernkonsekvensutredningen som manglet.",
        subject="Re: Søknad om tilgang til mikrodata – levekår i Bergen",
        attachments=[DPIA_DOC],
    )
    assert triage(mail, "x", context).category is Category.OTHER


def test_documents_sent_in_a_zip_count_like_attachments(context: TriageContext) -> None:
    """A complete application whose form, variable list and DPIA come zipped is complete:
    the bot reads the files inside a zip (one level, under the zip-bomb guard)."""
    import email
    import email.policy
    import zipfile
    from email.message import EmailMessage

    from tests.conftest import REPO

    original = email.message_from_bytes(
        (REPO / "fixtures/mail/new_application/0002.eml").read_bytes(), policy=email.policy.default
    )
    assert isinstance(original, EmailMessage)
    complete = triage(original.as_bytes(), "original.eml", context)
    assert complete.category is Category.NEW_APPLICATION and complete.missing == ()
    files = [(p.get_filename(), p.get_content()) for p in original.iter_attachments()]
    assert len(files) >= 2
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(str(name), content if isinstance(content, bytes) else content.encode())
    zipped = EmailMessage()
    for header in ("From", "To", "Subject", "Date"):
        zipped[header] = original[header]
    zipped["Message-ID"] = "<zipped-0002@example.no>"
    body = original.get_body(("plain", "html"))
    assert body is not None
    zipped.set_content(body.get_content())
    zipped.add_attachment(
        buffer.getvalue(), maintype="application", subtype="zip", filename="søknad.zip"
    )
    verdict = triage(zipped.as_bytes(), "zipped.eml", context)
    assert verdict.category is Category.NEW_APPLICATION
    assert verdict.missing == ()
    assert verdict.attachments[0].filename == "søknad.zip"
    assert {a.filename for a in verdict.attachments[1:]} == {str(n) for n, _ in files}
