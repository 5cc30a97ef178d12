"""Auto-generated mail is recognised by every signal RFC 3834 and practice give."""

from __future__ import annotations

import pytest

from bot.loop_guard import auto_generated_reasons
from bot.rules import load_rules
from parsers.mail import parse_mail
from tests.conftest import make_mail

RULES = load_rules().auto_generated


def reasons(raw: bytes, own: frozenset[str] = frozenset()) -> tuple[str, ...]:
    return auto_generated_reasons(parse_mail(raw), RULES, own)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Auto-Submitted": "auto-replied"}, "header:auto-submitted=auto-replied"),
        ({"Auto-Submitted": "auto-generated; owner=x"}, "header:auto-submitted=auto-generated"),
        ({"Precedence": "bulk"}, "header:precedence=bulk"),
        ({"Precedence": "list"}, "header:precedence=list"),
        ({"List-Id": "<nyheter.ssb.no>"}, "header:list-id"),
        ({"List-Unsubscribe": "<mailto:u@x.no>"}, "header:list-unsubscribe"),
        ({"X-Autoreply": "yes"}, "header:x-autoreply"),
        ({"X-Autorespond": "yes"}, "header:x-autorespond"),
        ({"X-Auto-Response-Suppress": "All"}, "header:x-auto-response-suppress"),
        ({"Return-Path": "<>"}, "header:return-path=<>"),
    ],
)
def test_machine_headers_mark_mail_auto_generated(headers: dict[str, str], expected: str) -> None:
    assert expected in reasons(make_mail("Hei", headers=headers))


@pytest.mark.parametrize(
    "subject",
    ["Automatisk svar: Søknad om tilgang", "Out of Office: Re: tilbud", "Undeliverable: Søknad"],
)
def test_auto_reply_subjects_mark_mail_auto_generated(subject: str) -> None:
    assert reasons(make_mail("Jeg er på ferie.", subject=subject))


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.no", "postmaster@example.no"])
def test_system_senders_mark_mail_auto_generated(sender: str) -> None:
    assert reasons(make_mail("x", sender=sender))


def test_mail_claiming_to_come_from_the_bot_itself_is_never_answered() -> None:
    raw = make_mail("Re: din søknad", sender="SSB Mikrodata <mikrodata@ssb.no>")
    assert "sender:own-address" in reasons(raw, frozenset({"mikrodata@ssb.no"}))


def test_a_person_writing_with_auto_submitted_no_is_not_auto_generated() -> None:
    assert reasons(make_mail("Vedlagt er søknaden.", headers={"Auto-Submitted": "no"})) == ()


def test_a_plain_application_is_not_auto_generated() -> None:
    assert reasons(make_mail("Vedlagt er søknaden vår.")) == ()
