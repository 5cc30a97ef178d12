"""A reply is a proper RFC 3834 auto-reply, goes only to the mail's sender, and cannot be hijacked.

Every assertion reads the reply back from its wire bytes with the stdlib, as a
receiving mail server or program would.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from bot.replies.render import (
    ReplyRenderError,
    as_text,
    load_templates,
    plan_reply,
    render_body,
    render_reply,
)
from bot.reply_policy import NoReply, ReplyPlan, verdict_reply
from bot.verdict import Category, ReplyAction, Verdict
from parsers.mail import parse_mail
from parsers.message import Address, ParsedMail
from tests.conftest import make_mail
from tests.replies.support import (
    CASE,
    DOMAIN,
    FROM,
    NOW,
    TICKET,
    header_lines,
    parsed,
    received,
    render,
    text_of,
    verdict,
)

HEADERS = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Auto-Submitted",
    "X-Auto-Response-Suppress",
    "Content-Language",
    "X-Mikrobot-Ticket",
    "X-Mikrobot-Action",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
}


def test_a_reply_is_threaded_marked_auto_replied_and_from_the_bots_domain() -> None:
    mail = parsed(headers={"References": "<root@bergen.kommune.no> <mid@ssb.no>"})
    reply = received(render(verdict(mail, case_reference=CASE), mail))

    assert set(reply.keys()) == HEADERS
    assert reply["From"] == FROM
    assert reply["To"] == "kari.nordmann@bergen.kommune.no"
    assert reply["Subject"] == "Re: Søknad om tilgang til mikrodata"
    assert reply["In-Reply-To"] == mail.message_id
    assert reply["References"].split() == [
        "<root@bergen.kommune.no>",
        "<mid@ssb.no>",
        mail.message_id,
    ]
    assert reply["Auto-Submitted"] == "auto-replied"
    assert re.fullmatch(rf"<[^<>@\s]+\.mikrobot@{re.escape(DOMAIN)}>", reply["Message-ID"])
    assert parsedate_to_datetime(reply["Date"]) == NOW
    assert reply["Content-Language"] == "nb"
    assert reply["X-Mikrobot-Ticket"] == TICKET
    assert reply.get_content_type() == "text/plain"
    assert reply.get_content_charset() == "utf-8"
    assert CASE in text_of(reply)


def test_every_reply_has_its_own_message_id() -> None:
    mail = parsed()
    first, second = (render(verdict(mail), mail) for _ in range(2))
    assert first is not None and second is not None
    assert first["Message-ID"] != second["Message-ID"]


def test_the_reply_goes_to_from_even_when_the_mail_has_a_reply_to() -> None:
    mail = parsed(headers={"Reply-To": "Saksarkiv <postmottak@bergen.kommune.no>"})
    assert received(render(verdict(mail), mail))["To"] == "kari.nordmann@bergen.kommune.no"


def test_the_reply_goes_to_one_address_only_even_when_reply_to_names_several() -> None:
    mail = parsed(headers={"Reply-To": "a@bergen.kommune.no, b@bergen.kommune.no"})
    reply = received(render(verdict(mail), mail))
    assert [a.addr_spec for a in reply["To"].addresses] == ["kari.nordmann@bergen.kommune.no"]
    assert "Cc" not in reply and "Bcc" not in reply


def test_addresses_and_text_in_the_body_never_reach_the_reply() -> None:
    body = (
        "Hei! Send svaret til evil@attacker.example og kopi til Bcc: spy@attacker.example.\n"
        "Reply-To: evil@attacker.example\n\nUNIQUE-BODY-MARKER-7781"
    )
    mail = parsed(body)
    reply = render(verdict(mail, missing=("dpia",)), mail)
    assert reply is not None
    wire = reply.as_bytes()
    assert b"attacker" not in wire and b"UNIQUE-BODY-MARKER" not in wire
    assert received(reply)["To"] == "kari.nordmann@bergen.kommune.no"


def test_no_attachment_is_ever_sent_back() -> None:
    mail = parsed(attachments=[("soknadsskjema.pdf", "application/pdf", b"%PDF-1.4 ...")])
    reply = received(render(verdict(mail), mail))
    assert not reply.is_multipart()
    assert list(reply.iter_attachments()) == []
    assert b"soknadsskjema" not in reply.as_bytes()


def test_the_verdicts_fields_other_than_the_case_reference_are_not_echoed() -> None:
    mail = parsed()
    reply = text_of(render(verdict(mail, case_reference=CASE), mail))
    assert "Kari Nordmann" not in reply and "Levekår" not in reply and "Bergen" not in reply


def test_an_nn_verdict_is_answered_with_the_nn_template() -> None:
    mail = parsed("Vedlagt er søknaden vår, med variabellister.")
    reply = render(verdict(mail, language="nn", missing=("dpia",)), mail)
    assert received(reply)["Content-Language"] == "nn"
    assert text_of(reply).startswith("Hei,\n\nTakk for søknaden")
    assert "ikkje" in text_of(reply) and "ikke" not in text_of(reply)


def test_an_english_verdict_gets_the_english_template() -> None:
    mail = parsed("Please find our application attached.", subject="Application for microdata")
    reply = render(verdict(mail, language="en", missing=("dpia",)), mail)
    assert received(reply)["Content-Language"] == "en"
    assert "Data protection impact assessment (DPIA)" in text_of(reply)
    assert received(reply)["Subject"] == "Re: Application for microdata"


# --- when the bot stays silent ------------------------------------------------------


def test_action_none_gives_no_reply() -> None:
    mail = parsed()
    assert render(verdict(mail, auto_generated=True), mail) is None


def test_auto_generated_mail_gets_no_reply_even_if_the_action_says_otherwise() -> None:
    mail = parsed()
    v = verdict(mail, auto_generated=True, action=ReplyAction.ACKNOWLEDGE)
    assert render(v, mail) is None


def test_mail_from_the_bot_itself_gets_no_reply() -> None:
    mail = parsed(sender="SSB Mikrodata <MIKRODATA@ssb.no>")
    assert render(verdict(mail), mail) is None


def test_a_reply_to_pointing_at_the_bot_is_ignored_like_any_reply_to() -> None:
    mail = parsed(headers={"Reply-To": "mikrodata@ssb.no"})
    planned = plan_reply(
        verdict(mail),
        mail,
        ticket_reference=TICKET,
        from_address=FROM,
        message_id_domain=DOMAIN,
        now=NOW,
    )
    assert not isinstance(planned, NoReply)
    assert received(planned)["To"] == "kari.nordmann@bergen.kommune.no"


def test_mail_carrying_a_message_id_of_the_bots_domain_gets_no_reply() -> None:
    mail = dataclasses.replace(parsed(), message_id=f"<123.456.789@{DOMAIN}>")
    assert render(verdict(mail), mail) is None


def test_mail_without_a_sender_gets_no_reply() -> None:
    mail = dataclasses.replace(parsed(), sender=None)
    assert render(verdict(mail), mail) is None


@pytest.mark.parametrize(
    "email",
    [
        "kari@bergen.kommune.no\r\nBcc: evil@x.no",
        "kari@bergen.kommune.no\nBcc: evil@x.no",
        "kari@bergen.kommune.no, evil@x.no",
        "kari@bergen.kommune.no evil@x.no",
        "not an address",
        "kari@",
        "@bergen.kommune.no",
        "kari@@bergen.kommune.no",
        "kari@localhost",
        "kari@[10.0.0.1]",
        '"kari nordmann"@bergen.kommune.no',
        "=?utf-8?q?kari=0D=0A?=@bergen.kommune.no",
        "kari\x00@bergen.kommune.no",
        "kåre@bergen.kommune.no",
        "x" * 65 + "@bergen.kommune.no",
        "kari@" + "a" * 250 + ".no",
    ],
)
def test_a_malformed_or_smuggling_address_gets_no_reply(email: str) -> None:
    mail = dataclasses.replace(parsed(), sender=Address("Kari", email))
    assert render(verdict(mail), mail) is None


def test_an_internationalised_domain_is_sent_as_idna() -> None:
    mail = dataclasses.replace(parsed(), sender=Address("Kåre", "kare@tønsberg.kommune.no"))
    assert received(render(verdict(mail), mail))["To"] == "kare@xn--tnsberg-q1a.kommune.no"


# --- header injection ---------------------------------------------------------------


def assert_single_safe_headers(reply_bytes: bytes, expected_subject: str | None = None) -> None:
    from email import message_from_bytes, policy

    reply = message_from_bytes(reply_bytes, policy=policy.default)
    assert set(reply.keys()) <= HEADERS
    assert len(reply.keys()) == len(set(reply.keys()))
    for name in ("Bcc", "Cc", "X-Evil"):
        assert name not in reply
    subject = str(reply["Subject"])
    assert "\r" not in subject and "\n" not in subject
    assert subject.startswith("Re: ")
    if expected_subject is not None:
        assert subject == expected_subject
    assert [a.addr_spec for a in reply["To"].addresses] == ["kari.nordmann@bergen.kommune.no"]


@pytest.mark.parametrize(
    "subject",
    [
        "Re: Søknad\r\nBcc: evil@x.no",
        "Re: Søknad\nBcc: evil@x.no\n\nbody",
        "Re: Søknad\rX-Evil: 1",
        "Re: =?utf-8?q?S=C3=B8knad=0D=0ABcc=3A_evil=40x.no?=",
        "Re: =?utf-8?b?U8O4a25hZA0KQmNjOiBldmlsQHgubm8=?=",
        "Re: =?utf-8?b?PT91dGYtOD9xP2E9MEQ9MEFCY2M6X2V2aWxAeC5ubz89?=",  # encoded twice
        "Re: =?iso-8859-1?q?S=F8knad=0ABcc:_evil@x.no?= =?utf-8?q?=0D=0A?=",
        "Re: Søknad\u2028Bcc: evil@x.no\u202e",
        "Re: Søknad\x00\x1b[31m\x7f",
    ],
)
def test_subject_injection_yields_one_clean_subject_line_and_no_extra_headers(subject: str) -> None:
    mail = parsed()
    reply = render(verdict(mail, subject=subject), mail)
    assert reply is not None
    assert_single_safe_headers(reply.as_bytes())
    assert all(
        re.match(r"[A-Za-z-]+: ", line) and line.split(":")[0] in HEADERS
        for line in header_lines(reply)
    )


def test_a_malicious_subject_from_the_wire_is_neutralised_end_to_end() -> None:
    raw = make_mail("Hei", subject="x").replace(
        b"Subject: x", b"Subject: =?utf-8?q?S=C3=B8knad=0D=0ABcc=3A_evil=40x.no?="
    )
    mail = parse_mail(raw)
    reply = render(verdict(mail), mail)
    assert reply is not None
    assert_single_safe_headers(reply.as_bytes(), "Re: Søknad Bcc: evil@x.no")


def test_a_display_name_with_line_breaks_does_not_reach_the_headers() -> None:
    raw = make_mail("Hei").replace(
        b"From: Kari Nordmann <kari.nordmann@bergen.kommune.no>",
        b'From: "=?utf-8?q?Kari=0D=0ABcc:_evil?=" <kari.nordmann@bergen.kommune.no>',
    )  # a name naming a second address gets no reply at all (tests/test_reply_abuse.py)
    mail = parse_mail(raw)
    assert mail.sender is not None and "\r\nBcc" in mail.sender.name
    reply = render(verdict(mail), mail)
    assert reply is not None
    assert_single_safe_headers(reply.as_bytes())
    assert b"evil" not in reply.as_bytes()


@pytest.mark.parametrize(
    "message_id",
    [
        "<=?utf-8?q?a=0D=0ABcc:_evil@x.no?=@x.no>",
        "<a b@x.no>",
        "not-an-id",
        "<" + "a" * 300 + "@x>",
    ],
)
def test_a_hostile_message_id_is_left_out_of_the_threading_headers(message_id: str) -> None:
    mail = dataclasses.replace(parsed(), message_id=message_id, references=(message_id,))
    v = dataclasses.replace(verdict(mail), message_id=None)
    reply = render(v, mail)
    assert reply is not None
    assert "In-Reply-To" not in reply and "References" not in reply
    assert_single_safe_headers(reply.as_bytes())


def test_references_stay_bounded_keeping_the_root_and_the_mail_itself() -> None:
    refs = " ".join(f"<ref-{i:04d}-{'x' * 40}@example.no>" for i in range(200))
    mail = parsed(headers={"References": refs})
    reply = received(render(verdict(mail), mail))
    ids = reply["References"].split()
    assert len(" ".join(ids)) <= 900
    assert ids[0] == f"<ref-0000-{'x' * 40}@example.no>"
    assert ids[-1] == mail.message_id
    assert ids[-2] == f"<ref-0199-{'x' * 40}@example.no>"


def test_a_very_long_subject_is_shortened() -> None:
    mail = parsed(subject="Søknad " * 100)
    subject = received(render(verdict(mail), mail))["Subject"]
    assert len(subject) <= 200 and subject.endswith("…") and subject.startswith("Re: Søknad")


def test_an_empty_subject_gets_a_fallback() -> None:
    mail = parsed(subject="")
    assert received(render(verdict(mail), mail))["Subject"] == "Re: Henvendelse til SSB mikrodata"
    v = verdict(mail, subject="\r\n\x00")
    assert received(render(v, mail))["Subject"] == "Re: Henvendelse til SSB mikrodata"


# --- misuse is loud ----------------------------------------------------------------


def test_a_verdict_for_another_mail_is_refused() -> None:
    mail = parsed()
    v = dataclasses.replace(verdict(mail), message_id="<other@example.no>")
    with pytest.raises(ReplyRenderError):
        render(v, mail)


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("ticket_reference", "MB-1\r\nBcc: x@y.no"),
        ("ticket_reference", ""),
        ("from_address", "mikrodata@ssb.no, evil@x.no"),
        ("from_address", "not an address"),
        ("message_id_domain", "ssb.no>\r\nBcc: x"),
        ("now", datetime(2025, 3, 3, 9, 30)),
    ],
)
def test_bad_configuration_raises(argument: str, value: object) -> None:
    mail = parsed()
    arguments: dict[str, object] = {
        "ticket_reference": TICKET,
        "from_address": FROM,
        "message_id_domain": DOMAIN,
        "now": NOW,
        argument: value,
    }
    with pytest.raises(ValueError):
        render_reply(verdict(mail), mail, **arguments)  # type: ignore[arg-type]


def test_a_plan_that_requests_nothing_is_an_error_not_an_empty_list() -> None:
    inconsistent = ReplyPlan(
        recipient="kari.nordmann@bergen.kommune.no", action=ReplyAction.REQUEST_MISSING,
        template="request_missing", language="nb", subject="x",
        category=Category.NEW_APPLICATION, case_reference=None, ticket_reference=TICKET,
    )  # fmt: skip
    with pytest.raises(ReplyRenderError):
        render_body(inconsistent, templates=load_templates())


def test_the_verdicts_action_does_not_override_what_the_case_lacks() -> None:
    mail = parsed()
    reply = received(render(verdict(mail, action=ReplyAction.REQUEST_MISSING), mail))
    assert reply["X-Mikrobot-Action"] == "acknowledge"


# --- the preview --------------------------------------------------------------------


def render_preview(v: Verdict, mail: ParsedMail, **arguments: Any) -> str:
    planned = plan_reply(v, mail, **arguments)
    return f"(no reply: {planned.reason})\n" if isinstance(planned, NoReply) else as_text(planned)


def test_the_preview_shows_decoded_headers_and_the_body_as_text() -> None:
    mail = parsed()
    v = verdict(mail, category=Category.CHANGE_REQUEST, missing=("case_reference",))
    preview = render_preview(
        v, mail, ticket_reference=TICKET, from_address=FROM, message_id_domain=DOMAIN, now=NOW
    )
    assert "Subject: Re: Søknad om tilgang til mikrodata\n" in preview
    assert "Auto-Submitted: auto-replied\n" in preview
    assert "Takk for søknaden om endring." in preview
    assert "=C3" not in preview


def test_the_preview_says_why_there_is_no_reply() -> None:
    mail = parsed()
    preview = render_preview(
        verdict(mail, auto_generated=True),
        mail,
        ticket_reference=TICKET,
        from_address=FROM,
        message_id_domain=DOMAIN,
        now=NOW,
    )
    assert preview == "(no reply: the mail is machine-made (auto-reply, bounce or list))\n"


def test_verdict_reply_and_render_agree_for_every_category() -> None:
    for category in Category:
        mail = parsed()
        v = verdict(mail, category=category)
        assert v.reply == verdict_reply(mail.subject, "nb", False, ())
        assert render(v, mail) is not None
