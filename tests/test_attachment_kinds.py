"""A file name never outvotes a file's content: what was read decides the kind."""

from __future__ import annotations

from bot.attachment_kinds import judge_attachment
from bot.readability import Legibility, legibility
from bot.rules import Rules, load_rules
from bot.verdict import AttachmentKind
from parsers.attachments import AttachmentText

RULES: Rules = load_rules()

INVOICE = (
    "Kontorservice Norge AS\nOrg.nr. 992 889 551 MVA\nFaktura 70935\n"
    "Kunde: Statistisk sentralbyrå\nFakturadato: 07.06.2025\nForfallsdato: 21.06.2025\n"
    "Kopipapir A4, 10 esker            2 450,00\nToner HP 305A                     1 890,00\n"
    "Sum eks. mva 4 340,00   MVA 25 % 1 085,00   Å betale 5 425,00\nKID: 0070935123\n"
)
PROJECT_DESCRIPTION = (
    "Prosjektbeskrivelse: Levekår blant unge i Bergen\n\n"
    "Kommunen ønsker kunnskap om hvordan unge mellom 16 og 25 år bruker kommunale tjenester, "
    "og hvilke grupper som faller utenfor skole, arbeid og opplæring. Prosjektet skal gi et "
    "grunnlag for å prioritere tiltak i oppvekstplanen for perioden 2026–2029, og resultatene "
    "legges fram for bystyret høsten 2026.\n\nData og analyse\nRegisterdata om utdanning, "
    "inntekt og bosted kobles på individnivå. Resultater publiseres kun på aggregert nivå, og "
    "celler med færre enn fem personer prikkes.\n\nOrganisering\nProsjektleder er Kari "
    "Nordmann, seniorrådgiver i Bergen kommune.\n"
)
DPIA_TEXT = (
    "Personvernkonsekvensutredning (DPIA)\nProsjekt: Levekår blant unge i Bergen\n"
    "Risikovurdering: risiko for de registrertes rettigheter er lav etter tiltak. "
    "Personvernombudet er rådspurt, og data lagres på en lukket forskningsserver.\n"
)


def kind_of(filename: str, text: str, **extra: object) -> AttachmentKind:
    fmt = extra.pop("format", "text")
    attachment = AttachmentText(filename, "application/octet-stream", fmt, text, **extra)  # type: ignore[arg-type]
    return judge_attachment(attachment, RULES, "").kind


def test_invoice_named_dpia_is_no_dpia() -> None:
    assert kind_of("dpia.txt", INVOICE) is AttachmentKind.OTHER


def test_invoice_is_no_signed_offer_for_its_vat_line() -> None:
    assert kind_of("Faktura_70935.pdf", INVOICE, format="pdf") is AttachmentKind.OTHER


def test_project_description_named_as_the_form_is_documentation() -> None:
    assert (
        kind_of("soknadsskjema.pdf", PROJECT_DESCRIPTION, format="pdf")
        is AttachmentKind.DOCUMENTATION
    )


def test_dpia_with_a_plain_name_is_still_a_dpia() -> None:
    assert kind_of("vedlegg2.pdf", DPIA_TEXT, format="pdf") is AttachmentKind.DPIA


def test_name_tips_the_balance_between_kinds_the_content_supports() -> None:
    text = (
        "Prosjektbeskrivelse med risikovurdering\nMetode: registerdata kobles på individnivå. "
        "Risikovurdering: lav risiko etter tiltak, data lagres på lukket server.\n" * 3
    )
    assert kind_of("dpia.pdf", text, format="pdf") is AttachmentKind.DPIA
    assert kind_of("prosjektbeskrivelse.pdf", text, format="pdf") is AttachmentKind.DOCUMENTATION


def test_too_little_text_to_judge_leaves_the_name_its_say() -> None:
    assert kind_of("dpia.txt", "DPIA for prosjektet, se over.") is AttachmentKind.DPIA


def test_corrupt_form_keeps_the_kind_its_name_gives_but_cannot_be_read() -> None:
    broken = AttachmentText(
        "soknadsskjema.pdf",
        "application/pdf",
        "pdf",
        "",
        error="truncated PDF: file ends without %%EOF after 0.0 MB",
    )
    assert judge_attachment(broken, RULES, "").kind is AttachmentKind.APPLICATION_FORM
    assert legibility(broken) is Legibility.UNREADABLE


def test_a_meeting_notice_about_the_dpia_named_as_the_dpia_is_no_dpia() -> None:
    notice = (
        "Innkalling til møte\nTema: Utkast til DPIA for prosjektet\nTid: Tysdag 23.09.2025 "
        "kl. 10–11\nStad: Christies gate 13, rom 215\nPersonvernombodet går gjennom kva "
        "DPIA-en må innehalde. Utkastet vert sendt ut etter møtet.\n"
    )
    assert kind_of("DPIA_utkast.pdf", notice) is AttachmentKind.OTHER


def test_an_updated_project_description_written_in_a_template_with_fields_is_documentation() -> (
    None
):
    """threads4 t11: the heading names what the file is, though its template has fields."""
    from parsers.attachments import FormField

    labels = ["Prosjekttittel:", "Saksnummer hjå SSB:", "Institusjon:", "Organisasjonsnummer:"]
    values = ["Lærarmobilitet i distrikta", "24/02755", "Høgskulen på Vestlandet", "917641404"]
    fields = tuple(
        FormField(k, v, None, "content_control") for k, v in zip(labels, values, strict=True)
    )
    fields += (FormField("Endring:", "Forlenging av prosjektperioden.", None, "content_control"),)
    text = (
        "Oppdatert prosjektskildring – endringssøknad\n"
        + "\n".join(f"{k} {v}" for k, v in zip(labels, values, strict=True))
        + "\nEndring: Forlenging av prosjektperioden frå 2025 til 2027, og to nye årgangar.\n"
    )
    text += "Føremål, metode og lagring i TSD er uendra. Personvernombodet er orientert.\n"
    kind = kind_of("prosjektskildring_oppdatert.docx", text, format="docx", form_fields=fields)
    assert kind is AttachmentKind.DOCUMENTATION
