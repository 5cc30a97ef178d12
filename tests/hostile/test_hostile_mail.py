"""Hostile and broken mail through the whole pipeline: every one becomes a ticket, what had to
be cut or repaired is shown on it, and time and memory stay bounded."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from parsers.mail import parse_mail
from tests.hostile.corpus_report import reset_peak_rss, rss_mb
from tests.hostile.inputs import (
    MAIL_HEAD,
    base64_part,
    long_header_line,
    mail_of_size,
    many_attachments,
    many_headers,
    multipart,
    nested_multipart,
    nested_rfc822,
    text_part,
)
from tests.hostile.pipeline import Filed, Pipeline


def filed_ok(pipeline: Pipeline, raw: bytes) -> Filed:
    filed = pipeline.file(raw)
    assert filed.crash is None
    assert filed.verdict is not None and filed.ticket_id is not None
    return filed


def test_mail_of_60_mb_is_filed_with_its_text_and_the_cut_shown(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    raw = mail_of_size(60)
    assert len(raw) > 60_000_000
    reset_peak_rss()
    before = rss_mb("VmRSS")
    started = time.perf_counter()
    filed = filed_ok(pipeline, raw)
    assert time.perf_counter() - started < 60
    assert rss_mb("VmHWM") - before < 1_200  # about 15 copies' worth would be a leak
    assert any("over the 50 MB limit" in d for d in filed.defects)
    (attachment,) = filed.attachments
    assert "error" in attachment  # cut short, then over max_attachment_bytes


@pytest.mark.parametrize("depth", [100, 3_000])
def test_message_rfc822_nested_deeply_is_filed_with_the_nesting_defect(
    pipeline: Pipeline, depth: int
) -> None:
    filed = filed_ok(pipeline, nested_rfc822(depth))
    assert filed.verdict is not None
    assert any("nesting deeper than" in d or "unreadable" in d for d in filed.defects)


def test_multipart_nested_past_pythons_recursion_limit_keeps_its_headers() -> None:
    mail = parse_mail(nested_multipart(3_000))
    assert mail.subject == "Dypt"
    assert mail.sender is not None and mail.sender.email == "kari@example.no"
    assert any("RecursionError" in d for d in mail.defects)


def test_five_thousand_attachments_are_bounded_by_parts_and_attachment_limits(
    pipeline: Pipeline,
) -> None:
    started = time.perf_counter()
    filed = filed_ok(pipeline, many_attachments(5_000))
    assert time.perf_counter() - started < 60
    assert len(filed.attachments) == 200
    assert any("more than 1000 MIME parts" in d for d in filed.defects)


def test_twenty_thousand_headers_are_cut_at_the_header_limit(pipeline: Pipeline) -> None:
    filed = filed_ok(pipeline, many_headers(20_000))
    assert any("more than 2000 headers" in d for d in filed.defects)
    mail = parse_mail(many_headers(20_000))
    assert len(mail.headers) == 2_000 and mail.subject == "Mange felt"


def test_header_lines_of_one_megabyte_are_cut_to_the_header_limit(pipeline: Pipeline) -> None:
    raw = long_header_line(1_000_000)
    started = time.perf_counter()
    mail = parse_mail(raw)
    filed = filed_ok(pipeline, raw)
    assert time.perf_counter() - started < 20
    assert mail.subject.startswith("Søknad aaa") and len(mail.subject) <= 20_000
    assert all(len(value) <= 20_000 for _, value in mail.headers)
    assert filed.verdict is not None and len(filed.verdict["reply"]["subject"]) <= 20_010


def test_malformed_base64_and_quoted_printable_still_give_text_and_a_ticket(
    pipeline: Pipeline,
) -> None:
    encoded = base64.b64encode("Søknad om tilgang til mikrodata.".encode()).rstrip(b"=")
    broken_b64 = (  # junk between the quanta and the padding missing
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + encoded[:12]
        + b"\r\n!!**** ~~~ ***\r\n"
        + encoded[12:]
        + b"\r\n"
    )
    broken_qp = (
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Vi s=F8ker om endring=\r\n av prosjektet =ZZ =\r\n=E5=\r\n"
    )
    garbled_attachment = (
        b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLj\x00\xff====QK===\r\n"
    )
    raw = multipart([broken_b64, broken_qp, garbled_attachment])
    mail = parse_mail(raw)
    assert "Søknad om tilgang" in mail.text.new
    assert "Vi søker om endring av prosjektet" in mail.text.new
    filed = filed_ok(pipeline, raw)
    assert [a["filename"] for a in filed.attachments] == ["a.pdf"]


@pytest.mark.parametrize(
    ("charset", "body", "expected"),
    [
        ("x-no-such-charset", "Søknad om sletting".encode("cp1252"), "Søknad om sletting"),
        ("utf-16", b"Soknad om tilgang", "Soknad om tilgang"),  # ASCII labelled UTF-16
        ("unicode-escape", b"Dataene er slettet \\u0041", "Dataene er slettet \\u0041"),
        ("utf-7", b"Signert tilbud +AGEAYgBj-", "Signert tilbud +AGEAYgBj-"),
        ("us-ascii", "Søknaden gjelder Tromsø".encode(), "Søknaden gjelder Tromsø"),
    ],
)
def test_unknown_and_lying_charsets_give_readable_text(
    pipeline: Pipeline, charset: str, body: bytes, expected: str
) -> None:
    raw = MAIL_HEAD + (
        b"Subject: =?" + charset.encode() + b"?q?Emne_=E5?=\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n\r\n" + body + b"\r\n"
    )
    mail = parse_mail(raw)
    assert mail.text.new == expected
    assert mail.subject.startswith("Emne")
    filed_ok(pipeline, raw)


def test_nul_bytes_in_headers_and_body_never_reach_the_ticket(pipeline: Pipeline) -> None:
    raw = (
        b"From: Kari\x00 <kari@example.no>\r\nTo: mikrodata@ssb.no\r\n"
        b"Subject: S\x00knad\x00 om tilgang\r\nMessage-ID: <nul\x00@example.no>\r\n\r\n"
        b"Vedlagt\x00 er s\x00knaden.\r\n"
    )
    mail = parse_mail(raw)
    assert "\x00" not in mail.subject + mail.text.new + "".join(v for _, v in mail.headers)
    filed = filed_ok(pipeline, raw)
    assert "\x00" not in repr(filed.verdict)


def test_dangerous_attachment_names_are_made_safe_on_the_ticket(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    names = ["../../etc/passwd", "CON", "fdp.\u202egpj.exe", "..\\..\\windows\\win.ini"]
    raw = multipart(
        [text_part("Se vedlegg.")]
        + [
            base64_part("x", b"data", "application/octet-stream").replace(
                b'filename="x"', b"filename*=utf-8''" + quote(name).encode()
            )
            for name in names
        ]
    )
    filed = filed_ok(pipeline, raw)
    shown = [a["filename"] for a in filed.attachments]
    assert len(shown) == len(names)
    assert all("/" not in n and "\\" not in n and "\u202e" not in n for n in shown)
    assert "_CON" in shown and "passwd" in shown
    assert not (pipeline.settings.raw_mail_dir.parent / "etc").exists()
