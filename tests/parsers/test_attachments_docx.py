"""DOCX extraction: reading order, tables, content controls, headers, bombs and bad packages."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.oxml.parser import parse_xml

from parsers.attachments import AttachmentText, ExtractionLimits, extract_attachment

LIMITS = ExtractionLimits()
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def read(payload: bytes, limits: ExtractionLimits = LIMITS) -> AttachmentText:
    return extract_attachment("soknad.docx", DOCX_TYPE, payload, limits)


def save(document: object) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)  # type: ignore[attr-defined]
    return buffer.getvalue()


def application_docx() -> bytes:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Statistisk sentralbyrå – søknad"
    document.sections[0].footer.paragraphs[0].text = "Side 1"
    document.add_paragraph("Innledning før tabellen")
    table = document.add_table(rows=3, cols=3)
    for row, cells in enumerate([("Variabel", "Periode", "Merknad"), ("kjonn", "2019", "")]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    table.cell(2, 0).text = "inntekt"
    table.cell(2, 1).merge(table.cell(2, 2)).text = "2015–2020"
    nested = table.cell(1, 2).add_table(rows=1, cols=2)
    nested.cell(0, 0).text = "indre"
    nested.cell(0, 1).text = "tabell"
    document.add_paragraph("Avslutning etter tabellen")
    return save(document)


def test_paragraphs_and_tables_come_in_body_order_with_pipe_rows() -> None:
    result = read(application_docx())
    assert result.format == "docx" and result.error is None
    lines = result.text.splitlines()
    assert lines.index("Innledning før tabellen") < lines.index("Variabel | Periode | Merknad")
    assert lines.index("Variabel | Periode | Merknad") < lines.index("Avslutning etter tabellen")
    assert "kjonn | 2019" in lines
    assert "inntekt | 2015–2020" in lines  # a horizontally merged cell is printed once


def test_nested_table_rows_follow_their_outer_row() -> None:
    lines = read(application_docx()).text.splitlines()
    assert lines.index("indre | tabell") == lines.index("kjonn | 2019") + 1


def test_headers_and_footers_are_included_once() -> None:
    result = read(application_docx())
    assert result.text.count("Statistisk sentralbyrå – søknad") == 1
    assert "Side 1" in result.text


def test_content_control_answers_are_kept() -> None:
    document = docx.Document()
    document.add_paragraph("Prosjekttittel:")
    control = parse_xml(
        f'<w:sdt xmlns:w="{W_NS}"><w:sdtPr><w:alias w:val="Tittel"/></w:sdtPr>'
        "<w:sdtContent><w:p><w:r><w:t>Arbeid og helse</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    )
    document.element.body.insert(1, control)
    inline = parse_xml(
        f'<w:p xmlns:w="{W_NS}"><w:r><w:t xml:space="preserve">Ansvarlig: </w:t></w:r>'
        "<w:sdt><w:sdtContent><w:r><w:t>Kari Nordmann</w:t></w:r></w:sdtContent></w:sdt></w:p>"
    )
    document.element.body.insert(2, inline)
    text = read(save(document)).text
    assert "Arbeid og helse" in text  # python-docx's own iter_inner_content() loses this
    assert "Ansvarlig: Kari Nordmann" in text


def test_legacy_form_check_boxes_show_their_state() -> None:
    def check_box_paragraph(label: str, checked: str) -> object:
        return parse_xml(
            f'<w:p xmlns:w="{W_NS}"><w:r><w:fldChar w:fldCharType="begin"><w:ffData>'
            f'<w:checkBox><w:sizeAuto/><w:default w:val="0"/>{checked}</w:checkBox>'
            "</w:ffData></w:fldChar></w:r><w:r><w:instrText> FORMCHECKBOX </w:instrText></w:r>"
            f'<w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:t xml:space="preserve"> {label}'
            "</w:t></w:r></w:p>"
        )

    document = docx.Document()
    document.element.body.insert(0, check_box_paragraph("Koblet med egne data", "<w:checked/>"))
    document.element.body.insert(1, check_box_paragraph("Kun aggregerte tall", ""))
    lines = read(save(document)).text.splitlines()
    assert "☒ Koblet med egne data" in lines
    assert "☐ Kun aggregerte tall" in lines
    assert not any("FORMCHECKBOX" in line for line in lines)  # field codes are not text


def test_docx_text_is_cut_at_max_chars() -> None:
    document = docx.Document()
    for number in range(200):
        document.add_paragraph(f"Avsnitt {number} med litt tekst om prosjektet.")
    result = read(save(document), ExtractionLimits(max_chars=1000))
    assert result.truncated
    assert len(result.text) <= 1000


def test_zero_time_limit_truncates_docx_instead_of_hanging() -> None:
    result = read(application_docx(), ExtractionLimits(max_seconds=0.0))
    assert result.truncated and result.error is None


def test_docx_that_is_not_a_zip_gives_error_and_no_exception() -> None:
    result = read(b"Dette er ikke et Word-dokument, bare tekst med feil filendelse.")
    assert result.format == "docx"
    assert result.error == "not a valid DOCX (not a zip file)"


def test_legacy_doc_renamed_docx_gives_clear_error() -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)
    result = read(ole2)
    assert result.format == "docx"
    assert result.error is not None and "legacy Office" in result.error


def test_password_protected_docx_says_encrypted() -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512) + "EncryptedPackage".encode("utf-16-le")
    result = read(ole2)
    assert result.error is not None and result.error.startswith("encrypted Office file")


def test_zip_bomb_docx_is_refused_without_inflating_it(
    make_zip: Callable[[dict[str, bytes | int]], bytes],
) -> None:
    bomb = make_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": 64 << 20})
    assert len(bomb) < 100_000  # 64 MB of zeros in a ~65 KB file
    tracemalloc.start()
    result = read(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 << 20, f"{peak >> 20} MB allocated: the bomb was inflated"
    assert result.format == "docx"
    assert result.error is not None and "zip bomb" in result.error


def test_docx_expanding_beyond_ten_times_max_bytes_is_refused(
    make_zip: Callable[[dict[str, bytes | int]], bytes],
) -> None:
    # Each part stays under the 1 MB ratio floor, but together 3.6 MB > 10 × 200 KB.
    paragraph = b"<w:p><w:r><w:t>tekst</w:t></w:r></w:p>"
    parts = {f"word/part{n}.xml": paragraph * (900_000 // len(paragraph)) for n in range(4)}
    package = make_zip({"word/document.xml": b"<w:document/>", **parts})
    result = read(package, ExtractionLimits(max_bytes=200_000))
    assert len(package) < 200_000
    assert result.error is not None and "limit" in result.error and "zip bomb" in result.error


def test_python_docx_corpus_headers_and_tables_are_read(corpora: Path) -> None:
    folder = corpora / "docx/python-docx"
    headers = read((folder / "hdr-header-footer.docx").read_bytes())
    tables = read((folder / "tbl-cell-access.docx").read_bytes())
    assert headers.error is None and tables.error is None
    assert "1 | 2 | 3" in tables.text.splitlines()


@pytest.mark.parametrize("name", ["doc-no-coreprops.docx", "sty-having-no-styles-part.docx"])
def test_docx_missing_optional_parts_still_opens(corpora: Path, name: str) -> None:
    result = read((corpora / "docx/python-docx" / name).read_bytes())
    assert result.error is None


def test_a_content_control_around_its_whole_line_gives_the_answer_only() -> None:
    """A control named "Særlig identifiserende variabler" that holds "Særlig
    identifiserende variabler: Nei" answers "Nei"."""
    label = "Særlig identifiserende variabler"
    document = docx.Document()
    paragraph = document.add_paragraph()
    sdt = parse_xml(
        '<w:sdt xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f'<w:sdtPr><w:alias w:val="{label}"/></w:sdtPr>'
        f"<w:sdtContent><w:r><w:t>{label}: Nei</w:t></w:r></w:sdtContent></w:sdt>"
    )
    paragraph._p.append(sdt)
    buffer = io.BytesIO()
    document.save(buffer)
    result = extract_attachment("skjema.docx", DOCX_TYPE, buffer.getvalue(), LIMITS)
    controls = [f for f in result.form_fields if f.origin == "content_control"]
    assert [(f.label, f.value) for f in controls] == [(label, "Nei")]


def test_a_control_whose_answer_starts_with_its_name_keeps_the_whole_answer() -> None:
    document = docx.Document()
    paragraph = document.add_paragraph()
    paragraph._p.append(
        parse_xml(
            '<w:sdt xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            '<w:sdtPr><w:alias w:val="Navn"/></w:sdtPr>'
            "<w:sdtContent><w:r><w:t>Navnesen Kari</w:t></w:r></w:sdtContent></w:sdt>"
        )
    )
    buffer = io.BytesIO()
    document.save(buffer)
    result = extract_attachment("skjema.docx", DOCX_TYPE, buffer.getvalue(), LIMITS)
    controls = [f for f in result.form_fields if f.origin == "content_control"]
    assert [(f.label, f.value) for f in controls] == [("Navn", "Navnesen Kari")]
