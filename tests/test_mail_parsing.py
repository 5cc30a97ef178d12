"""The mail parser: headers, charsets, body splitting and attachments, on inline and real mail."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.fields import person_name
from parsers.mail import MailLimits, decode_text, parse_mail, safe_filename
from parsers.message import Address
from parsers.text import split_body
from tests.conftest import make_mail


def test_rfc2047_subject_and_sender_name_are_decoded() -> None:
    raw = (
        b"From: =?iso-8859-1?q?H=E5vard_S=F8rensen?= <havard@example.no>\r\n"
        b"To: mikrodata@ssb.no\r\n"
        b"Subject: =?utf-8?b?U8O4a25hZCBvbSBlbmRyaW5n?=\r\n"
        b"Message-ID: <x1@example.no>\r\n\r\nHei\r\n"
    )
    mail = parse_mail(raw)
    assert mail.subject == "Søknad om endring"
    assert mail.sender is not None
    assert mail.sender.name == "Håvard Sørensen"
    assert mail.message_id == "<x1@example.no>"


def test_raw_latin1_header_bytes_are_read_as_text() -> None:
    raw = b"From: H\xe5vard <h@example.no>\r\nSubject: S\xf8knad\r\n\r\nHei\r\n"
    mail = parse_mail(raw)
    assert mail.subject == "Søknad"
    assert mail.sender is not None and mail.sender.name == "Håvard"


@pytest.mark.parametrize(
    ("data", "label", "expected"),
    [
        ("Søknad om sletting".encode("iso-8859-1"), "iso-8859-1", "Søknad om sletting"),
        ("«Levekår» – tilbud".encode("cp1252"), "iso-8859-1", "«Levekår» – tilbud"),
        ("Vedtak æøå".encode(), "us-ascii", "Vedtak æøå"),  # a label that lies
        ("Dataene er slettet".encode("cp1252"), "x-unknown-charset", "Dataene er slettet"),
        ("Ærlig talt".encode("cp1252"), None, "Ærlig talt"),
    ],
)
def test_body_bytes_decode_whatever_the_charset_label_says(
    data: bytes, label: str | None, expected: str
) -> None:
    assert decode_text(data, label) == expected


def test_wrongly_labelled_latin1_body_in_a_mail_is_readable() -> None:
    raw = (
        b"From: a@example.no\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"\r\nVi har sl\xe5tt sammen s\xf8knadene.\r\n"
    )
    assert "søknadene" in parse_mail(raw).text.new


def test_html_only_mail_gives_text_and_is_marked_html_only() -> None:
    html = "<html><body><p>Hei,</p><p>Vedlagt er <b>søknaden</b> vår.</p></body></html>"
    mail = parse_mail(make_mail("", html=html))
    assert mail.text.html_only
    assert "Vedlagt er søknaden vår." in mail.text.new
    assert "<b>" not in mail.text.new


def test_plain_part_is_preferred_over_html_alternative() -> None:
    mail = parse_mail(make_mail("Plain words", html="<p>HTML words</p>"))
    assert mail.text.new == "Plain words"
    assert not mail.text.html_only


def test_outlook_quoted_block_is_history_not_new_text() -> None:
    body = (
        "Hei, her kommer signert tilbud i retur.\n\n"
        "Fra: Saksbehandler SSB <saksbehandler@ssb.no>\n"
        "Sendt: 3. mars 2025 10:12\n"
        "Til: Kari Nordmann <kari@example.no>\n"
        "Emne: Tilbud – vår ref. 24/01872\n\n"
        "Vi viser til søknad om tilgang til mikrodata.\n"
    )
    text = split_body(body)
    assert text.new == "Hei, her kommer signert tilbud i retur."
    assert "vår ref. 24/01872" in text.quoted


@pytest.mark.parametrize(
    "marker",
    [
        "On Mon, 3 Mar 2025 at 10:12, Kari Nordmann <kari@example.no> wrote:",
        "Den man. 3. mar. 2025 kl. 10:12 skrev Kari Nordmann <kari@example.no>:",
        "man. 3. mars 2025 kl. 10:12 skreiv Kari Nordmann <kari@example.no>:",
        "-----Opprinnelig melding-----",
        "-----Original Message-----",
    ],
)
def test_reply_markers_of_common_clients_start_the_quoted_history(marker: str) -> None:
    text = split_body(f"Takk!\n\n{marker}\n> Vi sender tilbud.\n")
    assert text.new == "Takk!"
    assert "Vi sender tilbud" in text.quoted


def test_inline_forwarded_message_is_kept_as_forwarded_content() -> None:
    body = (
        "Se under.\n\n---------- Forwarded message ---------\n"
        "From: Ola <ola@example.no>\nSubject: Søknad om endring\n\nVi søker om flere variabler.\n"
    )
    text = split_body(body)
    assert text.new == "Se under."
    assert "Vi søker om flere variabler." in text.forwarded
    assert text.quoted == ""


def test_signature_after_closing_is_split_off_but_kept() -> None:
    body = "Vedlagt er søknaden.\n\nMed vennlig hilsen\nKari Nordmann\nBergen kommune\nOrg.nr. 964 338 531"
    text = split_body(body)
    assert text.new.endswith("Med vennlig hilsen")
    assert "Org.nr. 964 338 531" in text.signature


def test_forwarded_rfc822_attachment_gives_its_text_and_attachments() -> None:
    inner = EmailMessage()
    inner["From"] = "Ola Nordmann <ola@example.no>"
    inner["Subject"] = "Søknad om endring av vedtak"
    inner.set_content("Vi søker om endring: flere årganger.")
    inner.add_attachment(
        b"Variabelnavn;Bestilles\n", maintype="text", subtype="csv", filename="var.csv"
    )
    outer = EmailMessage()
    outer["From"] = "Kari <kari@example.no>"
    outer["Subject"] = "VS: Søknad om endring av vedtak"
    outer.set_content("Videresender søknaden fra Ola.")
    outer.add_attachment(inner)
    mail = parse_mail(outer.as_bytes())
    assert mail.text.new == "Videresender søknaden fra Ola."
    assert "flere årganger" in mail.text.forwarded
    assert "Subject: Søknad om endring av vedtak" in mail.text.forwarded
    assert [(a.filename, a.origin) for a in mail.attachments] == [("var.csv", "forwarded")]


def test_bounce_quotes_the_original_as_history_not_as_forwarded_mail() -> None:
    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.no>\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: kari@example.no\r\n"
        b"Subject: Soknad om tilgang\r\n\r\nVedlagt er soknaden.\r\n--b--\r\n"
    )
    mail = parse_mail(raw)
    assert mail.content_type == "multipart/report"
    assert "Vedlagt er soknaden" in mail.text.quoted
    assert mail.text.forwarded == ""


def test_rfc2231_filename_with_norwegian_letters_is_decoded() -> None:
    raw = (
        b"From: a@example.no\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nHei\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''s%C3%B8knadsskjema%20v2.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"
    )
    (attachment,) = parse_mail(raw).attachments
    assert attachment.filename == "søknadsskjema v2.pdf"
    assert attachment.payload == b"%PDF-1.4\n"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\kari\\søknad.pdf", "søknad.pdf"),
        ("CON", "_CON"),
        ("fdp.\u202eexe.pdf", "fdp.exe.pdf"),
        ("", "attachment-3.pdf"),
        ("\x00\x01", "attachment-3.pdf"),
    ],
)
def test_attachment_names_are_made_safe(raw: str, expected: str) -> None:
    assert safe_filename(raw, 3, "application/pdf") == expected


def test_winmail_dat_is_unpacked_into_its_files(shared_corpora: Path) -> None:
    tnef = (shared_corpora / "mail" / "tnefparse" / "two-files.tnef").read_bytes()
    raw = make_mail("Se vedlegg.", attachments=[("winmail.dat", "application/ms-tnef", tnef)])
    mail = parse_mail(raw)
    names = [a.filename for a in mail.attachments]
    assert "winmail.dat" not in names
    assert len(names) == 2
    assert all(a.origin == "tnef" and a.payload for a in mail.attachments)


def test_corrupt_winmail_dat_is_kept_as_it_is_with_a_defect() -> None:
    raw = make_mail("x", attachments=[("winmail.dat", "application/ms-tnef", b"not tnef at all")])
    mail = parse_mail(raw)
    assert [a.filename for a in mail.attachments] == ["winmail.dat"]
    assert any("winmail.dat" in d for d in mail.defects)


def test_deep_rfc822_nesting_stops_at_the_limit_with_a_defect() -> None:
    message = EmailMessage()
    message["Subject"] = "innerst"
    message.set_content("innerst")
    for depth in range(30):
        outer = EmailMessage()
        outer["Subject"] = f"lag {depth}"
        outer.set_content(f"lag {depth}")
        outer.add_attachment(message)
        message = outer
    mail = parse_mail(message.as_bytes(), MailLimits(max_depth=10))
    assert any("nesting deeper than 10" in d for d in mail.defects)


def test_in_reply_to_and_references_are_kept_for_threading() -> None:
    raw = make_mail(
        "Takk",
        headers={"In-Reply-To": "<a@ssb.no>", "References": "<root@ssb.no> <a@ssb.no>"},
    )
    mail = parse_mail(raw)
    assert mail.in_reply_to == "<a@ssb.no>"
    assert mail.references == ("<root@ssb.no>", "<a@ssb.no>")


def test_every_public_corpus_mail_parses_without_an_exception(shared_corpora: Path) -> None:
    files = sorted((shared_corpora / "mail").rglob("*.eml"))
    assert len(files) > 200
    for path in files:
        mail = parse_mail(path.read_bytes())
        assert isinstance(mail.subject, str), path


def test_attachment_inside_zip_is_not_unpacked_by_the_mail_parser() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner.txt", "x")
    raw = make_mail("x", attachments=[("a.zip", "application/zip", buffer.getvalue())])
    assert [a.filename for a in parse_mail(raw).attachments] == ["a.zip"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4_000))
def test_any_bytes_parse_without_an_exception(raw: bytes) -> None:
    mail = parse_mail(raw)
    assert isinstance(mail.subject, str) and isinstance(mail.attachments, tuple)


_SAMPLE = make_mail(
    "Vedlagt er søknaden.\n\n> sitert\n",
    attachments=[
        ("skjema.pdf", "application/pdf", b"%PDF-1.4 fake"),
        ("a.txt", "text/plain", b"x"),
    ],
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_SAMPLE) - 1), st.binary(max_size=8)), max_size=12))
def test_real_mail_with_bytes_overwritten_still_parses(edits: list[tuple[int, bytes]]) -> None:
    raw = bytearray(_SAMPLE)
    for offset, replacement in edits:
        raw[offset : offset + len(replacement)] = replacement
    mail = parse_mail(bytes(raw))
    assert isinstance(mail.text.new, str)


_HEADER_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)
_CHARSETS = st.sampled_from(
    ["utf-8", "iso-8859-1", "windows-1252", "utf-16", "utf-7", "unicode-escape", "x-bogus", ""]
)


@settings(max_examples=200, deadline=None)
@given(
    raw=_HEADER_TEXT,
    index=st.integers(1, 9_999),
    content_type=st.sampled_from(["application/pdf", "text/plain", "x/unknown"]),
)
def test_safe_filename_never_has_a_path_control_or_bidi_character(
    raw: str, index: int, content_type: str
) -> None:
    name = safe_filename(raw, index, content_type)
    assert name and len(name) <= 200
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert not any(
        ord(c) < 32 or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" for c in name
    )
    assert safe_filename(name, index, content_type) == name  # already safe stays as it is


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300), charset=_CHARSETS)
def test_any_bytes_under_any_charset_label_decode_to_text_without_nul(
    data: bytes, charset: str
) -> None:
    text = decode_text(data, charset or None)
    assert isinstance(text, str) and "\x00" not in text


@settings(max_examples=150, deadline=None)
@given(
    subject=_HEADER_TEXT,
    body=st.text(max_size=400),
    charset=_CHARSETS,
    names=st.lists(_HEADER_TEXT, max_size=4),
)
def test_generated_mail_with_any_text_charset_and_names_parses_to_safe_values(
    subject: str, body: str, charset: str, names: list[str]
) -> None:
    from email.header import Header

    encoded_subject = Header(subject, "utf-8").encode() if subject else ""
    parts = [
        f"Content-Type: text/plain; charset={charset or 'utf-8'}\r\n\r\n".encode()
        + body.encode("utf-8", "surrogatepass")
    ]
    for name in names:
        parts.append(
            b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''"
            + __import__("urllib.parse").parse.quote(name).encode()
            + b"\r\n\r\ndata"
        )
    raw = (
        (
            f"From: a@example.no\r\nSubject: {encoded_subject}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        ).encode()
        + b"".join(b"--b\r\n" + part + b"\r\n" for part in parts)
        + b"--b--\r\n"
    )
    mail = parse_mail(raw)
    assert "\x00" not in mail.subject + mail.text.new
    assert len(mail.attachments) == len(names)
    assert all("/" not in a.filename and a.filename for a in mail.attachments)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600))
def test_split_body_loses_no_line_of_the_new_text_or_history(body: str) -> None:
    split = split_body(body)
    for part in (split.new, split.quoted, split.forwarded, split.signature):
        assert part.strip() == "" or part.strip() in body.replace("\r\n", "\n").replace("\r", "\n")


def test_an_encoded_display_name_cannot_become_the_sender_address() -> None:
    """`=?utf-8?q?evil=40y.no=2C_?=` decodes to "evil@y.no, ": taken apart after decoding,
    it used to become the sender (and the key of the per-sender reply limit)."""
    raw = (
        b"From: =?utf-8?q?evil=40y.no=2C_?= <kari@bergen.kommune.no>\r\n"
        b"To: mikrodata@ssb.no\r\nSubject: Hei\r\nMessage-ID: <a@b.no>\r\n\r\nHei.\r\n"
    )
    mail = parse_mail(raw)
    assert mail.sender is not None
    assert mail.sender.email == "kari@bergen.kommune.no"
    assert mail.sender.name == "evil@y.no,"


def test_an_unquoted_last_comma_first_name_stays_one_sender() -> None:
    """Some clients write `From: Strand, Ole-Martin <…>` unquoted; the comma must not make
    "Strand" the sender's address (it was the contact e-mail on the ticket)."""
    raw = (
        b"From: Strand, Ole-Martin <ole-martin.strand@nav.no>\r\n"
        b"To: mikrodata@ssb.no\r\nSubject: Ny prosjektleder\r\nMessage-ID: <c@nav.no>\r\n\r\nHei.\r\n"
    )
    mail = parse_mail(raw)
    assert mail.sender == Address(name="Strand, Ole-Martin", email="ole-martin.strand@nav.no")
    assert person_name(mail.sender.name) == "Ole-Martin Strand"
