"""Personal data sent by mail (issue #11): national IDs found in every place, never echoed.

The mails are built here from real files (CSV in several encodings, XLSX, DOCX, PDF with a
table, a zip, a forwarded mail), so each test shows its own input.
"""

from __future__ import annotations

import io
import json
import logging
import random
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import docx
import openpyxl
import pytest
from fpdf import FPDF

from bot.logs import MaskingFormatter
from bot.replies.render import render_reply
from bot.triage import TriageContext, triage
from bot.verdict import Verdict
from parsers.mail import parse_mail
from parsers.national_id import is_national_id, mask_national_ids, scan
from tests.conftest import make_mail

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
FIRST = (3, 7, 6, 1, 8, 9, 4, 5, 2)
SECOND = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def national_id(date: str, start: int = 100) -> str:
    """A valid number for `date` (DDMMYY; day + 40 for a D-number): the first individual
    number from `start` whose control digits both exist."""
    for individual in range(start, 1000):
        digits = [int(c) for c in f"{date}{individual:03d}"]
        first = (11 - sum(w * d for w, d in zip(FIRST, digits, strict=False)) % 11) % 11
        if first == 10:
            continue
        second = (11 - sum(w * d for w, d in zip(SECOND, [*digits, first], strict=False)) % 11) % 11
        if second == 10:
            continue
        return f"{date}{individual:03d}{first}{second}"
    raise AssertionError(date)


ID = national_id("010190")
D_NUMBER = national_id("410190")
LEAP = national_id("290204")
OTHERS = [national_id(f"{day:02d}0385", 200) for day in range(1, 29)]


def wrong_control_digit(number: str) -> str:
    return number[:10] + str((int(number[10]) + 1) % 10)


def verdict_of(raw: bytes, context: TriageContext) -> Verdict:
    return triage(raw, "mail.eml", context)


def places(verdict: Verdict) -> dict[str, int]:
    return {p.where: p.count for p in verdict.personal_data}


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- the number itself ------------------------------------------------------------------


def test_a_fodselsnummer_and_a_d_number_with_both_control_digits_are_ids() -> None:
    assert is_national_id(ID)
    assert is_national_id(D_NUMBER)
    assert is_national_id(LEAP)


def test_a_wrong_control_digit_or_an_impossible_date_is_no_id() -> None:
    assert not is_national_id(wrong_control_digit(ID))
    assert not is_national_id(ID[:9] + str((int(ID[9]) + 1) % 10) + ID[10])
    assert not is_national_id("32019012345")  # day 32
    assert not is_national_id("01139012345")  # month 13
    assert not is_national_id(national_id("290204")[:4] + "03" + "00000")  # 29.02.03


def test_the_spaced_form_counts_and_both_forms_of_one_number_count_once() -> None:
    found = scan(f"Fnr {ID[:6]} {ID[6:]}, også skrevet {ID}.")
    assert found.count == 1
    assert ID not in found.masked and f"{ID[:6]} {ID[6:]}" not in found.masked
    assert f"{ID[:6]}*****" in found.masked and f"{ID[:6]} *****" in found.masked


@pytest.mark.parametrize(
    "text",
    [
        f"Kontonummer: {ID}",
        f"Betal til konto {ID} innen fredag",
        f"KID: {ID}",
        f"Fakturanr. {ID}",
        "Kontonummer 1503.12.34567",
        "Org.nr. 974 760 673, telefon +47 22 86 45 00 og 90012345",
        "Vår ref. 24/01872-3, saksnummer 2024/1872",
        f"Løpenummer 1{ID} og {ID}7",  # twelve digits: no ID inside a longer number
        f"{wrong_control_digit(ID)} og {wrong_control_digit(D_NUMBER)}",
        "Variabelen FNR (fødselsnummer, 11 siffer, DDMMÅÅXXXXX) er med i listen.",
    ],
)
def test_numbers_of_other_kinds_are_no_personal_data(text: str) -> None:
    assert scan(text).count == 0


def test_a_column_of_pseudonymised_numbers_where_a_few_validate_by_chance_is_no_personal_data() -> (
    None
):
    chance = random.Random(11)
    column = [f"{chance.randrange(10**10, 10**11)}" for _ in range(3000)]
    assert any(is_national_id(n) for n in column)  # some pass both checks by chance
    assert scan("løpenr\n" + "\n".join(column)).count == 0


@pytest.mark.parametrize(
    "text",
    [
        f"Kari;Kontorleder;{ID}",  # "konto" is no word of "Kontorleder"
        f"Kontoret i Oslo, fnr {ID}",
        f"Betalt fra konto, fnr {ID}",  # a word naming the ID stands between
        f"1 {ID[:6]} {ID[6:]} Oslo",  # the spaced form beside other numbers
        f"{ID[:6]} {ID[6:]} 2023",
    ],
)
def test_an_id_near_account_words_or_other_numbers_still_counts(text: str) -> None:
    found = scan(text)
    assert found.count == 1 and ID[6:] not in found.masked


def test_a_real_extract_mixed_with_other_numbers_counts_in_full() -> None:
    chance = random.Random(5)
    other = [f"{chance.randrange(10**10, 10**11)}" for _ in range(200)]
    rows = [f"{n};{a};{b}" for n, a, b in zip(OTHERS * 2, other[::2], other[1::2], strict=False)]
    found = scan("fnr;ordrenr;kundenr\n" + "\n".join(rows))
    assert found.candidates >= 100  # enough numbers for chance hits to be weighed
    assert found.count == len(OTHERS)


def test_an_unpadded_id_in_a_csv_saved_by_excel_counts(rules_only_context: TriageContext) -> None:
    data = f"fnr;kommune\n{int(ID)};0301\n{D_NUMBER};4601\n".encode()
    raw = make_mail("Vedlagt.", attachments=[("uttrekk.csv", "text/csv", data)])
    assert places(verdict_of(raw, rules_only_context)) == {"attachment:uttrekk.csv": 2}


def test_an_id_only_in_an_attachments_name_counts_for_it(
    rules_only_context: TriageContext,
) -> None:
    raw = make_mail("Vedlagt.", attachments=[(f"{ID}.pdf", "application/pdf", b"%PDF-1.4 x")])
    assert places(verdict_of(raw, rules_only_context)) == {f"attachment:{ID[:6]}*****.pdf": 1}


def test_a_number_split_over_html_tags_is_not_shown_in_the_mail_view() -> None:
    from bot.web.mailview import sanitize_html

    page = sanitize_html(f"<p>Fnr <span>{ID[:7]}</span><span>{ID[7:]}</span></p>")
    assert ID not in page.replace("<span>", "").replace("</span>", "")
    assert f"{ID[:6]}*****" in page


def test_masking_keeps_the_birth_date_and_hides_the_rest() -> None:
    assert mask_national_ids(f"fnr {ID}.") == f"fnr {ID[:6]}*****."


# --- every place a mail can hold one --------------------------------------------------


def test_an_id_in_the_subject_is_found_and_the_reply_subject_is_masked(
    rules_only_context: TriageContext,
) -> None:
    verdict = verdict_of(
        make_mail("Hei, se vedlagt.", subject=f"Søknad for {ID}"), rules_only_context
    )
    assert places(verdict) == {"subject": 1}
    assert ID not in verdict.reply.subject and f"{ID[:6]}*****" in verdict.reply.subject


def test_ids_in_own_and_quoted_text_count_as_the_body_distinct(
    rules_only_context: TriageContext,
) -> None:
    body = (
        f"Hei,\nmitt fødselsnummer er {ID[:6]} {ID[6:]}.\n\nMvh Ola\n\n"
        f"> Den 3. mars skrev Kari:\n> Fnr {ID} og d-nummer {D_NUMBER}\n"
    )
    assert places(verdict_of(make_mail(body), rules_only_context)) == {"body": 2}


def test_ids_in_an_html_table_of_an_html_only_mail_are_found(
    rules_only_context: TriageContext,
) -> None:
    html = (
        "<html><body><p>Utvalget:</p><table><tr><th>Fnr</th><th>Navn</th></tr>"
        f"<tr><td>{ID}</td><td>Ola</td></tr><tr><td>{D_NUMBER}</td><td>Kari</td></tr>"
        "</table></body></html>"
    )
    assert places(verdict_of(make_mail("", html=html), rules_only_context)) == {"body": 2}


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(";", "utf-8"), (",", "utf-8-sig"), ("\t", "cp1252"), ("|", "utf-16")],
)
def test_ids_in_a_csv_are_counted_whatever_its_delimiter_and_encoding(
    rules_only_context: TriageContext, delimiter: str, encoding: str
) -> None:
    rows = [["fødselsnummer", "kommune", "beløp"]]
    rows += [[n, "Bærum", "1200,50"] for n in (*OTHERS[:10], *OTHERS[:5])]  # 10 distinct
    data = "\r\n".join(delimiter.join(r) for r in rows).encode(encoding)
    raw = make_mail("Vedlagt utvalget.", attachments=[("utvalg.csv", "text/csv", data)])
    assert places(verdict_of(raw, rules_only_context)) == {"attachment:utvalg.csv": 10}


def test_a_csv_larger_than_the_text_limit_is_counted_to_its_end(
    rules_only_context: TriageContext,
) -> None:
    filler = "\n".join(f"{i};Oslo;{'x' * 60}" for i in range(4_000))  # ~280 000 characters
    data = f"id;kommune;notat\n{filler}\n{ID};Oslo;sist\n".encode()
    raw = make_mail("Vedlagt.", attachments=[("uttrekk.txt", "text/plain", data)])
    verdict = verdict_of(raw, rules_only_context)
    assert verdict.attachments[0].text_chars <= 200_000  # the kept text was cut…
    assert places(verdict) == {"attachment:uttrekk.txt": 1}  # …the count was not


def test_ids_in_xlsx_text_and_number_cells_count_and_a_lost_leading_zero_is_restored(
    rules_only_context: TriageContext,
) -> None:
    assert ID.startswith("0")
    data = xlsx([["fnr", "n"], [int(ID), 1], [D_NUMBER, 2], [int(D_NUMBER), 3], [OTHERS[9], 4]])
    raw = make_mail("Vedlagt.", attachments=[("liste.xlsx", XLSX_TYPE, data)])
    assert places(verdict_of(raw, rules_only_context)) == {"attachment:liste.xlsx": 3}


def test_ids_in_a_docx_paragraph_and_table_are_found(rules_only_context: TriageContext) -> None:
    document = docx.Document()
    document.add_paragraph(f"Prosjektleder: Ola Nordmann, fnr. {ID}")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Navn", "Fødselsnummer"
    table.cell(1, 0).text, table.cell(1, 1).text = "Kari", D_NUMBER
    buffer = io.BytesIO()
    document.save(buffer)
    raw = make_mail("Vedlagt.", attachments=[("skjema.docx", DOCX_TYPE, buffer.getvalue())])
    assert places(verdict_of(raw, rules_only_context)) == {"attachment:skjema.docx": 2}


def test_ids_in_a_pdf_table_are_found(rules_only_context: TriageContext) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.cell(0, 10, "Utvalg til kobling", new_x="LMARGIN", new_y="NEXT")
    with pdf.table() as table:
        for row in (("Fnr", "Kommune"), (ID, "Oslo"), (D_NUMBER, "Bergen"), (LEAP, "Molde")):
            cells = table.row()
            for value in row:
                cells.cell(value)
    raw = make_mail(
        "Vedlagt.", attachments=[("utvalg.pdf", "application/pdf", bytes(pdf.output()))]
    )
    assert places(verdict_of(raw, rules_only_context)) == {"attachment:utvalg.pdf": 3}


def test_a_file_inside_a_zip_is_named_by_its_own_name(rules_only_context: TriageContext) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data/utvalg.csv", f"fnr;x\n{ID};1\n{D_NUMBER};2\n")
        archive.writestr("les meg.txt", "Ingen personopplysninger her.")
    raw = make_mail("Vedlagt.", attachments=[("pakke.zip", "application/zip", buffer.getvalue())])
    assert places(verdict_of(raw, rules_only_context)) == {"attachment:utvalg.csv": 2}


def test_ids_in_a_forwarded_mail_and_its_attachment_are_found(
    rules_only_context: TriageContext,
) -> None:
    inner = EmailMessage()
    inner["From"] = "Ola Nordmann <ola@example.no>"
    inner["Subject"] = "Fjorårets uttrekk"
    inner.set_content(f"Her er uttrekket. Min egen: {LEAP}")
    inner.add_attachment(
        xlsx([["fnr"], [ID], [D_NUMBER]]),
        maintype="application",
        subtype="octet-stream",
        filename="uttrekk_2023.xlsx",
    )
    outer = EmailMessage()
    outer["From"] = "Kari Nordmann <kari.nordmann@bergen.kommune.no>"
    outer["To"] = "mikrodata@ssb.no"
    outer["Subject"] = "VS: Fjorårets uttrekk"
    outer["Message-ID"] = "<fwd-1@bergen.kommune.no>"
    outer.set_content("Videresender, som avtalt.")
    outer.add_attachment(inner)
    assert places(verdict_of(outer.as_bytes(), rules_only_context)) == {
        "body": 1,
        "attachment:uttrekk_2023.xlsx": 2,
    }


def test_a_variable_list_that_names_the_fodselsnummer_variable_is_no_personal_data(
    rules_only_context: TriageContext,
) -> None:
    data = xlsx(
        [
            ["Variabelnavn", "Beskrivelse", "Bestilles"],
            ["FNR", "Fødselsnummer (11 siffer)", "X"],
            ["KOMMNR", "Kommunenummer", "X"],
        ]
    )
    raw = make_mail(
        f"Vedlagt variabelliste. Vår konto for fakturaen: kontonr. {ID}",
        attachments=[("variabler.xlsx", XLSX_TYPE, data)],
    )
    assert verdict_of(raw, rules_only_context).personal_data == ()


# --- never echoed ----------------------------------------------------------------------


def mail_with_ids_everywhere() -> bytes:
    return make_mail(
        f"Hei, mitt fnr er {ID[:6]} {ID[6:]}.",
        subject=f"Søknad {D_NUMBER}",
        attachments=[
            (f"{LEAP}.csv", "text/csv", f"fnr\n{LEAP}\n".encode()),
            ("liste.xlsx", XLSX_TYPE, xlsx([["fnr"], [int(ID)]])),
        ],
    )


def full_forms() -> list[str]:
    return [form for n in (ID, D_NUMBER, LEAP) for form in (n, f"{n[:6]} {n[6:]}")] + [ID[1:]]


def test_the_contract_line_shows_no_number(rules_only_context: TriageContext) -> None:
    verdict = verdict_of(mail_with_ids_everywhere(), rules_only_context)
    line = json.dumps(verdict.to_json(), ensure_ascii=False)
    assert not [form for form in full_forms() if form in line]
    assert f'"attachment:{LEAP[:6]}*****.csv"' in line


def test_mikrobot_triage_json_shows_no_number(tmp_path: Path) -> None:
    path = tmp_path / "mail.eml"
    path.write_bytes(mail_with_ids_everywhere())
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mikrobot"), "-v", "triage", "--json", str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    line = json.loads(result.stdout)
    assert {p["where"] for p in line["personal_data"]} == {
        "subject",
        "body",
        f"attachment:{LEAP[:6]}*****.csv",
        "attachment:liste.xlsx",
    }
    shown = result.stdout + result.stderr
    assert not [form for form in full_forms() if form in shown]


def test_a_log_line_never_shows_a_number() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed on %s", (ID,), None)
    assert MaskingFormatter("%(message)s").format(record) == f"failed on {ID[:6]}*****"


# --- the reply's notice ----------------------------------------------------------------


NOTICES = {
    "nb": "Opplysninger om personer skal aldri sendes til SSB på e-post",
    "nn": "Opplysningar om personar skal aldri sendast til SSB på e-post",
    "en": "Data about persons must never be sent to SSB by e-mail",
}
SUBJECTS = {"nb": "Søknad om tilgang", "nn": "Søknad om tilgang", "en": "Application for access"}
BODIES = {
    "nb": "Hei, vi søker om tilgang til mikrodata for prosjektet vårt. Vedlagt er utvalget vi "
    "ønsker å koble med registrene deres.",
    "nn": "Hei, vi søkjer om tilgang til mikrodata for prosjektet vårt. Vedlagt er utvalet vi "
    "ønskjer å kople med registra dykkar. Vi ventar på svar frå dykk.",
    "en": "Hello, we are applying for access to microdata for our project. Attached is the "
    "sample we would like you to link with your registers.",
}


def reply_text(verdict: Verdict, raw: bytes) -> str:
    reply = render_reply(
        verdict,
        parse_mail(raw),
        ticket_reference="MB-000001",
        from_address="mikrodata@ssb.no",
        message_id_domain="ssb.no",
        now=NOW,
    )
    assert reply is not None
    return str(reply.get_content())


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_the_reply_says_in_the_senders_language_that_such_data_must_not_come_by_mail(
    rules_only_context: TriageContext, language: str
) -> None:
    raw = make_mail(
        BODIES[language],
        subject=SUBJECTS[language],
        attachments=[("utvalg.csv", "text/csv", f"fnr\n{ID}\n{D_NUMBER}\n".encode())],
    )
    verdict = verdict_of(raw, rules_only_context)
    assert verdict.language == language
    assert places(verdict) == {"attachment:utvalg.csv": 2}
    text = reply_text(verdict, raw)
    assert NOTICES[language] in text
    assert "utvalg.csv" in text  # the attachment that was set apart is named
    assert verdict.reply.action.value in ("acknowledge", "request_missing")  # its usual job


def test_a_mail_without_personal_data_gets_no_notice(rules_only_context: TriageContext) -> None:
    raw = make_mail(BODIES["nb"], subject=SUBJECTS["nb"])
    verdict = verdict_of(raw, rules_only_context)
    assert verdict.personal_data == ()
    assert NOTICES["nb"] not in reply_text(verdict, raw)
