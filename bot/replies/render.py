"""One verdict and its mail → the bot's reply as a MIME message, or the reason there is none.

This module's single job is composing: it picks the template for the verdict's action
and category from the closed set in `templates/`, renders it in the reply's language
with variables taken only from the verdict (category, case reference, missing codes)
and the ticket reference — never from the mail's text — and wraps the text in an
RFC 3834 auto-reply: threaded (`In-Reply-To`, `References`), `Auto-Submitted:
auto-replied`, a Message-ID of the bot's own domain, addressed to the mail's From and
to nobody else (never Reply-To, never an address from the body: see `_recipient`),
without attachments. Every header value that came from the mail goes through
`bot.replies.headers`, and the finished message is parsed back and checked before it is
handed out. It sends nothing.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path
from typing import Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from bot.replies.headers import (
    addresses_named,
    clean_message_id,
    clean_subject,
    encoded_subject,
    is_valid_domain,
    own_address,
    plain_address,
    references_header,
)
from bot.verdict import Category, ReplyAction, Verdict
from parsers.message import ParsedMail

log = logging.getLogger(__name__)

TEMPLATES_DIR: Final = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE_LANGUAGES: Final = ("nb", "en")
"""Languages with a full set of templates; any other reply language is answered in nb."""
DEFAULT_LANGUAGE: Final = "nb"
TEMPLATE_NAMES: Final = ("acknowledge", "request_missing", "receipt")
"""The closed set of reply templates, each at `reply/<language>/<name>.txt.j2`."""
PARTIAL_NAMES: Final = ("_reference", "_signature")
"""Pieces the templates include, one per language."""
MISSING_ITEMS_FILE: Final = "missing_items.toml"

TICKET_HEADER: Final = "X-Mikrobot-Ticket"
_TICKET_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}")
_CASE_REFERENCE = re.compile(r"\d{2}/\d{5}")
_FALLBACK_SUBJECT: Final = {
    "nb": "Re: Henvendelse til SSB mikrodata",
    "en": "Re: Your message to SSB",
}


class ReplyRenderError(Exception):
    """The reply cannot be composed safely: a bug or bad template data, never the mail's fault."""


@dataclass(frozen=True)
class NoReply:
    """Why the bot stays silent about a mail, in words for the ticket."""

    reason: str


@dataclass(frozen=True)
class MissingItem:
    """One missing document or fact, explained for a person (from `missing_items.toml`)."""

    code: str
    title: str
    text: str


@dataclass(frozen=True)
class Templates:
    """The template environment and missing-item texts of one templates folder, loaded once."""

    environment: Environment
    missing_items: Mapping[str, Mapping[str, MissingItem]]
    """language → code → item, codes in the file's order (the order a person reads them)."""


@cache
def load_templates(directory: Path = TEMPLATES_DIR) -> Templates:
    """Load and check a templates folder; StrictUndefined turns a typo into an error."""
    environment = Environment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Templates(environment, _load_missing_items(directory / MISSING_ITEMS_FILE))


def _load_missing_items(path: Path) -> dict[str, dict[str, MissingItem]]:
    with path.open("rb") as file:
        data = tomllib.load(file)
    items: dict[str, dict[str, MissingItem]] = {language: {} for language in TEMPLATE_LANGUAGES}
    for code, languages in data.items():
        for language in TEMPLATE_LANGUAGES:
            entry = languages.get(language) if isinstance(languages, dict) else None
            title = entry.get("title") if isinstance(entry, dict) else None
            text = entry.get("text") if isinstance(entry, dict) else None
            if not (isinstance(title, str) and title.strip() and isinstance(text, str)):
                raise ReplyRenderError(f"{path}: {code}.{language} needs a title and a text")
            items[language][code] = MissingItem(code, title.strip(), " ".join(text.split()))
    return items


def template_path(language: str, name: str) -> str:
    return f"reply/{language}/{name}.txt.j2"


def template_name(action: ReplyAction, category: Category) -> str:
    """The template for a verdict: `other` is only ever acknowledged with a receipt."""
    if action is ReplyAction.REQUEST_MISSING:
        return "request_missing"
    if action is ReplyAction.ACKNOWLEDGE:
        return "receipt" if category is Category.OTHER else "acknowledge"
    raise ReplyRenderError(f"no template for action {action.value!r}")


def reply_language(language: str) -> str:
    """The verdict's reply language if it has templates, else nb (nn is answered in nb)."""
    return language if language in TEMPLATE_LANGUAGES else DEFAULT_LANGUAGE


def render_body(verdict: Verdict, *, ticket_reference: str, templates: Templates) -> str:
    """The reply's text. The variables are the verdict's and the ticket's, nothing else."""
    language = reply_language(verdict.reply.language)
    name = template_name(verdict.reply.action, verdict.category)
    case_reference = verdict.fields.case_reference
    if case_reference is not None and not _CASE_REFERENCE.fullmatch(case_reference):
        log.warning("case reference %r is not YY/NNNNN: left out of the reply", case_reference)
        case_reference = None
    known = templates.missing_items[language]
    unknown = [code for code in verdict.missing if code not in known]
    if unknown:
        raise ReplyRenderError(f"no text for missing item(s) {unknown} in {MISSING_ITEMS_FILE}")
    missing = [item for code, item in known.items() if code in verdict.missing]
    if name == "request_missing" and not missing:
        raise ReplyRenderError("request_missing with nothing missing")
    variables = {
        "category": verdict.category.value,
        "case_reference": case_reference,
        "ticket_reference": ticket_reference,
        "missing": missing,
    }
    try:
        text = templates.environment.get_template(template_path(language, name)).render(variables)
    except TemplateError as error:
        raise ReplyRenderError(f"template {template_path(language, name)}: {error}") from error
    return _tidy(text)


def _tidy(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def plan_reply(
    verdict: Verdict,
    mail: ParsedMail,
    *,
    ticket_reference: str,
    from_address: str,
    message_id_domain: str,
    now: datetime,
    templates_dir: Path = TEMPLATES_DIR,
) -> EmailMessage | NoReply:
    """The reply to send, or why none is sent (for the ticket). See `render_reply`."""
    sender = own_address(from_address)
    if not is_valid_domain(message_id_domain):
        raise ValueError(f"message_id_domain is not a host name: {message_id_domain!r}")
    if not _TICKET_REFERENCE.fullmatch(ticket_reference):
        raise ValueError(f"ticket_reference is not a short plain token: {ticket_reference!r}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if verdict.message_id and mail.message_id and verdict.message_id != mail.message_id:
        raise ReplyRenderError("the verdict belongs to another mail than the one given")

    recipient = _recipient(verdict, mail, sender.addr_spec.lower(), message_id_domain)
    if isinstance(recipient, NoReply):
        log.info("no reply to %s: %s", mail.message_id or verdict.file, recipient.reason)
        return recipient

    language = reply_language(verdict.reply.language)
    body = render_body(
        verdict, ticket_reference=ticket_reference, templates=load_templates(templates_dir)
    )
    subject = clean_subject(verdict.reply.subject, fallback=_FALLBACK_SUBJECT[language])

    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = recipient
    message.set_raw("Subject", encoded_subject(subject))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=message_id_domain)
    parent = clean_message_id(mail.message_id)
    if parent is not None:
        message["In-Reply-To"] = parent
        message["References"] = references_header(mail.references, parent)
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message[TICKET_HEADER] = ticket_reference
    message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = language  # after set_content, which drops Content-* headers
    _check_round_trip(message, recipient, subject)
    return message


def render_reply(
    verdict: Verdict,
    mail: ParsedMail,
    *,
    ticket_reference: str,
    from_address: str,
    message_id_domain: str,
    now: datetime,
    templates_dir: Path = TEMPLATES_DIR,
) -> EmailMessage | None:
    """The reply to `mail` as a MIME message, or None when the bot must not answer.

    None for action `none`, auto-generated mail, mail from the bot itself (its address
    or its Message-ID domain), and mail without one usable reply address. Raises
    `ValueError` for bad arguments (configuration) and `ReplyRenderError` when the
    templates or the verdict are inconsistent: both are bugs for a person to fix.
    """
    planned = plan_reply(
        verdict,
        mail,
        ticket_reference=ticket_reference,
        from_address=from_address,
        message_id_domain=message_id_domain,
        now=now,
        templates_dir=templates_dir,
    )
    return None if isinstance(planned, NoReply) else planned


def render_preview(
    verdict: Verdict,
    mail: ParsedMail,
    *,
    ticket_reference: str,
    from_address: str,
    message_id_domain: str,
    now: datetime,
    templates_dir: Path = TEMPLATES_DIR,
) -> str:
    """The reply as a person reads it (headers decoded, body as text), for `reply-preview`."""
    planned = plan_reply(
        verdict,
        mail,
        ticket_reference=ticket_reference,
        from_address=from_address,
        message_id_domain=message_id_domain,
        now=now,
        templates_dir=templates_dir,
    )
    if isinstance(planned, NoReply):
        return f"(no reply: {planned.reason})\n"
    headers = "".join(
        f"{name}: {value}\n"
        for name, value in planned.items()
        if name.lower() not in ("content-transfer-encoding", "mime-version")
    )
    return f"{headers}\n{planned.get_content()}"


def _recipient(
    verdict: Verdict, mail: ParsedMail, own: str, message_id_domain: str
) -> str | NoReply:
    """The one address a reply may go to: the mail's From. Never Reply-To, never the body.

    Why not Reply-To, which RFC 5322 says a reply should go to: nothing vouches for it.
    SSB's mail gateway checks the From domain (SPF, DKIM and DMARC align on From), but a
    Reply-To is whatever the writer typed, so a forger could send one mail with
    `Reply-To: victim@…` and have SSB's own server mail the victim. SSB's applicants
    write from their own address, so From loses nothing for them; a person who really
    wants the answer elsewhere says so, and a caseworker reads it. The From header must
    name exactly one address (display names included, see `addresses_named`): a list,
    a second From, or an address hidden in an encoded name gets no automatic reply.
    """
    if verdict.reply.action is ReplyAction.NONE:
        return NoReply("the verdict's action is none")
    if verdict.auto_generated:
        return NoReply("the mail is auto-generated")
    if mail.sender is None:
        return NoReply("the mail has no sender address")
    if mail.sender.email.strip().lower() == own:
        return NoReply("the mail comes from the bot's own address")
    if (mail.message_id or "").lower().endswith(f"@{message_id_domain.lower()}>"):
        return NoReply("the mail carries a Message-ID of the bot's own domain")
    if len(addresses_named(value for name, value in mail.headers if name.lower() == "from")) > 1:
        return NoReply("the From header names more than one address")
    address = plain_address(mail.sender.email.strip())
    if address is None:
        return NoReply("the From address is not one plain, valid address")
    return address


_EXPECTED_HEADERS = frozenset(
    {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "auto-submitted",
        "x-auto-response-suppress",
        "content-language",
        TICKET_HEADER.lower(),
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)


def _check_round_trip(message: EmailMessage, recipient: str, subject: str) -> None:
    """Parse the bytes as a receiver will: the headers must be exactly the ones we set.

    The last line of defence against header injection: whatever slipped past the
    cleaning would show here as an extra header, a second recipient or a changed subject.
    """
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    names = [name.lower() for name in parsed]
    built = {name.lower() for name in message}
    problems = []
    if len(names) != len(set(names)) or set(names) != built or not built <= _EXPECTED_HEADERS:
        problems.append(f"headers {sorted(names)}")
    if str(parsed["Subject"]) != subject:
        problems.append("subject changed")
    to = parsed["To"]
    if to is None or [a.addr_spec for a in to.addresses] != [recipient]:
        problems.append("recipient changed")
    if parsed.is_multipart():
        problems.append("multipart")
    if problems:
        raise ReplyRenderError(f"the reply does not read back as built: {', '.join(problems)}")
