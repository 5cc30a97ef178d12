"""The pure pipeline: one mail's bytes → one `Verdict`. No mailbox, database or network.

The stages run in the order written below; each is a small function of plain data.
The same bytes and the same rules and model always give the same verdict.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.attachment_kinds import KindJudgement, judge_attachment
from bot.classify import Classification, ClassifierInput, classify
from bot.classify.model import TextClassifier
from bot.language import detect_language
from bot.loop_guard import auto_generated_reasons
from bot.requirements import Requirement, missing_items
from bot.rules import Rules
from bot.verdict import (
    AttachmentKind,
    AttachmentVerdict,
    Category,
    Evidence,
    Reply,
    ReplyAction,
    Verdict,
)
from parsers.attachments import AttachmentText, ExtractionLimits
from parsers.attachments.isolation import read_attachment
from parsers.fields import (
    DELETED_WORDS,
    SIGNED_WORDS,
    Fields,
    Source,
    find_case_reference,
    find_contact,
    find_dated_event,
    find_organization_name,
    find_organization_number,
    find_project_title,
)
from parsers.mail import MailLimits, parse_mail
from parsers.message import ParsedMail
from parsers.text import strip_quote_prefixes

log = logging.getLogger(__name__)
REPLY_LANGUAGES = frozenset({"nb", "en"})
"""Languages with reply templates; `nn` senders are answered in `nb` (the contract)."""


@dataclass(frozen=True)
class TriageContext:
    """Everything triage reads besides the mail: loaded once, shared by every mail."""

    rules: Rules
    requirements: tuple[Requirement, ...]
    model: TextClassifier | None
    mail_limits: MailLimits
    extraction_limits: ExtractionLimits
    max_attachments: int
    own_addresses: frozenset[str]


@dataclass(frozen=True)
class ReadMail:
    """A mail parsed, with every attachment's text and kind: the classifier's whole input."""

    mail: ParsedMail
    attachments: tuple[AttachmentText, ...]
    kinds: tuple[KindJudgement, ...]
    inputs: ClassifierInput


def read_mail(raw: bytes, context: TriageContext) -> ReadMail:
    """Stages 1–3: parse, extract attachment text, judge each attachment's kind."""
    mail = parse_mail(raw, context.mail_limits)
    attachments = tuple(
        read_attachment(a, context.extraction_limits)
        for a in mail.attachments[: context.max_attachments]
    )
    mail_words = "\n".join((mail.subject, mail.text.new, mail.text.forwarded))
    kinds = tuple(judge_attachment(a, context.rules, mail_words) for a in attachments)
    inputs = ClassifierInput(
        subject=mail.subject,
        new_text=mail.text.new,
        forwarded_text=mail.text.forwarded,
        attachment_text="\n".join(a.text[:2_000] for a in attachments),
        attachment_kinds=tuple(k.kind for k in kinds),
        reply_subject=bool(_REPLY_PREFIX.match(mail.subject)),
    )
    return ReadMail(mail, attachments, kinds, inputs)


def triage(raw: bytes, file: str, context: TriageContext) -> Verdict:
    """The verdict for one mail (the contract's line)."""
    return judge(read_mail(raw, context), file, context)


def judge(read: ReadMail, file: str, context: TriageContext) -> Verdict:
    """Stages 4–8 on a mail already read: loop guard, language, fields, category, missing."""
    mail = read.mail
    auto_reasons = auto_generated_reasons(mail, context.rules.auto_generated, context.own_addresses)
    language = detect_language(
        (
            mail.text.new,
            mail.text.forwarded,
            mail.subject,
            *(a.text[:1_000] for a in read.attachments),
        ),
        context.rules.language,
    )
    fields = extract_fields(read, context.rules)

    if auto_reasons:
        classification = Classification(Category.OTHER, 1.0, {}, {}, auto_reasons)
    else:
        classification = classify(read.inputs, context.rules, context.model)
    category = classification.category

    present, conditions = _present_items(read, fields, context.rules)
    missing = missing_items(category, present, conditions, context.requirements)
    reply = decide_reply(mail.subject, language, bool(auto_reasons), missing)

    return Verdict(
        file=file,
        message_id=mail.message_id,
        category=category,
        confidence=classification.confidence,
        language=language,
        auto_generated=bool(auto_reasons),
        fields=fields,
        attachments=tuple(
            AttachmentVerdict(
                filename=a.filename,
                content_type=a.content_type,
                kind=k.kind,
                pages=a.pages,
                text_chars=a.text_chars,
                error=a.error,
                scanned=a.scanned,
            )
            for a, k in zip(read.attachments, read.kinds, strict=True)
        ),
        missing=missing,
        reply=reply,
        evidence=Evidence(
            rules=classification.rule_hits + tuple(f"defect:{d}" for d in mail.defects[:10]),
            model={c.value: s for c, s in classification.model_scores.items()},
            attachment_kinds=tuple(
                f"{a.filename}: {k.kind.value}" + (f" ({', '.join(k.hits[:4])})" if k.hits else "")
                for a, k in zip(read.attachments, read.kinds, strict=True)
            ),
        ),
        provided=tuple(sorted(present)),
        conditions=tuple(sorted(conditions)),
    )


def extract_fields(read: ReadMail, rules: Rules) -> Fields:
    """Stage: the caseworker's fields, searched newest text first."""
    mail = read.mail
    attachment_sources = tuple(
        # SSB's own letter (the offer) speaks of SSB's case as "Vår ref."; the rest is the sender's.
        Source(a.filename, a.text, own_words=k.kind is not AttachmentKind.SIGNED_OFFER)
        for a, k in zip(read.attachments, read.kinds, strict=True)
    )
    newest = (
        Source("subject", mail.subject, own_words=not _echoes_a_subject(mail.subject, rules)),
        Source("text", mail.text.new),
        Source("signature", mail.text.signature),
        Source("forwarded", mail.text.forwarded, own_words=False),
    )
    quoted = (Source("quoted", strip_quote_prefixes(mail.text.quoted), own_words=False),)
    all_sources = newest + attachment_sources + quoted
    sender = mail.sender
    contact_name, contact_email = find_contact(
        newest[1:] + attachment_sources,
        sender.name if sender else None,
        sender.email if sender else None,
    )
    return Fields(
        case_reference=find_case_reference(all_sources),
        organization_number=find_organization_number(
            newest[1:] + attachment_sources + quoted, rules.signals.own_organization_numbers
        ),
        organization_name=find_organization_name(
            (newest[1], newest[2], *attachment_sources, newest[3]),
            (newest[2], *attachment_sources, newest[1], newest[3]),
        ),
        contact_name=contact_name,
        contact_email=contact_email,
        project_title=find_project_title(newest[1:] + attachment_sources + (newest[0],) + quoted),
        signed_date=find_dated_event(newest[1:] + attachment_sources, SIGNED_WORDS),
        deletion_date=find_dated_event(newest[1:] + attachment_sources, DELETED_WORDS),
    )


def _echoes_a_subject(subject: str, rules: Rules) -> bool:
    """A reply's or an auto-reply's subject repeats the subject of the mail it answers."""
    return bool(_REPLY_PREFIX.match(subject)) or subject.strip().lower().startswith(
        rules.auto_generated.subject_prefixes
    )


def _present_items(
    read: ReadMail, fields: Fields, rules: Rules
) -> tuple[frozenset[str], frozenset[str]]:
    """What the mail provides (kinds, text signals, fields) and which conditions hold."""
    present = {k.kind.value for k in read.kinds if k.kind is not AttachmentKind.OTHER}
    signals = rules.signals
    body = "\n".join((read.mail.text.new, read.mail.text.forwarded))
    # Variable lists describe every variable ("særlig identifiserende, må begrunnes"), ticked
    # or not: they can ask for identifying variables (ticked rows) but never justify them.
    prose = [
        signals.without_form_questions(text)
        for text in (body, *(a.text for a in read.attachments if a.format != "xlsx"))
    ]
    if any(signals.dpia_exemption.found(text) for text in prose):
        present.add("text:dpia_exemption")
    if any(signals.identifying_justification.found(text) for text in prose):
        present.add("text:identifying_justification")
    for name in ("case_reference", "organization_number"):
        if getattr(fields, name) is not None:
            present.add(f"field:{name}")

    asked_in = [body]
    for attachment, kind in zip(read.attachments, read.kinds, strict=True):
        if attachment.format == "xlsx":
            asked_in.extend(attachment.selected_rows)
        elif kind.kind is AttachmentKind.SCRIPT:
            # Scripts name variables as identifiers: BEFOLKNING_GRUNNKRETS is grunnkrets.
            asked_in.append(attachment.text.replace("_", " "))
        elif kind.kind is AttachmentKind.APPLICATION_FORM:
            asked_in.append(signals.without_form_questions(attachment.text))
    conditions = set()
    if any(signals.identifying_variables.any(text) for text in asked_in):
        conditions.add("identifying_variables_requested")
    return frozenset(present), frozenset(conditions)


_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|sv|aw|vs|fw|fwd|vb)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)


def decide_reply(
    subject: str, language: str, auto_generated: bool, missing: tuple[str, ...]
) -> Reply:
    """Stage: none to machines; the missing list if anything is missing; a receipt otherwise."""
    if auto_generated:
        action = ReplyAction.NONE
    elif missing:
        action = ReplyAction.REQUEST_MISSING
    else:
        action = ReplyAction.ACKNOWLEDGE
    reply_language = language if language in REPLY_LANGUAGES else "nb"
    base = _REPLY_PREFIX.sub("", subject).strip()
    fallback = "Henvendelse til SSB mikrodata" if reply_language == "nb" else "Your message to SSB"
    return Reply(action, reply_language, f"Re: {base or fallback}")


def triage_safely(raw: bytes, file: str, context: TriageContext) -> Verdict:
    """`triage`, except that a crash in any stage becomes an `error` verdict: the mail is
    still filed for a person, and the run goes on with the next one."""
    return triage_with_mail(raw, file, context)[0]


def triage_with_mail(raw: bytes, file: str, context: TriageContext) -> tuple[Verdict, ParsedMail]:
    """`triage_safely`, also handing back the parsed mail (the service files and answers
    it), so that no mail is parsed twice."""
    mail: ParsedMail | None = None
    try:
        read = read_mail(raw, context)
        mail = read.mail
        return judge(read, file, context), mail
    except Exception as error:
        log.exception("triage failed for %s", file)
        verdict = error_verdict(file, f"triage failed: {type(error).__name__}: {error}")
        return verdict, mail if mail is not None else parse_mail(raw, context.mail_limits)


def error_verdict(file: str, reason: str) -> Verdict:
    """The line for a mail that could not be read at all: `other`, for a person to look at.

    The contract asks for `acknowledge` here (not auto-generated, nothing missing): the
    sender, if one can be found, hears that a caseworker will read the mail.
    """
    return Verdict(
        file=file,
        message_id=None,
        category=Category.OTHER,
        confidence=0.0,
        language="nb",
        auto_generated=False,
        fields=Fields(),
        attachments=(),
        missing=(),
        reply=Reply(ReplyAction.ACKNOWLEDGE, "nb", "Re: Henvendelse til SSB mikrodata"),
        error=reason,
    )
