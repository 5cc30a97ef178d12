"""Requirement decisions read from a form's answers, never from the words of its questions."""

from __future__ import annotations

import io

import docx
import pytest

from bot.form_answers import Answer, Question, answer_of, question_of
from bot.rules import load_rules
from bot.triage import TriageContext, _present_items, check_offer, extract_fields, read_mail, triage
from bot.verdict import ItemNote, NoteReason, Verdict
from parsers.attachments import FormField
from tests.conftest import make_mail

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SIGNALS = load_rules().signals
WORDS = load_rules().form_answers
IDENT_QUESTION = (
    "Ber dere om spesielt identifiserende opplysninger, f.eks. grunnkrets, postnummer "
    "eller fødselsdato?"
)
DPIA_QUESTION = "Er det gjennomført en DPIA (personvernkonsekvensutredning)?"
BODY = "Hei,\n\nVedlagt er søknad om tilgang til mikrodata med skjema og variabler.\n\nHilsen Kari"
SCRIPT = (
    "skript.txt",
    "text/plain",
    b"require no.ssb.fdb:31 as db\ncreate-dataset utvalg\n"
    b"import db/BEFOLKNING_KJOENN as kjonn\nimport db/INNTEKT_WLONN 2022-12-31 as lonn\n",
)
DPIA_DOC = (
    "DPIA.txt",
    "text/plain",
    "Personvernkonsekvensutredning (DPIA) for prosjektet Levekår i Bergen\n"
    "Beskrivelse av behandlingen, risikovurdering og tiltak. Restrisikoen er lav.\n".encode(),
)


def form_docx(rows: list[tuple[str, str]], title: str = "Søknadsskjema – mikrodata") -> bytes:
    """An application form as a two-column Word table, the way many applicants fill it in."""
    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph("Søknad om tilgang til mikrodata fra SSB. Prosjekt: Levekår i Bergen.")
    table = document.add_table(rows=0, cols=2)
    for question, answer in [("Prosjekttittel", "Levekår i Bergen"), *rows]:
        cells = table.add_row().cells
        cells[0].text = question
        cells[1].text = answer
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def verdict_for(
    context: TriageContext,
    form: bytes | None,
    *more: tuple[str, str, bytes],
    body: str = BODY,
    form_name: str = "Søknadsskjema.docx",
) -> Verdict:
    attachments = ([(form_name, DOCX, form)] if form is not None else []) + list(more)
    raw = make_mail(body, attachments=attachments)
    return triage(raw, "test.eml", context)


def sources(verdict: Verdict, what: str) -> list[str]:
    return [where for key, where in verdict.evidence.sources if key == what]


# --- answers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["Nei", "Ingen", "Ikke aktuelt", "N/A", "No", "None", "–", "-", ""]
)
def test_no_words_dashes_and_empty_answers_mean_no(value: str) -> None:
    assert answer_of(FormField(IDENT_QUESTION, value), WORDS) is Answer.NO


def test_an_unticked_box_means_no_and_a_ticked_nei_box_too() -> None:
    assert answer_of(FormField(IDENT_QUESTION, "Ja", checked=False), WORDS) is Answer.NO
    assert answer_of(FormField(IDENT_QUESTION, "Nei", checked=True), WORDS) is Answer.NO
    assert answer_of(FormField(IDENT_QUESTION, "Ja", checked=True), WORDS) is Answer.YES


def test_questions_are_told_apart_by_their_labels_whatever_the_field_naming() -> None:
    def asked(label: str) -> Question:
        return question_of(FormField(label, ""), SIGNALS, WORDS)

    assert asked(IDENT_QUESTION) is Question.IDENTIFYING
    assert asked("sarligIdentifiserende_variabler") is Question.IDENTIFYING
    assert asked("Grunnkrets") is Question.VARIABLE
    assert asked("Begrunnelse for bruk av grunnkrets") is Question.JUSTIFICATION
    assert asked("Personvernkonsekvensutrednin g (DPIA)") is Question.DPIA
    assert asked("Prosjekttittel") is Question.OTHER


# --- identifying variables --------------------------------------------------------------------


def test_no_to_the_identifying_question_asks_for_nothing_though_its_label_names_them(
    context: TriageContext,
) -> None:
    verdict = verdict_for(context, form_docx([(IDENT_QUESTION, "Nei")]), SCRIPT, DPIA_DOC)
    assert verdict.category.value == "new_application"
    assert "identifying_variables_requested" not in verdict.conditions
    assert verdict.missing == ()
    assert any(
        "form answer 'Nei' to 'Ber dere om spesielt" in where and "Søknadsskjema.docx" in where
        for where in sources(verdict, "condition:identifying_variables_requested")
    )


def test_yes_with_named_variables_and_no_justification_asks_for_one(
    context: TriageContext,
) -> None:
    form = form_docx([(IDENT_QUESTION, "Ja: grunnkrets og postnummer")])
    verdict = verdict_for(context, form, SCRIPT, DPIA_DOC)
    assert "identifying_variables_requested" in verdict.conditions
    assert verdict.missing == ("identifying_variables_justification",)
    assert any(
        where.startswith("requested: form answer 'Ja: grunnkrets og postnummer'")
        for where in sources(verdict, "condition:identifying_variables_requested")
    )


def test_a_filled_justification_field_justifies_them(context: TriageContext) -> None:
    form = form_docx(
        [
            (IDENT_QUESTION, "Ja, grunnkrets"),
            (
                "Begrunnelse for særlig identifiserende variabler",
                "Grunnkrets trengs for å sammenligne levekår mellom nabolag i kommunen.",
            ),
        ]
    )
    verdict = verdict_for(context, form, SCRIPT, DPIA_DOC)
    assert "identifying_variables_requested" in verdict.conditions
    assert verdict.missing == ()
    assert sources(verdict, "provided:identifying_justification")


def test_a_justification_field_that_only_lists_the_variables_justifies_nothing(
    context: TriageContext,
) -> None:
    form = form_docx(
        [("Especially identifying variables – justification", "Grunnkrets, see the script.")]
    )
    verdict = verdict_for(context, form, SCRIPT, DPIA_DOC)
    assert verdict.missing == ("identifying_variables_justification",)


def test_ticked_boxes_for_identifying_variables_are_a_request(context: TriageContext) -> None:
    form_text = (
        "Søknadsskjema – tilgang til mikrodata\n"
        "Prosjekttittel: Levekår i Bergen\n"
        "Hvilke variabler ønskes?\n"
        "☒ Kjønn\n☒ Grunnkrets\n☐ Fødselsdato\n"
    ).encode()
    verdict = verdict_for(
        context, None, ("soknadsskjema.txt", "text/plain", form_text), SCRIPT, DPIA_DOC
    )
    assert "identifying_variables_requested" in verdict.conditions
    assert any(
        "ticked box 'Grunnkrets'" in where
        for where in sources(verdict, "condition:identifying_variables_requested")
    )


def test_a_ticked_grunnkrins_in_nynorsk_is_a_request(context: TriageContext) -> None:
    """SSB's nynorsk word for grunnkrets is "grunnkrins" (threads3 t03)."""
    form_text = (
        "Søknadsskjema – tilgang til mikrodata\n"
        "Prosjekttittel: Busetjing i Sunnfjord\n"
        "Kva variablar ønskjer de?\n"
        "☒ Kjønn\n☒ Grunnkrins (bustad)\n☐ Fødedato\n"
    ).encode()
    verdict = verdict_for(
        context, None, ("soknadsskjema.txt", "text/plain", form_text), SCRIPT, DPIA_DOC
    )
    assert "identifying_variables_requested" in verdict.conditions
    assert "identifying_variables_justification" in verdict.missing


def test_unticked_boxes_and_a_ticked_nei_ask_for_nothing(context: TriageContext) -> None:
    form_text = (
        "Søknadsskjema – tilgang til mikrodata\n"
        "Prosjekttittel: Levekår i Bergen\n"
        "Særlig identifiserende variabler (grunnkrets, postnummer, fødselsdato): Ja ☐ Nei ☒\n"
        "Grunnkrets [ ]   \n"
        "Variabler: ☐ Postnummer ☒ Kjønn\n"
    ).encode()
    verdict = verdict_for(
        context, None, ("soknadsskjema.txt", "text/plain", form_text), SCRIPT, DPIA_DOC
    )
    assert "identifying_variables_requested" not in verdict.conditions
    assert verdict.missing == ()


def test_a_form_typed_into_the_body_is_read_as_answers(context: TriageContext) -> None:
    body = (
        "Hei,\n\nHer er søknaden vår om mikrodata, skrevet rett i e-posten:\n\n"
        "Prosjekttittel: Levekår i Bergen\n"
        "Særlig identifiserende variabler (grunnkrets, postnummer, full fødselsdato): Ingen\n"
        "DPIA: se vedlegg\n\nHilsen Kari Nordmann"
    )
    form = form_docx([("Formål", "Statistikk om levekår")])
    verdict = verdict_for(context, form, SCRIPT, DPIA_DOC, body=body)
    assert "identifying_variables_requested" not in verdict.conditions
    assert any(
        where.startswith("not requested: form answer 'Ingen' to 'Særlig identifiserende")
        and where.endswith("in mail body")
        for where in sources(verdict, "condition:identifying_variables_requested")
    )


def test_a_form_without_recognisable_fields_is_still_read_as_prose(
    context: TriageContext,
) -> None:
    document = docx.Document()
    document.add_heading("Søknadsskjema – mikrodata", level=1)
    document.add_paragraph(
        "Vi søker om tilgang til mikrodata for prosjektet Levekår i Bergen. Vi trenger "
        "grunnkrets for alle bosatte i perioden 2015-2023."
    )
    buffer = io.BytesIO()
    document.save(buffer)
    verdict = verdict_for(context, buffer.getvalue(), SCRIPT, DPIA_DOC)
    assert "identifying_variables_requested" in verdict.conditions


# --- DPIA ---------------------------------------------------------------------------------------


def test_a_dpia_the_form_says_is_attached_but_is_not_stays_missing_with_a_note(
    context: TriageContext,
) -> None:
    form = form_docx([(IDENT_QUESTION, "Nei"), (DPIA_QUESTION, "Ja, vedlagt")])
    verdict = verdict_for(context, form, SCRIPT)
    assert verdict.missing == ("dpia",)
    assert verdict.notes == (ItemNote("dpia", NoteReason.NOT_ATTACHED, "Søknadsskjema.docx"),)
    assert sources(verdict, "claimed:dpia")


def test_a_dpia_the_form_says_is_attached_and_is_carries_no_note(
    context: TriageContext,
) -> None:
    form = form_docx([(IDENT_QUESTION, "Nei"), (DPIA_QUESTION, "Vedlagt")])
    verdict = verdict_for(context, form, SCRIPT, DPIA_DOC)
    assert verdict.missing == ()
    assert verdict.notes == ()


def test_a_written_reason_why_no_dpia_is_needed_is_an_exemption(context: TriageContext) -> None:
    form = form_docx(
        [
            (IDENT_QUESTION, "Nei"),
            (
                "Personvernkonsekvensutredning (DPIA) eller begrunnelse for hvorfor DPIA ikke er "
                "nødvendig",
                "Ikke nødvendig fordi dataene er avidentifiserte og bare aggregerte tall publiseres.",
            ),
        ]
    )
    verdict = verdict_for(context, form, SCRIPT)
    assert verdict.missing == ()
    assert "text:dpia_exemption" in verdict.provided
    assert sources(verdict, "provided:dpia_exemption")


def test_the_dpia_questions_own_words_are_no_exemption(context: TriageContext) -> None:
    form = form_docx(
        [
            (IDENT_QUESTION, "Nei"),
            ("DPIA eller begrunnelse for hvorfor DPIA ikke er nødvendig", ""),
            ("DPIA ikke nødvendig (kryss av)", "☐"),
        ]
    )
    verdict = verdict_for(context, form, SCRIPT)
    assert verdict.missing == ("dpia",)
    assert verdict.notes == ()


# --- what the lead wires into the verdict ----------------------------------------------------------


def test_a_mail_with_a_form_decides_the_cases_conditions(context: TriageContext) -> None:
    with_form = read_mail(
        make_mail(BODY, attachments=[("Søknadsskjema.docx", DOCX, form_docx([]))]), context
    )
    without = read_mail(make_mail(BODY, attachments=[DPIA_DOC]), context)
    rules = context.rules
    assert _present_items(
        with_form, extract_fields(with_form, rules), rules, check_offer(with_form, rules)
    ).decides_conditions
    assert not _present_items(
        without, extract_fields(without, rules), rules, check_offer(without, rules)
    ).decides_conditions


def test_a_dpia_a_form_in_the_body_says_is_attached_is_noted_without_a_file(
    context: TriageContext,
) -> None:
    body = (
        "Hei,\n\nSøknad om mikrodata for prosjektet Levekår i Bergen.\n\n"
        "Særlig identifiserende variabler: Nei\nDPIA: Vedlagt\n\nHilsen Kari Nordmann"
    )
    verdict = verdict_for(context, form_docx([]), SCRIPT, body=body)
    assert verdict.missing == ("dpia",)
    assert verdict.notes == (ItemNote("dpia", NoteReason.NOT_ATTACHED, None),)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Especially identifying variables (basic statistical unit, postcode, birth date)", "No"),
        ("Særleg identifiserande variablar (grunnkrets, postnummer, fødselsdato)", "Ikkje aktuelt"),
        ("Identifiable variables requested (postcode / date of death)?", "N/A"),
        ("Grunnkrets", ""),
    ],
)
def test_no_in_english_nynorsk_and_empty_rows_asks_for_nothing(
    context: TriageContext, question: str, answer: str
) -> None:
    verdict = verdict_for(context, form_docx([(question, answer)]), SCRIPT, DPIA_DOC)
    assert "identifying_variables_requested" not in verdict.conditions


def test_a_fillable_pdf_is_decided_from_its_acroform_answers(context: TriageContext) -> None:
    from tests.parsers.test_forms import acroform_pdf

    raw = make_mail(BODY, attachments=[("Søknadsskjema.pdf", "application/pdf", acroform_pdf())])
    verdict = triage(raw, "test.eml", context)
    condition = sources(verdict, "condition:identifying_variables_requested")
    # the radio group answers "Nei"; the ticked "postnummer" box asks for it all the same
    assert any(w.startswith("not requested: unticked box 'Ja'") for w in condition)
    assert any(
        w == "requested: ticked box 'Ja' to 'postnummer' in Søknadsskjema.pdf, page 1"
        for w in condition
    )
    assert "identifying_variables_requested" in verdict.conditions


def test_an_x_by_nei_in_a_table_of_option_rows_asks_for_nothing(
    context: TriageContext,
) -> None:
    """A Word form whose yes/no options are rows with a mark column: the "Ja" printed
    beside the question is an option, not the answer."""
    document = docx.Document()
    document.add_heading("Søknadsskjema – mikrodata", level=1)
    table = document.add_table(rows=0, cols=3)
    for cells in (
        ["Prosjekttittel", "Levekår i Bergen", ""],
        ["Formål", "Statistikk om levekår", ""],
        [IDENT_QUESTION, "Ja", ""],
        ["", "Nei", "X"],
        ["Hvis ja: begrunnelse for behovet", "", ""],
    ):
        row = table.add_row().cells
        for cell, text in zip(row, cells, strict=True):
            cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    verdict = verdict_for(context, buffer.getvalue(), SCRIPT, DPIA_DOC)
    assert "identifying_variables_requested" not in verdict.conditions
    assert verdict.missing == ()


def test_a_form_in_an_html_table_in_the_body_is_the_application_form(
    context: TriageContext,
) -> None:
    cells = [
        ("Prosjekttittel", "Arbeidsreiser i by og land", ""),
        ("Formål", "Beskrive arbeidsreiser som grunnlag for transportplanen", ""),
        ("Organisasjonsnummer", "971032081", ""),
        ("Kontaktperson", "Kari Anne Mjøs", ""),
        (IDENT_QUESTION, "Ja", ""),
        ("", "Nei", "X"),
    ]
    rows = "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in row if c or row[0]) + "</tr>" for row in cells
    )
    html = (
        "<html><body><p>Hei! Søknaden er fylt ut direkte i e-posten.</p>"
        f"<table>{rows}</table><p>Hilsen Kari</p></body></html>"
    )
    raw = make_mail("", html=html, attachments=[SCRIPT, DPIA_DOC])
    verdict = triage(raw, "test.eml", context)
    assert verdict.category.value == "new_application"
    assert "identifying_variables_requested" not in verdict.conditions
    assert verdict.missing == ()


def test_a_reason_under_the_senders_own_heading_in_the_mail_justifies(
    context: TriageContext,
) -> None:
    """blind6: "Begrunnelse for grunnkrets: Avstand mellom bosted og fastlegekontor er selve
    / utfallsvariabelen …": the heading is the sender's, the reason runs over lines."""
    body = (
        "Hei,\n\nVedlagt søknadsskjema og skript.\n\nBegrunnelse for grunnkrets: Avstand "
        "mellom bosted og legekontor er selve\nutfallsvariabelen i prosjektet, og kan bare "
        "beregnes på grunnkretsnivå.\n\nHilsen Aslak"
    )
    form = form_docx([(IDENT_QUESTION, "Ja, grunnkrets")])
    assert verdict_for(context, form, SCRIPT, DPIA_DOC, body=body).missing == ()


def test_a_justification_said_to_be_attached_is_asked_for_when_none_is(
    context: TriageContext,
) -> None:
    body = (
        "Dear SSB,\n\nEspecially identifying variables: yes, full date of birth (see attached "
        "justification).\n\nBest regards,\nClaire"
    )
    form = form_docx([(IDENT_QUESTION, "Ja – full fødselsdato, se vedlegg")])
    verdict = verdict_for(context, form, SCRIPT, DPIA_DOC, body=body)
    assert verdict.missing == ("identifying_variables_justification",)


def test_a_level_asked_for_in_the_mail_asks_for_the_identifying_variable(
    context: TriageContext,
) -> None:
    """blind6: "bosted på postnummernivå" asks for postnummer as surely as the word itself."""
    body = (
        "Hei,\n\nVi søker om tilgang til mikrodata. Vi trenger inntekt for husholdninger og "
        "bosted på postnummernivå for årene 2018–2023.\n\nHilsen Siri"
    )
    verdict = verdict_for(context, form_docx([]), SCRIPT, DPIA_DOC, body=body)
    assert "identifying_variables_requested" in verdict.conditions
