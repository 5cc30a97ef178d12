"""Plain-text and HTML attachments: encodings, HTML conversion and the character limit."""

from __future__ import annotations

import codecs

from parsers.attachments import ExtractionLimits, extract_attachment

LIMITS = ExtractionLimits()
NORWEGIAN = "Søknad om mikrodata – «Helse og arbeid», æøå ÆØÅ"


def test_windows_1252_text_is_decoded() -> None:
    payload = NORWEGIAN.encode("cp1252")
    result = extract_attachment("brev.txt", "text/plain", payload, LIMITS)
    assert result.format == "text" and result.error is None
    assert result.text == NORWEGIAN


def test_utf8_text_with_bom_loses_the_bom() -> None:
    payload = codecs.BOM_UTF8 + NORWEGIAN.encode("utf-8")
    assert extract_attachment("brev.txt", "text/plain", payload, LIMITS).text == NORWEGIAN


def test_utf16_text_with_bom_is_decoded() -> None:
    payload = NORWEGIAN.encode("utf-16")  # Notepad's "Unicode"
    result = extract_attachment("brev.txt", "application/octet-stream", payload, LIMITS)
    assert result.format == "text" and result.text == NORWEGIAN


def test_microdata_script_is_read_as_text_with_unix_line_ends() -> None:
    script = (
        "require no.ssb.fdb:30 as db\r\n"
        "create-dataset demo\r\n"
        "import db/BEFOLKNING_KJOENN as kjønn\r\n"
    )
    result = extract_attachment("analyse.mdscript", "", script.encode("utf-8"), LIMITS)
    assert result.format == "text"
    assert result.text.splitlines()[2] == "import db/BEFOLKNING_KJOENN as kjønn"
    assert "\r" not in result.text


def test_html_attachment_becomes_readable_text() -> None:
    html = "<html><body><h1>Søknad</h1><p>Vi ønsker <b>tilgang</b> til data.</p></body></html>"
    result = extract_attachment("vedlegg.html", "text/html", html.encode("utf-8"), LIMITS)
    assert result.format == "text"
    assert "<p>" not in result.text and "<b>" not in result.text
    assert "Søknad" in result.text and "Vi ønsker tilgang til data." in result.text


def test_long_text_is_cut_at_max_chars() -> None:
    payload = ("linje med tekst\n" * 10_000).encode()
    result = extract_attachment("lang.txt", "text/plain", payload, ExtractionLimits(max_chars=1000))
    assert result.truncated
    assert len(result.text) <= 1000


def test_csv_sent_as_octet_stream_is_sniffed_as_text() -> None:
    payload = "variabel;bestilles\nkjønn;X\n".encode("cp1252")
    result = extract_attachment("liste", "application/octet-stream", payload, LIMITS)
    assert result.format == "text"
    assert "kjønn;X" in result.text


def test_zero_time_limit_stops_html_conversion_at_once() -> None:
    html = "<html><body>" + "<p>Søknad om <b>mikrodata</b></p>" * 50_000 + "</body></html>"
    result = extract_attachment(
        "stor.html", "text/html", html.encode(), ExtractionLimits(max_seconds=0.0)
    )
    # Stopped before converting anything (no wall-clock bound: CI machines are loaded).
    assert result.truncated
    assert result.text == ""
