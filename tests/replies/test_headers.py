"""Untrusted text becomes header values that stay inside their header, whatever the input."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.replies.headers import (
    clean_message_id,
    clean_subject,
    encoded_subject,
    plain_address,
    references_header,
)
from tests.replies.support import parsed, render, verdict

FALLBACK = "Re: Henvendelse til SSB mikrodata"
MAIL = parsed()

# Text that looks like the attacks: encoded words, line breaks, header names, long runs.
hostile = st.lists(
    st.one_of(
        st.text(max_size=30),
        st.sampled_from(
            [
                "\r\n",
                "\n",
                "\r",
                "Bcc: evil@x.no",
                "=?utf-8?q?",
                "?=",
                "=0D=0A",
                "=?utf-8?b?",
                "DQpCY2M6IGV2aWxAeC5ubw==",
                "Søknad",
                "\u2028",
                "\u202e",
                "\x00",
                " ",
                "Re:",
            ]
        ),
    ),
    max_size=40,
).map("".join)


def read_back(subject: str) -> str:
    message = EmailMessage(policy=policy.SMTP)
    message.set_raw("Subject", encoded_subject(subject))
    return str(message_from_bytes(message.as_bytes(), policy=policy.default)["Subject"])


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_a_cleaned_subject_is_one_line_and_reads_back_unchanged(subject: str) -> None:
    cleaned = clean_subject(subject, fallback=FALLBACK)
    assert cleaned.startswith("Re: ") or cleaned == FALLBACK
    assert len(cleaned) <= 200
    assert cleaned.isprintable()
    assert read_back(cleaned) == cleaned


@settings(max_examples=150, deadline=None)
@given(hostile)
def test_no_subject_adds_a_header_or_a_recipient_to_a_reply(subject: str) -> None:
    reply = render(verdict(MAIL, subject=subject), MAIL)
    assert reply is not None
    wire = reply.as_bytes()
    assert max(len(line) for line in wire.split(b"\r\n")) <= 78
    back = message_from_bytes(wire, policy=policy.default)
    assert sorted(back.keys()) == sorted(reply.keys())
    assert [a.addr_spec for a in back["To"].addresses] == ["kari.nordmann@bergen.kommune.no"]
    assert str(back["Subject"]) == clean_subject(subject, fallback=FALLBACK)


@settings(max_examples=300, deadline=None)
@given(st.one_of(hostile, st.emails().map(str)))
def test_an_accepted_address_is_exactly_one_plain_address(text: str) -> None:
    address = plain_address(text)
    if address is None:
        return
    message = EmailMessage(policy=policy.SMTP)
    message["To"] = address
    back = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert [a.addr_spec for a in back["To"].addresses] == [address]
    assert address.isascii() and address.isprintable() and " " not in address


def test_ordinary_addresses_are_accepted_unchanged() -> None:
    for address in (
        "kari.nordmann@bergen.kommune.no",
        "post+mikrodata@nav.no",
        "o'brien@example.co.uk",
        "x@xn--tnsberg-q1a.kommune.no",
    ):
        assert plain_address(address) == address


def test_the_subject_keeps_its_words_and_gets_re() -> None:
    assert clean_subject("Søknad  om\ttilgang", fallback=FALLBACK) == "Re: Søknad om tilgang"
    assert clean_subject("RE: re:Søknad", fallback=FALLBACK) == "Re: Søknad"
    assert clean_subject("Re:", fallback=FALLBACK) == FALLBACK


def test_a_subject_that_decodes_to_a_line_break_is_flattened() -> None:
    assert (
        clean_subject("Re: =?utf-8?q?a=0D=0ABcc:_evil@x.no?=", fallback=FALLBACK)
        == "Re: a Bcc: evil@x.no"
    )


def test_long_norwegian_subjects_keep_their_spaces_on_the_wire() -> None:
    subject = (
        "Re: Søknad om endring – tilleggsvariabler for prosjektet «Levekår blant unge i Bærum»"
    )
    assert read_back(subject) == subject


def test_message_ids_that_a_header_would_decode_are_refused() -> None:
    assert clean_message_id("<a@b.no>") == "<a@b.no>"
    assert clean_message_id("<=?utf-8?q?a=0D=0A?=@b.no>") is None
    assert clean_message_id("<a@b.no> <c@d.no>") is None
    assert clean_message_id(None) is None


def test_references_drop_duplicates_and_unusable_ids() -> None:
    assert references_header(["<a@x>", "junk", "<a@x>", "<b@x>"], "<c@x>") == "<a@x> <b@x> <c@x>"
    assert references_header(["<c@x>", "<a@x>"], "<c@x>") == "<a@x> <c@x>"
