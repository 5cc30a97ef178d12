"""Forms read as question → answer pairs: text lines, glyphs, tables, AcroForm, DOCX controls."""

from __future__ import annotations

import io
import pickle

import docx
from docx.oxml.parser import parse_xml

from parsers.attachments import ExtractionLimits, FormField, extract_attachment
from parsers.forms import MAX_FIELDS, merge, read_text
from tests.hostile.inputs import pdf_from_objects, stream

LIMITS = ExtractionLimits()
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
IDENT = "Særlig identifiserende variabler (grunnkrets, postnummer, fødselsdato)"


def pairs(fields: list[FormField] | tuple[FormField, ...]) -> list[tuple[str, str, bool | None]]:
    return [(f.label, f.value, f.checked) for f in fields]


# --- lines and glyphs ---------------------------------------------------------------------


def test_label_value_line_keeps_the_question_apart_from_its_answer() -> None:
    assert pairs(read_text(f"{IDENT}: Nei")) == [(IDENT, "Nei", None)]


def test_table_row_is_question_cell_then_answer_cell() -> None:
    fields = read_text("Prosjekttittel | Levekår blant unge\nDatabehandler | Nei, ingen", page=2)
    assert pairs(fields) == [
        ("Prosjekttittel", "Levekår blant unge", None),
        ("Databehandler", "Nei, ingen", None),
    ]
    assert {(f.origin, f.page) for f in fields} == {("table", 2)}


def test_an_x_in_a_table_cell_is_a_ticked_box_and_an_empty_box_is_not() -> None:
    text = "GRUNNKRETS | Grunnkrets for bostedsadresse | 2015-2023 | X\nPostnummer | ☐"
    assert pairs(read_text(text)) == [
        ("GRUNNKRETS | Grunnkrets for bostedsadresse | 2015-2023", "X", True),
        ("Postnummer", "", False),
    ]


def test_boxes_below_a_question_belong_to_that_question() -> None:
    text = "Hvilke variabler ønskes?\n☒ Kjønn\n☑ Grunnkrets\n☐ Fødselsdato"
    assert pairs(read_text(text)) == [
        ("Hvilke variabler ønskes?", "Kjønn", True),
        ("Hvilke variabler ønskes?", "Grunnkrets", True),
        ("Hvilke variabler ønskes?", "Fødselsdato", False),
    ]


def test_yes_no_boxes_after_their_labels_on_the_question_line() -> None:
    assert pairs(read_text(f"{IDENT}: Ja ☐ Nei ☒")) == [(IDENT, "Ja", False), (IDENT, "Nei", True)]


def test_bracket_and_parenthesis_boxes_in_either_order() -> None:
    text = "DPIA: [x] Vedlagt [ ] Ikke nødvendig\nKobling med egne data?\n( ) Ja (X) Nei"
    assert pairs(read_text(text)) == [
        ("DPIA", "Vedlagt", True),
        ("DPIA", "Ikke nødvendig", False),
        ("Kobling med egne data?", "Ja", False),
        ("Kobling med egne data?", "Nei", True),
    ]


def test_a_question_line_takes_the_next_line_as_answer_except_in_a_mail_body() -> None:
    text = "Er DPIA gjennomført?\nJa, den er vedlagt"
    assert pairs(read_text(text)) == [("Er DPIA gjennomført?", "Ja, den er vedlagt", None)]
    assert read_text(text, answer_lines=False) == []


def test_an_empty_label_line_is_an_empty_answer() -> None:
    assert pairs(read_text("Begrunnelse:\n\nSted og dato: Bergen, 3. mars 2025")) == [
        ("Begrunnelse", "", None),
        ("Sted og dato", "Bergen, 3. mars 2025", None),
    ]


def test_urls_times_and_sentences_with_a_glyph_are_not_fields() -> None:
    text = (
        "Se https://www.ssb.no/mikrodata for mer\n"
        "Møtet er kl. 10:30 i morgen.\n"
        "Vi har krysset av ☒ for grunnkrets i lista."
    )
    assert read_text(text) == []


def test_reading_is_bounded() -> None:
    fields = read_text("\n".join(f"Felt {n}: verdi {n}" for n in range(MAX_FIELDS + 50)))
    assert len(fields) == MAX_FIELDS


def test_merge_keeps_each_answer_once_in_order() -> None:
    first = FormField("Prosjekt", "Levekår", None, "acroform", 1)
    again = FormField("prosjekt", "levekår", None, "line", 1)
    other = FormField("DPIA", "Vedlagt", None, "line", 2)
    assert merge([first], [again, other]) == (first, other)


# --- plain text, PDF, DOCX --------------------------------------------------------------


def test_text_attachment_fields_survive_pickling_for_the_worker_process() -> None:
    payload = f"Søknad om mikrodata\n{IDENT}: Ingen\nDPIA: Vedlagt\n".encode()
    result = extract_attachment("skjema.txt", "text/plain", payload, LIMITS)
    assert pairs(result.form_fields) == [(IDENT, "Ingen", None), ("DPIA", "Vedlagt", None)]
    assert pickle.loads(pickle.dumps(result)) == result


def test_pdf_ruled_table_rows_become_fields_with_their_page() -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    pdf.multi_cell(0, 6, "Søknadsskjema - tilgang til mikrodata. Side 1 har ingen spørsmål.")
    pdf.add_page()
    with pdf.table(col_widths=(60, 100), first_row_as_headings=False) as table:
        for question, answer in (
            ("Særlig identifiserende variabler (grunnkrets, postnummer)", "Nei"),
            ("DPIA eller begrunnelse for hvorfor DPIA ikke er nødvendig", "Vedlagt"),
            ("Databehandler", "Ingen"),
        ):
            row = table.row()
            row.cell(question)
            row.cell(answer)
    result = extract_attachment("Søknad.pdf", "application/pdf", bytes(pdf.output()), LIMITS)
    table_fields = [f for f in result.form_fields if f.origin == "table"]
    assert pairs(table_fields) == [
        ("Særlig identifiserende variabler (grunnkrets, postnummer)", "Nei", None),
        ("DPIA eller begrunnelse for hvorfor DPIA ikke er nødvendig", "Vedlagt", None),
        ("Databehandler", "Ingen", None),
    ]
    assert {f.page for f in table_fields} == {2}


def test_pdf_label_value_lines_and_boxes_in_the_text_layer() -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    for line in (
        "Soknad om tilgang til mikrodata fra SSB",
        "Organisasjonsnummer: 974760673",
        "Spesielt identifiserende opplysninger (postnummer, fodselsdato)?",
        "[ ] Ja   [x] Nei",
    ):
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    result = extract_attachment("skjema.pdf", "application/pdf", bytes(pdf.output()), LIMITS)
    question = "Spesielt identifiserende opplysninger (postnummer, fodselsdato)?"
    assert pairs(result.form_fields) == [
        ("Organisasjonsnummer", "974760673", None),
        (question, "Ja", False),
        (question, "Nei", True),
    ]
    assert {f.page for f in result.form_fields} == {1}


def acroform_pdf() -> bytes:
    """A fillable form: text, checkbox, radio group, choice, an empty and a signed signature."""
    widget = b"/Type /Annot /Subtype /Widget /P 3 0 R /Rect [72 600 90 618]"
    on_off = b"/AP << /N << /%s 14 0 R /Off 14 0 R >> >>"
    label = "Særlig identifiserende variabler (grunnkrets, postnummer)?".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields "
        b"[5 0 R 6 0 R 7 0 R 10 0 R 11 0 R 12 0 R] >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Annots [5 0 R 6 0 R 8 0 R 9 0 R 10 0 R 11 0 R 12 0 R] "
        b"/Resources << /Font << /F1 13 0 R >> >> >>",
        stream(
            b"BT /F1 12 Tf 72 780 Td (Soknad om tilgang til mikrodata - utfyllbart skjema) Tj "
            b"0 -20 Td (Fyll ut feltene nedenfor og send skjemaet til SSB.) Tj ET"
        ),
        b"<< /FT /Tx /T (orgnr) /TU (Organisasjonsnummer) /V (974760673) " + widget + b" >>",
        b"<< /FT /Btn /T (postnummer) /V /Ja /AS /Ja " + on_off % b"Ja" + b" " + widget + b" >>",
        b"<< /FT /Btn /Ff 49152 /T (ident) /TU (" + label + b") /V /Nei /Kids [8 0 R 9 0 R] >>",
        b"<< /Parent 7 0 R /AS /Off " + on_off % b"Ja" + b" " + widget + b" >>",
        b"<< /Parent 7 0 R /AS /Nei " + on_off % b"Nei" + b" " + widget + b" >>",
        b"<< /FT /Ch /T (dpia) /TU (DPIA) /V (Vedlagt) /Opt [(Vedlagt) (Ikke aktuelt)] "
        + widget
        + b" >>",
        b"<< /FT /Sig /T (Underskrift) " + widget + b" >>",
        b"<< /FT /Sig /T (Leder) /V 15 0 R " + widget + b" >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 18 18] /Length 0 >>\nstream\n\nendstream",
        b"<< /Type /Sig /Filter /Adobe.PPKLite /Name (Kari Nordmann) >>",
    ]
    return pdf_from_objects(objects)


def test_acroform_fields_of_every_kind_with_their_page() -> None:
    result = extract_attachment("Søknad.pdf", "application/pdf", acroform_pdf(), LIMITS)
    acroform = [f for f in result.form_fields if f.origin == "acroform"]
    question = "Særlig identifiserende variabler (grunnkrets, postnummer)?"
    assert pairs(acroform) == [
        ("Organisasjonsnummer", "974760673", None),
        ("postnummer", "Ja", True),
        (question, "Ja", False),
        (question, "Nei", True),
        ("DPIA", "Vedlagt", None),
        ("Underskrift", "", None),
        ("Leder", "signed", None),
    ]
    assert {f.page for f in acroform} == {1}


def docx_form() -> bytes:
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = IDENT
    table.cell(0, 1).text = "Ikke aktuelt"
    table.cell(1, 0).text = "Databehandler"
    table.cell(1, 1).text = "Ingen"

    def box(alias: str, checked: str, label: str) -> object:
        return parse_xml(
            f'<w:p xmlns:w="{W_NS}" xmlns:w14="{W14_NS}"><w:sdt><w:sdtPr>'
            f'<w:alias w:val="{alias}"/><w14:checkbox><w14:checked w14:val="{checked}"/>'
            "</w14:checkbox></w:sdtPr><w:sdtContent><w:r><w:t>?</w:t></w:r></w:sdtContent>"
            f'</w:sdt><w:r><w:t xml:space="preserve"> {label}</w:t></w:r></w:p>'
        )

    body = document.element.body
    body.insert(1, parse_xml(f'<w:p xmlns:w="{W_NS}"><w:r><w:t>Vedlegg:</w:t></w:r></w:p>'))
    body.insert(2, box("DPIA vedlagt", "1", "DPIA er vedlagt"))
    body.insert(3, box("DPIA ikke nødvendig", "0", "DPIA er ikke nødvendig"))
    body.insert(
        4,
        parse_xml(
            f'<w:p xmlns:w="{W_NS}"><w:r><w:t xml:space="preserve">Prosjektleder: </w:t></w:r>'
            '<w:sdt><w:sdtPr><w:tag w:val="prosjektleder"/></w:sdtPr><w:sdtContent><w:r>'
            "<w:t>Kari Nordmann</w:t></w:r></w:sdtContent></w:sdt></w:p>"
        ),
    )
    body.insert(
        5,
        parse_xml(
            f'<w:p xmlns:w="{W_NS}"><w:r><w:t xml:space="preserve">Begrunnelse: </w:t></w:r>'
            '<w:sdt><w:sdtPr><w:alias w:val="Begrunnelse"/><w:showingPlcHdr/></w:sdtPr>'
            "<w:sdtContent><w:r><w:t>Klikk eller trykk her for å skrive inn tekst.</w:t></w:r>"
            "</w:sdtContent></w:sdt></w:p>"
        ),
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_content_controls_table_rows_and_boxes() -> None:
    result = extract_attachment("soknad.docx", DOCX_TYPE, docx_form(), LIMITS)
    fields = pairs(result.form_fields)
    # named content controls first, by their alias or tag; placeholders are no answer
    assert fields[:4] == [
        ("DPIA vedlagt", "DPIA vedlagt", True),
        ("DPIA ikke nødvendig", "DPIA ikke nødvendig", False),
        ("prosjektleder", "Kari Nordmann", None),
        ("Begrunnelse", "", None),
    ]
    assert (IDENT, "Ikke aktuelt", None) in fields
    assert ("Vedlegg", "DPIA er vedlagt", True) in fields  # the w14 box drawn as ☒ in the text
    assert ("Vedlegg", "DPIA er ikke nødvendig", False) in fields
    assert "Klikk eller trykk" not in result.text


# --- tables whose options stand in rows of their own ------------------------------------


def test_options_in_rows_under_the_question_are_boxes_ticked_where_the_mark_is() -> None:
    from parsers.forms import read_table

    rows = [
        [f"{IDENT}?", "Ja", ""],
        ["", "Nei", "X"],
        ["Organisasjonsnummer", "974760673", ""],
    ]
    assert pairs(read_table(rows)) == [
        (f"{IDENT}?", "Ja", False),
        (f"{IDENT}?", "Nei", True),
        ("Organisasjonsnummer", "974760673", None),
    ]


def test_option_rows_read_from_text_lines_that_lost_their_empty_cells() -> None:
    text = f"{IDENT}? | Ja\nNei | X\nKontaktperson | Kari Nordmann\nGrunnkrets | X\n"
    assert pairs(read_text(text)) == [
        (f"{IDENT}?", "Ja", False),
        (f"{IDENT}?", "Nei", True),
        ("Kontaktperson", "Kari Nordmann", None),
        ("Grunnkrets", "X", True),
    ]


def test_an_html_table_in_a_mail_body_is_read_as_rows() -> None:
    """html2text writes "Label| value|" rows and a "---" rule under the title."""
    text = (
        "Søknad om tilgang til mikrodata  \n---  \n"
        "Virksomhet| Statens vegvesen  \n"
        f"{IDENT}?| Ja|    \nNei| X  \n"
        "Sted og dato| Trondheim, 16.02.2026  \n"
    )
    assert pairs(read_text(text)) == [
        ("Virksomhet", "Statens vegvesen", None),
        (f"{IDENT}?", "Ja", False),
        (f"{IDENT}?", "Nei", True),
        ("Sted og dato", "Trondheim, 16.02.2026", None),
    ]


def test_a_docx_table_with_a_mark_column_keeps_the_unticked_yes_apart() -> None:
    document = docx.Document()
    table = document.add_table(rows=0, cols=3)
    for cells in ([f"{IDENT}?", "Ja", ""], ["", "Nei", "X"]):
        row = table.add_row().cells
        for cell, text in zip(row, cells, strict=True):
            cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    result = extract_attachment("skjema.docx", DOCX_TYPE, buffer.getvalue(), LIMITS)
    answers = [p for p in pairs(result.form_fields) if p[0] == f"{IDENT}?"]
    assert answers == [(f"{IDENT}?", "Ja", False), (f"{IDENT}?", "Nei", True)]


def test_a_grid_of_boxes_keeps_its_place_among_the_tables_rows() -> None:
    from parsers.forms import read_table

    rows = [
        ["Prosjekttittel", "Levekår"],
        ["Ja", "Nei"],
        [f"{IDENT}?", "☐", "☒"],
        ["Kontakt", "Kari"],
    ]
    assert [f.label for f in read_table(rows)] == [
        "Prosjekttittel",
        f"{IDENT}?",
        f"{IDENT}?",
        "Kontakt",
    ]
