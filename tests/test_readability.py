"""Ask only what is known to be missing: files that would not open, scans too poor to read.

PDFs are made here with fpdf2 (encrypted, cut short, a good text layer); scans are given as
the OCR text the extractor would hand over, so each test shows its own input.
"""

from __future__ import annotations

import pytest
from fpdf import FPDF

from bot.readability import (
    MIN_WORD_SHARE,
    AttachmentReading,
    Legibility,
    legibility,
    read_attachments,
    scan_quality,
    settle,
)
from bot.requirements import Requirement, load_requirements
from bot.triage import TriageContext, triage
from bot.verdict import AttachmentKind, Category, ItemNote, NoteReason
from parsers.attachments import AttachmentText, ExtractionLimits, extract_attachment
from tests.conftest import make_mail

REQUIREMENTS: tuple[Requirement, ...] = load_requirements()

FORM_TEXT = (
    "Søknad om tilgang til mikrodata\n1. Prosjekttittel: Levekår blant unge i Bergen\n"
    "2. Behandlingsansvarlig institusjon: Bergen kommune\n3. Organisasjonsnummer: 964338531\n"
    "4. Prosjektleder / kontaktperson: Kari Nordmann, kari.nordmann@bergen.kommune.no\n"
    "5. Prosjektperiode: 01.03.2025 – 31.12.2027\n6. Formål med prosjektet: Kartlegge "
    "levekår og bruk av kommunale tjenester blant unge mellom 16 og 25 år i kommunen.\n"
    "7. Rettslig grunnlag: GDPR art. 6 nr. 1 e.\n"
)
DPIA_TEXT = (
    "Personvernkonsekvensutredning (DPIA) for prosjektet Levekår blant unge i Bergen.\n"
    "Risikovurdering: risiko for de registrertes rettigheter er lav etter tiltak. Data "
    "lagres på en lukket server, og personvernombudet har gitt råd om behandlingen.\n"
)
GOOD_OCR = (
    "Søknad om tilgang til mikrodata\nProsjekttittel Levekår blant unge i Bergen\n"
    "Behandlingsansvarlig Bergen kommune\nOrganisasjonsnummer 964 338 531\n"
    "Prosjektleder Kari Nordmann\nKontaktperson kari.nordmann@bergen.kommune.no\n"
    "Prosjektperiode 01.03.2025 31.12.2027\nFormål med prosjektet Kartlegge levekår og "
    "bruk av kommunale tjenester blant unge mellom 16 og 25 år i kommunen."
)
POOR_OCR = "Sø|<n. l1 ~ ,,: Pr0s|ekt ;;I1 rnMw 19: _ l|l ,. B3rg.n ,~ .. kn~ 1l1 |"


def text_file(name: str, text: str, **extra: object) -> AttachmentText:
    fmt = extra.pop("format", "pdf")
    return AttachmentText(name, "application/pdf", fmt, text, **extra)  # type: ignore[arg-type]


def form_pdf(*, password: str | None = None) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for line in FORM_TEXT.replace("ø", "o").replace("å", "a").replace("–", "-").splitlines():
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    if password is not None:
        pdf.set_encryption(owner_password="eier", user_password=password)
    return bytes(pdf.output())


def readings_of(
    files: list[tuple[AttachmentText, AttachmentKind]], mail_text: str = ""
) -> tuple[AttachmentReading, ...]:
    return read_attachments([a for a, _ in files], [k for _, k in files], mail_text, REQUIREMENTS)


def present_of(files: list[tuple[AttachmentText, AttachmentKind]]) -> frozenset[str]:
    return frozenset(k.value for a, k in files if legibility(a) is not Legibility.UNREADABLE) | {
        "field:organization_number"
    }


VARIABLES = (text_file("variabelliste.xlsx", "Variabelnavn | Bestilles", format="xlsx"),
             AttachmentKind.VARIABLE_LIST)  # fmt: skip


def test_ocr_of_a_scanned_form_is_good_enough_to_judge() -> None:
    quality = scan_quality(GOOD_OCR)
    assert not quality.poor
    assert quality.word_share > MIN_WORD_SHARE


def test_ocr_noise_and_a_signature_logo_are_too_poor_to_judge() -> None:
    assert scan_quality(POOR_OCR).poor
    assert scan_quality("SSB").poor
    assert scan_quality("").poor


def test_encrypted_form_pdf_cannot_be_opened_and_says_why() -> None:
    extracted = extract_attachment(
        "soknadsskjema.pdf", "application/pdf", form_pdf(password="hemmelig"), ExtractionLimits()
    )
    assert legibility(extracted) is Legibility.UNREADABLE
    (reading,) = readings_of([(extracted, AttachmentKind.APPLICATION_FORM)])
    assert reading.source == "soknadsskjema.pdf could not be opened: encrypted"


def test_corrupt_form_pdf_cannot_be_opened() -> None:
    whole = form_pdf()
    extracted = extract_attachment(
        "soknadsskjema.pdf", "application/pdf", whole[: len(whole) // 3], ExtractionLimits()
    )
    assert legibility(extracted) is Legibility.UNREADABLE
    (reading,) = readings_of([(extracted, AttachmentKind.APPLICATION_FORM)])
    assert reading.source == "soknadsskjema.pdf could not be opened: corrupt"


def test_readable_form_pdf_is_read_and_named_as_the_source() -> None:
    extracted = extract_attachment(
        "soknadsskjema.pdf", "application/pdf", form_pdf(), ExtractionLimits()
    )
    assert legibility(extracted) is Legibility.READ
    (reading,) = readings_of([(extracted, AttachmentKind.APPLICATION_FORM)])
    assert reading.source == "content of soknadsskjema.pdf (page 1)"


def test_unreadable_form_satisfies_nothing_and_is_asked_for_again_by_name() -> None:
    form = text_file("soknadsskjema.pdf", "", error="encrypted PDF: no password")
    dpia = text_file("DPIA_endelig.pdf", DPIA_TEXT, pages=3)
    files = [(form, AttachmentKind.APPLICATION_FORM), (dpia, AttachmentKind.DPIA), VARIABLES]
    settled = settle(
        readings_of(files), Category.NEW_APPLICATION, present_of(files), frozenset(), REQUIREMENTS
    )
    assert settled.missing == ("application_form",)
    assert settled.to_check == ()
    assert settled.notes == (
        ItemNote("application_form", NoteReason.UNREADABLE, "soknadsskjema.pdf"),
    )
    assert ("dpia", "content of DPIA_endelig.pdf (pages 1–3)") in settled.sources
    assert (
        "application_form",
        "soknadsskjema.pdf could not be opened: encrypted",
    ) in settled.sources


def test_unreadable_copy_beside_a_readable_form_asks_for_nothing() -> None:
    broken = text_file("soknadsskjema (1).pdf", "", error="damaged PDF: PDFium cannot parse it")
    form = text_file("soknadsskjema.pdf", FORM_TEXT, pages=1)
    dpia = text_file("dpia.pdf", DPIA_TEXT, pages=1)
    files = [
        (broken, AttachmentKind.APPLICATION_FORM),
        (form, AttachmentKind.APPLICATION_FORM),
        (dpia, AttachmentKind.DPIA),
        VARIABLES,
    ]
    settled = settle(
        readings_of(files), Category.NEW_APPLICATION, present_of(files), frozenset(), REQUIREMENTS
    )
    assert settled.missing == ()
    assert settled.notes == ()


def test_poor_scan_of_the_form_is_to_check_not_missing() -> None:
    scan = text_file("soknadsskjema.pdf", POOR_OCR, pages=2, scanned=True, ocr=True)
    dpia = text_file("dpia.pdf", DPIA_TEXT, pages=1)
    files = [(scan, AttachmentKind.APPLICATION_FORM), (dpia, AttachmentKind.DPIA), VARIABLES]
    assert legibility(scan) is Legibility.POOR_SCAN
    settled = settle(
        readings_of(files), Category.NEW_APPLICATION, present_of(files), frozenset(), REQUIREMENTS
    )
    assert settled.missing == ()
    assert settled.to_check == ("application_form",)
    assert settled.notes == (
        ItemNote("application_form", NoteReason.POOR_SCAN, "soknadsskjema.pdf"),
    )


def test_unnamed_scan_without_ocr_is_to_check_when_the_mail_says_it_is_the_form() -> None:
    scan = text_file("scan001.pdf", "", pages=1, scanned=True)
    files = [(scan, AttachmentKind.OTHER), VARIABLES]
    mail = "Hei,\nvedlagt er utfylt søknadsskjema og variabelliste. DPIA kommer senere."
    settled = settle(
        readings_of(files, mail),
        Category.NEW_APPLICATION,
        present_of(files),
        frozenset(),
        REQUIREMENTS,
    )
    assert settled.to_check == ("application_form",)
    assert settled.missing == ("dpia",)


def test_signature_logo_is_never_taken_for_the_form_the_mail_mentions() -> None:
    logo = text_file("image001.png", "", format="image", scanned=True)
    files = [(logo, AttachmentKind.OTHER), VARIABLES]
    mail = "Vedlagt er søknadsskjema og DPIA."
    settled = settle(
        readings_of(files, mail),
        Category.NEW_APPLICATION,
        present_of(files),
        frozenset(),
        REQUIREMENTS,
    )
    assert settled.to_check == ()
    assert settled.missing == ("application_form", "dpia")


def test_good_scan_satisfies_the_form_with_its_ocr_as_the_source() -> None:
    scan = text_file("Skann_20250114.pdf", GOOD_OCR, pages=2, scanned=True, ocr=True)
    dpia = text_file("dpia.pdf", DPIA_TEXT, pages=1)
    files = [(scan, AttachmentKind.APPLICATION_FORM), (dpia, AttachmentKind.DPIA), VARIABLES]
    assert legibility(scan) is Legibility.READ
    settled = settle(
        readings_of(files), Category.NEW_APPLICATION, present_of(files), frozenset(), REQUIREMENTS
    )
    assert settled.missing == ()
    assert settled.to_check == ()
    assert (
        "application_form",
        "OCR text of the scan Skann_20250114.pdf (pages 1–2)",
    ) in settled.sources


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("encrypted Office file: password-protected (no password)", "encrypted"),
        ("truncated PDF: file ends without %%EOF after 0.1 MB", "corrupt"),
        ("empty file (0 bytes)", "empty"),
        ("unsupported legacy Office 97-2003 file (.doc/.xls): ask for DOCX", "in a format"),
    ],
)
def test_unopened_file_reason_is_said_in_a_few_words(error: str, reason: str) -> None:
    (reading,) = readings_of([(text_file("dpia.docx", "", error=error), AttachmentKind.DPIA)])
    assert reading.legibility is Legibility.UNREADABLE
    assert reason in reading.source


def test_encrypted_form_in_a_whole_mail_is_missing_not_counted(context: TriageContext) -> None:
    raw = make_mail(
        "Hei,\n\nVedlagt er søknadsskjema, DPIA og variabelliste for prosjektet "
        "Levekår blant unge i Bergen.\n\nMed hilsen\nKari Nordmann\nBergen kommune\n",
        attachments=[
            ("soknadsskjema.pdf", "application/pdf", form_pdf(password="hemmelig")),
            ("dpia.txt", "text/plain", DPIA_TEXT.encode()),
            (
                "variabelliste.txt",
                "text/plain",
                "Variabelliste – oversikt over variabler som bestilles:\n"
                "Variabelnavn: BEFOLKNING_KJOENN, INNTEKT_WLONN, årganger 2015–2023\n".encode(),
            ),
        ],
    )
    verdict = triage(raw, "encrypted.eml", context)
    assert verdict.category is Category.NEW_APPLICATION
    assert "application_form" in verdict.missing
    assert "application_form" not in verdict.provided
