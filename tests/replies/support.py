"""Building verdicts and parsed mails for reply tests, so each test shows its own input."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from bot.replies.render import render_reply
from bot.reply_policy import verdict_reply
from bot.verdict import Category, Reply, ReplyAction, Verdict
from parsers.fields import Fields
from parsers.mail import parse_mail
from parsers.message import ParsedMail
from tests.conftest import make_mail

FROM = "SSB Mikrodata <mikrodata@ssb.no>"
DOMAIN = "mikrobot.ssb.no"
TICKET = "MB-000123"
NOW = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
CASE = "24/01872"


def parsed(
    body: str = "Vedlagt er søknaden vår.",
    *,
    subject: str = "Søknad om tilgang til mikrodata",
    sender: str = "Kari Nordmann <kari.nordmann@bergen.kommune.no>",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> ParsedMail:
    return parse_mail(
        make_mail(body, subject=subject, sender=sender, headers=headers, attachments=attachments)
    )


def verdict(
    mail: ParsedMail,
    *,
    category: Category = Category.NEW_APPLICATION,
    missing: tuple[str, ...] = (),
    language: str = "nb",
    case_reference: str | None = None,
    auto_generated: bool = False,
    subject: str | None = None,
    action: ReplyAction | None = None,
) -> Verdict:
    """A verdict as triage would make it (reply decided by triage's own `verdict_reply`)."""
    reply = verdict_reply(mail.subject, language, auto_generated, missing)
    if subject is not None or action is not None:
        reply = Reply(
            action or reply.action, reply.language, reply.subject if subject is None else subject
        )
    return Verdict(
        file="test.eml",
        message_id=mail.message_id,
        category=category,
        confidence=0.9,
        language=language,
        auto_generated=auto_generated,
        fields=Fields(
            case_reference=case_reference,
            organization_name="Bergen kommune",
            contact_name="Kari Nordmann",
            contact_email="kari.nordmann@bergen.kommune.no",
            project_title="Levekår blant unge i Bergen",
        ),
        attachments=(),
        missing=missing,
        reply=reply,
    )


def render(v: Verdict, mail: ParsedMail) -> EmailMessage | None:
    return render_reply(
        v, mail, ticket_reference=TICKET, from_address=FROM, message_id_domain=DOMAIN, now=NOW
    )


def received(message: EmailMessage | None) -> EmailMessage:
    """The reply as a receiving MUA sees it: the wire bytes parsed by the stdlib."""
    assert message is not None
    result = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(result, EmailMessage)
    return result


def text_of(message: EmailMessage | None) -> str:
    """The reply's body as the receiver reads it, with plain newlines."""
    assert message is not None
    content = received(message).get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def header_lines(message: EmailMessage) -> list[str]:
    """The raw header lines of the wire bytes, continuation lines joined to their header."""
    head = message.as_bytes().split(b"\r\n\r\n", 1)[0].decode("ascii")
    lines: list[str] = []
    for line in head.split("\r\n"):
        if line[:1] in (" ", "\t"):
            lines[-1] += line
        else:
            lines.append(line)
    return lines
