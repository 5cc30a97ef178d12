"""Nobody can use the bot's replies against anyone: issue #4, part 3.

Each test runs the real service on a Maildir with a SQLite store and the file sender:
hostile bytes go in, and the assertions read what would leave SSB (the .eml the sender
wrote, parsed back by the stdlib as a receiver would) and what the ticket records.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from bot.loop_guard import SPOOFED_OWN_ADDRESS
from bot.replying import Answerer
from bot.service import Service
from bot.settings import Settings
from bot.store.models import TicketEvent
from bot.triage import TriageContext, triage_with_mail
from tests.conftest import maildir_service, make_mail
from tests.replies.test_render import HEADERS
from tests.store.test_store import DPIA, FORM, SCRIPT
from tests.test_service import deliver, outbox

KARI = "kari.nordmann@bergen.kommune.no"
EXPECTED_HEADERS = {name.lower() for name in HEADERS}


@pytest.fixture
def service(tmp_path: Path, context: TriageContext) -> Iterator[Service]:
    service = maildir_service(tmp_path, context)
    yield service
    service.close()


def limited(service: Service, **limits: int) -> Service:
    """The service with other limits (it reads its settings at every mail)."""
    service.reconfigure(service.settings.model_copy(update=limits))
    return service


def mail(
    body: str = "Vedlagt er søknaden vår om tilgang til mikrodata.",
    *,
    message_id: str | None = None,
    raw_headers: dict[bytes, bytes] | None = None,
    **options: Any,
) -> bytes:
    """`make_mail`, with its own Message-ID and header lines replaced as raw bytes."""
    raw = make_mail(body, message_id=message_id, **options)
    for old, new in (raw_headers or {}).items():
        assert old in raw
        raw = raw.replace(old, new)
    return raw


def run(service: Service, *raws: bytes) -> None:
    for raw in raws:
        deliver(service, raw)
    service.run(once=True)


def replies(service: Service) -> list[EmailMessage]:
    """What left SSB: every written .eml, parsed as the receiving server would."""
    return outbox(service)


def wire(service: Service) -> bytes:
    return b"".join(p.read_bytes() for p in Path(service.settings.smtp).glob("*.eml"))


def events(service: Service) -> list[TicketEvent]:
    found: list[TicketEvent] = []
    for ticket in service.store.tickets():
        _, _, history = service.store.ticket(ticket.id) or (None, [], [])
        found.extend(history)
    return found


def assert_only_our_headers_and_one_recipient(reply: EmailMessage, recipient: str) -> None:
    names = [name.lower() for name in reply]
    assert set(names) <= EXPECTED_HEADERS and len(names) == len(set(names))
    assert [a.addr_spec for a in reply["To"].addresses] == [recipient]
    subject = str(reply["Subject"])
    assert "\r" not in subject and "\n" not in subject


# --- (a) header injection through the subject ---------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        b"=?utf-8?q?S=C3=B8knad=0D=0ABcc=3A_evil=40attacker.example?=",
        b"=?utf-8?b?U8O4a25hZA0KQmNjOiBldmlsQGF0dGFja2VyLmV4YW1wbGU=?=",
        b"=?utf-8?q?S=C3=B8knad?=\r\n =?utf-8?q?=0D=0ABcc:_evil@attacker.example=0D=0A=0D=0Abody?=",
        b"=?utf-8?b?PT91dGYtOD9xP1M9MEQ9MEFCY2M6X2V2aWxAYXR0YWNrZXIuZXhhbXBsZT89?=",
    ],
    ids=["q-encoded", "b-encoded", "folded-words", "encoded-twice"],
)
def test_a_subject_with_crlf_and_a_bcc_header_cannot_add_a_header_to_the_reply(
    service: Service, subject: bytes
) -> None:
    run(service, mail(subject="x", raw_headers={b"Subject: x": b"Subject: " + subject}))
    (reply,) = replies(service)
    assert_only_our_headers_and_one_recipient(reply, KARI)
    assert "Bcc" not in reply and "Cc" not in reply
    assert str(reply["Subject"]).startswith("Re: ")


# --- (b) the sender: From only, exactly one address -----------------------------------


@pytest.mark.parametrize(
    "from_line",
    [
        b'From: "=?utf-8?q?evil=40attacker.example=2C_?=" <kari.nordmann@bergen.kommune.no>',
        b"From: =?utf-8?q?evil=40attacker.example=2C_?= <kari.nordmann@bergen.kommune.no>",
        b'From: "evil@attacker.example, Kari" <kari.nordmann@bergen.kommune.no>',
        b"From: kari.nordmann@bergen.kommune.no, evil@attacker.example",
        b"From: Kari <kari.nordmann@bergen.kommune.no>\r\nFrom: evil@attacker.example",
    ],
    ids=["encoded-quoted-name", "encoded-name", "quoted-name", "address-list", "two-from"],
)
def test_a_sender_naming_a_second_address_gets_no_reply_but_is_filed(
    service: Service, from_line: bytes
) -> None:
    from_kari = b"From: Kari Nordmann <kari.nordmann@bergen.kommune.no>"
    run(service, mail(raw_headers={from_kari: from_line}))
    assert len(service.store.tickets()) == 1
    assert replies(service) == []


def test_a_display_name_with_crlf_and_bcc_reaches_no_header_of_the_reply(
    service: Service,
) -> None:
    from_kari = b"From: Kari Nordmann <kari.nordmann@bergen.kommune.no>"
    name = (
        b'From: "=?utf-8?q?Kari=0D=0ABcc:_evil=0D=0AX-Evil:_1?=" <kari.nordmann@bergen.kommune.no>'
    )
    run(service, mail(raw_headers={from_kari: name}))
    (reply,) = replies(service)
    assert_only_our_headers_and_one_recipient(reply, KARI)
    assert b"evil" not in wire(service).lower()


def test_a_forged_reply_to_cannot_redirect_the_reply_to_a_victim(service: Service) -> None:
    """Reply-To is the writer's word, unauthenticated: the reply goes to From (see
    `bot.replies.render._recipient` for why)."""
    run(service, mail(headers={"Reply-To": "Offer <victim@elsewhere.example>"}))
    (reply,) = replies(service)
    assert_only_our_headers_and_one_recipient(reply, KARI)
    assert b"victim" not in wire(service)
    (ticket,) = service.store.tickets()
    assert [o.recipient for o in service.store.outbox(ticket.id)] == [KARI]


# --- (c) addresses in the body --------------------------------------------------------


def test_addresses_written_in_the_body_are_never_used(service: Service) -> None:
    body = (
        "Hei, vedlagt er søknaden vår om tilgang til mikrodata.\n"
        "Send svaret til evil@attacker.example, ikke til meg.\n"
        "To: evil@attacker.example\nBcc: spy@attacker.example\n"
        "Kontaktperson: Ola Nordmann, ola@attacker.example\n"
    )
    run(service, mail(body, attachments=[FORM]))
    (reply,) = replies(service)
    assert_only_our_headers_and_one_recipient(reply, KARI)
    assert b"attacker" not in wire(service)


# --- (d) attachments -------------------------------------------------------------------


def test_the_reply_never_carries_an_attachment(service: Service) -> None:
    pdf = ("soknad-UNIQUE-ATTACHMENT.pdf", "application/pdf", b"%PDF-1.4 UNIQUE-PDF-BYTES")
    run(service, mail(attachments=[FORM, SCRIPT, DPIA, pdf]))
    (reply,) = replies(service)
    parts = list(reply.walk())
    assert [p.get_content_type() for p in parts] == ["text/plain"]
    assert not reply.is_multipart() and list(reply.iter_attachments()) == []
    assert reply.get_content_disposition() is None and reply.get_filename() is None
    assert b"UNIQUE" not in wire(service) and b"Levek" not in wire(service)


# --- (e) only this thread's data -------------------------------------------------------


def test_a_reply_names_this_threads_case_reference_not_one_quoted_from_another_case(
    service: Service,
) -> None:
    first = mail("Vedlagt er søknaden vår. Saksnummer 24/01872.", attachments=[FORM, SCRIPT])
    run(service, first)
    (request,) = replies(service)
    answer = mail(
        "Her er DPIA-en. Vi har også en annen sak hos dere, saksnummer 23/55555.",
        message_id="<kari-2@bergen.kommune.no>",
        subject=str(request["Subject"]),
        headers={"In-Reply-To": request["Message-ID"], "References": request["Message-ID"]},
        attachments=[DPIA],
    )
    run(service, answer)
    (ticket,) = service.store.tickets()
    assert ticket.case_reference == "24/01872"
    second = replies(service)[1]
    text = second.get_content()
    assert "24/01872" in text and "23/55555" not in text


def test_a_stranger_naming_someone_elses_case_hears_only_a_receipt(service: Service) -> None:
    kari = mail(
        "Vedlagt er søknaden vår. Saksnummer 24/01872. Prosjekt: Levekår QX-7731.",
        attachments=[FORM, SCRIPT],
    )
    run(service, kari)
    stranger = mail(
        "Hva mangler i saksnummer 24/01872? Vennlig hilsen Ola",
        subject="Spørsmål om saksnummer 24/01872",
        sender="Ola Nosy <ola@nosy.example>",
        message_id="<ola-1@nosy.example>",
    )
    run(service, stranger)
    (ticket,) = service.store.tickets()
    assert ticket.missing == ["dpia"]  # Kari's case still lacks the DPIA …
    to_ola = next(r for r in replies(service) if r["To"] == "ola@nosy.example")
    text = to_ola.get_content()
    assert "Takk for e-posten din" in text  # … and Ola hears only that his mail arrived
    assert "DPIA" not in text and "Personvernkonsekvens" not in text
    assert "QX-7731" not in text and "Bergen" not in text and "Kari" not in text


# --- (f) rate limits -------------------------------------------------------------------


def test_over_the_hourly_limit_the_mail_is_filed_unanswered_and_the_history_says_why(
    service: Service,
) -> None:
    limited(service, max_replies_per_hour=2)
    run(
        service,
        *(
            mail(f"Spørsmål nummer {n}", subject=f"Spørsmål {n}", sender=f"p{n}@example.no")
            for n in range(3)
        ),
    )
    assert len(service.store.tickets()) == 3
    assert len(replies(service)) == 2
    skipped = [e for e in events(service) if e.action == "reply_skipped"]
    assert [e.detail["reason"] for e in skipped] == ["overall rate limit: 2 replies an hour"]


def test_one_sender_gets_no_more_replies_a_day_than_the_limit(service: Service) -> None:
    limited(service, max_replies_per_sender_per_day=2)
    run(service, *(mail(f"Spørsmål {n}", subject=f"Spørsmål {n}") for n in range(4)))
    assert len(service.store.tickets()) == 4
    assert [r["To"] for r in replies(service)] == [KARI, KARI]
    reasons = [e.detail["reason"] for e in events(service) if e.action == "reply_skipped"]
    assert reasons == [f"rate limit: 2 replies a day to {KARI}"] * 2


def test_a_sender_at_an_internationalised_domain_is_limited_too(service: Service) -> None:
    """Replies go to the IDNA form of the address; the count must use the same spelling,
    or a sender at `bærum.kommune.no` (SMTPUTF8 mail, or one who varies the case) escapes
    the limit."""
    limited(service, max_replies_per_sender_per_day=2)
    senders = ["kari@bærum.kommune.no", "Kari@Bærum.Kommune.no"] * 2
    run(
        service,
        *(
            mail(
                f"Spørsmål {n}",
                subject=f"Spørsmål {n}",
                sender="Kari <kari@placeholder.no>",
                raw_headers={b"kari@placeholder.no": address.encode()},
            )
            for n, address in enumerate(senders)
        ),
    )
    assert len(service.store.tickets()) == 4
    assert [r["To"].lower() for r in replies(service)] == ["kari@xn--brum-voa.kommune.no"] * 2
    reasons = [e.detail["reason"] for e in events(service) if e.action == "reply_skipped"]
    assert len(reasons) == 2 and all(r.startswith("rate limit: 2 replies a day") for r in reasons)


def test_the_limits_have_sensible_defaults() -> None:
    settings = Settings()
    assert settings.max_replies_per_hour == 200 and settings.max_replies_per_sender_per_day == 5


# --- (g) the bot's own address ------------------------------------------------------


def test_a_forged_mail_from_the_bots_own_address_is_not_answered_and_is_flagged_as_spoofed(
    service: Service,
) -> None:
    forged = mail(
        "Hei, send oss alle søknadene.",
        sender="SSB Mikrodata <mikrodata@ssb.no>",
        message_id="<forged-1@attacker.example>",
    )
    run(service, forged)
    assert replies(service) == []
    (ticket,) = service.store.tickets()
    _, (row,), history = service.store.ticket(ticket.id) or (None, [None], [])
    assert row is not None and SPOOFED_OWN_ADDRESS in row.verdict["evidence"]["rules"]
    assert [e.detail for e in history if e.action == "spoofed_own_address"] == [{"mail_id": row.id}]


def test_a_copy_of_the_bots_own_reply_is_recognised_by_its_message_id_and_not_flagged(
    service: Service,
) -> None:
    run(service, mail(attachments=[FORM]))
    (reply,) = replies(service)
    copy = reply.as_bytes(policy=email.policy.SMTP)
    run(service, copy)  # the service may take it as a delivery confirmation, unfiled …
    verdict, parsed = triage_with_mail(copy, "copy", service.context)
    filed = service.store.file_mail(  # … and filed, the store still knows it as ours
        raw=copy,
        source_key="copy",
        received_at=None,
        verdict=verdict,
        mail=parsed,
        requirements=service.context.requirements,
        build_reply=Answerer(service.settings),
    )
    assert filed.outbox_id is None and len(replies(service)) == 1
    assert [e for e in events(service) if e.action == "spoofed_own_address"] == []
    _, mails, _ = service.store.ticket(filed.ticket_id) or (None, [], [])
    (row,) = [m for m in mails if m.id == filed.mail_id]
    assert "sender:own-address" in row.verdict["evidence"]["rules"]
    assert SPOOFED_OWN_ADDRESS not in row.verdict["evidence"]["rules"]
