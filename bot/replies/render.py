"""A reply plan → the bot's reply as a MIME message: the one composer every path uses.

Whether to reply, to whom and with what is decided in `bot.reply_policy.plan`; this
module only writes the plan out. It picks the template the plan names from the closed
set in `templates/`, renders it in the plan's language with variables taken only from
the plan (category, case and ticket reference, missing codes and why) — never from the
mail's text — and wraps the text in an RFC 3834 auto-reply: threaded (`In-Reply-To`,
`References`), `Auto-Submitted: auto-replied`, a Message-ID of the bot's own domain,
addressed to the plan's one recipient, without attachments. Every header value that
came from the mail goes through `bot.replies.headers`, and the finished message is
parsed back and checked before it is handed out. It sends nothing.

The worker, the caseworkers' preview and `mikrobot reply-preview` all call `compose`
with the same plan, so a preview is byte for byte the reply (but for Date and
Message-ID, which a caller may fix).
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
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from bot.cases import CaseFacts
from bot.loop_guard import OWN_ID_MARK
from bot.personal_data import ATTACHMENT
from bot.replies.headers import (
    clean_message_id,
    clean_subject,
    encoded_subject,
    is_valid_domain,
    own_address,
    references_header,
)
from bot.reply_policy import (
    DEFAULT_LANGUAGE,
    FALLBACK_SUBJECT,
    REPLY_LANGUAGES,
    NoReply,
    ReplyLimits,
    ReplyPlan,
    plan,
)
from bot.verdict import ItemNote, Verdict
from parsers.message import ParsedMail

log = logging.getLogger(__name__)

TEMPLATES_DIR: Final = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE_LANGUAGES: Final = REPLY_LANGUAGES
"""Languages with a full set of templates."""
TEMPLATE_NAMES: Final = ("acknowledge", "request_missing", "receipt")
"""The closed set of reply templates, each at `reply/<language>/<name>.txt.j2`."""
PARTIAL_NAMES: Final = ("_reference", "_signature", "_personal_data")
"""Pieces the templates include, one per language."""
MISSING_ITEMS_FILE: Final = "missing_items.toml"
REASONS_FILE: Final = "reasons.toml"

TICKET_HEADER: Final = "X-Mikrobot-Ticket"
ACTION_HEADER: Final = "X-Mikrobot-Action"
"""The plan's action, so the outbox row records what the reply does."""
_TICKET_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}")
_CASE_REFERENCE = re.compile(r"\d{2}/\d{5}")


class ReplyRenderError(Exception):
    """The reply cannot be composed safely: a bug or bad template data, never the mail's fault."""


@dataclass(frozen=True)
class MissingItem:
    """One missing document or fact, explained for a person (from `missing_items.toml`)."""

    code: str
    title: str
    text: str
    reason: str = ""
    """Why it is missing, when there is more to say than "it is not there"."""


@dataclass(frozen=True)
class Templates:
    """The template environment and missing-item texts of one templates folder, loaded once."""

    environment: Environment
    missing_items: Mapping[str, Mapping[str, MissingItem]]
    """language → code → item, codes in the file's order (the order a person reads them)."""
    reasons: Mapping[str, Mapping[str, tuple[str, str]]]
    """reason → language → (text with {filename}, text without a file)."""


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
    return Templates(
        environment,
        _load_missing_items(directory / MISSING_ITEMS_FILE),
        _load_reasons(directory / REASONS_FILE),
    )


def _load_reasons(path: Path) -> dict[str, dict[str, tuple[str, str]]]:
    with path.open("rb") as file:
        data = tomllib.load(file)
    reasons: dict[str, dict[str, tuple[str, str]]] = {}
    for reason, languages in data.items():
        for language in TEMPLATE_LANGUAGES:
            entry = languages.get(language) if isinstance(languages, dict) else None
            if not isinstance(entry, dict) or not all(
                isinstance(entry.get(k), str) for k in ("text", "text_without_file")
            ):
                raise ReplyRenderError(f"{path}: {reason}.{language} needs both texts")
            reasons.setdefault(reason, {})[language] = (entry["text"], entry["text_without_file"])
    return reasons


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


def render_body(reply: ReplyPlan, *, templates: Templates) -> str:
    """The reply's text. The variables are the plan's, nothing else."""
    language = reply.language if reply.language in TEMPLATE_LANGUAGES else DEFAULT_LANGUAGE
    name = reply.template
    case_reference = reply.case_reference
    if case_reference is not None and not _CASE_REFERENCE.fullmatch(case_reference):
        log.warning("case reference %r is not YY/NNNNN: left out of the reply", case_reference)
        case_reference = None
    known = templates.missing_items[language]
    unknown = [code for code in reply.missing if code not in known]
    if unknown:
        raise ReplyRenderError(f"no text for missing item(s) {unknown} in {MISSING_ITEMS_FILE}")
    missing = [
        MissingItem(
            item.code, item.title, item.text, _reason(reply.notes, code, language, templates)
        )
        for code, item in known.items()
        if code in reply.missing
    ]
    if name == "request_missing" and not missing:
        raise ReplyRenderError("request_missing with nothing missing")
    variables = {
        "category": reply.category.value,
        "case_reference": case_reference,
        "ticket_reference": reply.ticket_reference,
        "missing": missing,
        "personal_data": bool(reply.personal_data),
        "personal_data_files": [
            where.removeprefix(ATTACHMENT)
            for where in reply.personal_data
            if where.startswith(ATTACHMENT)
        ],
    }
    try:
        text = templates.environment.get_template(template_path(language, name)).render(variables)
    except TemplateError as error:
        raise ReplyRenderError(f"template {template_path(language, name)}: {error}") from error
    return _tidy(text)


def _reason(notes: tuple[ItemNote, ...], code: str, language: str, templates: Templates) -> str:
    """The sentences saying why `code` is missing (signed but not dated, not attached …)."""
    sentences = []
    for note in notes:
        texts = templates.reasons.get(note.reason.value)
        if note.code != code or texts is None:
            continue
        with_file, without_file = texts[language]
        filename = " ".join((note.filename or "").split())[:80]
        sentence = with_file.format(filename=filename) if filename else without_file
        if sentence not in sentences:
            sentences.append(sentence)
    return " ".join(sentences)


def _tidy(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def compose(
    reply: ReplyPlan,
    *,
    from_address: str,
    message_id_domain: str,
    now: datetime,
    message_id: str | None = None,
    templates_dir: Path = TEMPLATES_DIR,
) -> EmailMessage:
    """The plan written out as the MIME message that is sent (or previewed).

    `message_id` None makes a fresh one of `message_id_domain`; a preview compared with
    the sent reply passes the same id and `now`.
    """
    sender = own_address(from_address)
    if not is_valid_domain(message_id_domain):
        raise ValueError(f"message_id_domain is not a host name: {message_id_domain!r}")
    if not _TICKET_REFERENCE.fullmatch(reply.ticket_reference):
        raise ValueError(f"ticket_reference is not a short plain token: {reply.ticket_reference!r}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    language = reply.language if reply.language in TEMPLATE_LANGUAGES else DEFAULT_LANGUAGE
    body = render_body(reply, templates=load_templates(templates_dir))
    fallback = f"Re: {FALLBACK_SUBJECT[language]}"
    subject = clean_subject(f"Re: {reply.subject}", fallback=fallback)

    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = reply.recipient
    message.set_raw("Subject", encoded_subject(subject))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or make_msgid(idstring=OWN_ID_MARK, domain=message_id_domain)
    parent = clean_message_id(reply.parent_message_id)
    if parent is not None:
        message["In-Reply-To"] = parent
        message["References"] = references_header(list(reply.references), parent)
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message[TICKET_HEADER] = reply.ticket_reference
    message[ACTION_HEADER] = reply.action.value
    message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = language  # after set_content, which drops Content-* headers
    _check_round_trip(message, reply.recipient, subject)
    return message


MAX_WRITTEN_CHARS: Final = 20_000
"""The longest text a caseworker may send in one reply."""
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def person_text(text: str) -> str:
    """A text a person typed, as a reply's body: line ends as `\n` (a browser sends
    CRLF), no control or bidirectional-override characters, tidied like a template's text
    (`_tidy`), so the bot's own draft sent unedited compares equal to itself."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    return _tidy(_CONTROL.sub("", lines)) if lines.strip() else ""


def written_reply(
    draft: EmailMessage, *, subject: str, body: str, now: datetime, action: str
) -> EmailMessage:
    """A reply a person wrote or edited, in the envelope of the bot's `draft`.

    The draft — the one decision's reply to the mail (`compose`), or a reply waiting for
    approval — fixes everything but the words: From, the one recipient, the Message-ID,
    `In-Reply-To`/`References` and the ticket. The subject is cleaned as any subject
    (`clean_subject`); the body is `person_text`. A person wrote it, so it is no
    `Auto-Submitted` auto-reply (RFC 3834 §5); `X-Auto-Response-Suppress` still asks the
    applicant's server not to answer it with an out-of-office.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    text = person_text(body)
    if not text:
        raise ReplyRenderError("the reply has no text")
    recipient = draft["To"]
    addresses: tuple[Any, ...] = getattr(recipient, "addresses", ())
    if len(addresses) != 1:
        raise ReplyRenderError("the draft has no single recipient")
    language = str(draft.get("Content-Language") or DEFAULT_LANGUAGE)
    fallback = str(draft["Subject"] or f"Re: {FALLBACK_SUBJECT.get(language, '')}")
    cleaned = clean_subject(subject, fallback=fallback)

    message = EmailMessage(policy=policy.SMTP)
    message["From"] = str(draft["From"])
    message["To"] = addresses[0].addr_spec
    message.set_raw("Subject", encoded_subject(cleaned))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = str(draft["Message-ID"])
    for name in ("In-Reply-To", "References"):
        if draft[name] is not None:
            message[name] = str(draft[name])
    message["X-Auto-Response-Suppress"] = "All"
    message[TICKET_HEADER] = str(draft[TICKET_HEADER])
    message[ACTION_HEADER] = action
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = language
    _check_round_trip(message, addresses[0].addr_spec, cleaned)
    return message


def restamped(raw: bytes, now: datetime) -> bytes:
    """A stored reply with its Date set to `now`, nothing else changed: a reply approved
    hours after the bot wrote it is dated when a person let it go."""
    message = message_from_bytes(raw, policy=policy.SMTP)
    message.replace_header("Date", format_datetime(now))
    return message.as_bytes()


def read_reply(raw: bytes) -> EmailMessage:
    """A stored reply parsed back (headers decoded), e.g. as a draft for `written_reply`."""
    message = message_from_bytes(raw, policy=policy.default)
    if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default makes one
        raise ReplyRenderError("a stored reply did not parse as a message")
    return message


def as_text(message: EmailMessage) -> str:
    """A composed reply as a person reads it (headers decoded, body as text): the preview."""
    headers = "".join(
        f"{name}: {value}\n"
        for name, value in message.items()
        if name.lower() not in ("content-transfer-encoding", "mime-version")
    )
    return f"{headers}\n{message.get_content()}"


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
    """The reply to one mail that opens a case of its own (`bot.reply_policy.plan` with
    `CaseFacts.of_single_mail`), composed — or why none is sent."""
    if verdict.message_id and mail.message_id and verdict.message_id != mail.message_id:
        raise ReplyRenderError("the verdict belongs to another mail than the one given")
    decided = plan(
        verdict,
        mail,
        CaseFacts.of_single_mail(verdict, ticket_reference),
        ReplyLimits(own_address(from_address).addr_spec, message_id_domain, 10**9),
    )
    if isinstance(decided, NoReply):
        log.info("no reply to %s: %s", mail.message_id or verdict.file, decided.reason)
        return decided
    return compose(
        decided,
        from_address=from_address,
        message_id_domain=message_id_domain,
        now=now,
        templates_dir=templates_dir,
    )


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
    """`plan_reply`, None where the bot must not answer."""
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
        ACTION_HEADER.lower(),
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
