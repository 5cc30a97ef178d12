"""The pure pipeline: one mail's bytes → one `Verdict`. No mailbox, database or network.

The stages run in the order written below; each is a small function of plain data.
The same bytes and the same rules and model always give the same verdict.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace

from bot.attachment_kinds import KindJudgement, judge_attachment
from bot.classify import Classification, ClassifierInput, classify
from bot.classify.model import TextClassifier
from bot.form_answers import (
    CONDITION,
    MAIL_BODY,
    FormSource,
    read_form_answers,
    without_instructions,
    without_labels,
    written_between_fields,
)
from bot.language import detect_language
from bot.language_decisions import load_language_decisions
from bot.loop_guard import answers_the_bot, auto_generated_reasons
from bot.offer_check import OfferCheck, OfferStatus, check_signed_offer, offer_files
from bot.personal_data import set_apart
from bot.readability import counts_toward_items, read_attachments, settle
from bot.reply_policy import REPLY_PREFIX, verdict_reply, written_standard
from bot.requirements import IDENTIFYING, Requirement, missing_items
from bot.rules import PhraseSet, Rules, TypedForm, sentences
from bot.verdict import (
    AttachmentKind,
    AttachmentVerdict,
    Category,
    Evidence,
    ItemNote,
    NoteReason,
    PersonalData,
    Verdict,
)
from parsers.attachments import AttachmentText, ExtractionLimits, FormField
from parsers.attachments.isolation import read_attachment
from parsers.fields import (
    DELETED_WORDS,
    SIGNED_WORDS,
    Author,
    Fields,
    FormAnswers,
    Source,
    find_case_reference,
    find_contact,
    find_dated_event,
    find_organization_name,
    find_organization_number,
    find_project_title,
    find_ticket_references,
    has_ssb_letterhead,
    where_found,
)
from parsers.forms import read_text
from parsers.mail import MailLimits, parse_mail
from parsers.message import ParsedMail, RawAttachment
from parsers.national_id import mask_national_ids
from parsers.text import strip_quote_prefixes

log = logging.getLogger(__name__)


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
    personal_data: tuple[PersonalData, ...] = ()


def read_mail(raw: bytes, context: TriageContext) -> ReadMail:
    """Stages 1–3: parse, extract attachment text (IDs masked, counted), set apart the
    personal data in the subject and body, judge each attachment's kind."""
    mail, attachments, personal_data = read_texts(
        raw, context.mail_limits, context.extraction_limits, context.max_attachments
    )
    return _kinds_judged(mail, attachments, personal_data, context.rules)


def read_texts(
    raw: bytes, mail_limits: MailLimits, extraction_limits: ExtractionLimits, max_attachments: int
) -> tuple[ParsedMail, tuple[AttachmentText, ...], tuple[PersonalData, ...]]:
    """Stages 1–2: the mail parsed and its attachments' text extracted, national IDs set
    apart and masked — what filing stores for search, without the model (`bot.reindex`)."""
    mail = parse_mail(raw, mail_limits)
    mail, attachments = _with_zipped_files(
        mail,
        [read_attachment(a, extraction_limits) for a in mail.attachments[:max_attachments]],
        max_attachments,
    )
    return set_apart(mail, attachments)


def with_rules(read: ReadMail, rules: Rules) -> ReadMail:
    """The same mail read under other rules: the parsed mail and the attachments' texts are
    kept (no second extraction), the attachments' kinds are judged again by `rules`."""
    return _kinds_judged(read.mail, read.attachments, read.personal_data, rules)


def _kinds_judged(
    mail: ParsedMail,
    attachments: tuple[AttachmentText, ...],
    personal_data: tuple[PersonalData, ...],
    rules: Rules,
) -> ReadMail:
    mail_words = "\n".join((mail.subject, mail.text.new, mail.text.forwarded))
    kinds = tuple(judge_attachment(a, rules, mail_words) for a in attachments)
    inputs = ClassifierInput(
        subject=mail.subject,
        new_text=mail.text.new,
        forwarded_text=mail.text.forwarded,
        attachment_text="\n".join(a.text[:2_000] for a in attachments),
        attachment_kinds=tuple(k.kind for k in kinds),
        reply_subject=bool(REPLY_PREFIX.match(mail.subject)),
    )
    return ReadMail(mail, attachments, kinds, inputs, personal_data)


def _with_zipped_files(
    mail: ParsedMail, read: list[AttachmentText], limit: int
) -> tuple[ParsedMail, tuple[AttachmentText, ...]]:
    """The files inside a zip join the attachments right after it (a zip holding the form
    and the variable list is an application with both), at most `limit` in all; the mail's
    own list grows alike, so the two stay in step (a zipped file's bytes stay in the zip)."""
    texts: list[AttachmentText] = []
    raws: list[RawAttachment] = []
    for raw, text in zip(mail.attachments, read, strict=False):
        for item, source in (
            (text, raw),
            *(
                (m, RawAttachment(m.filename, m.content_type, b"", origin="zip"))
                for m in text.members
            ),
        ):
            if len(texts) < limit:
                texts.append(dataclasses.replace(item, members=()))
                raws.append(source)
    if not any(text.members for text in read):
        return mail, tuple(texts)
    return dataclasses.replace(mail, attachments=tuple(raws)), tuple(texts)


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
    fields, field_sources = extract_fields_with_sources(read, context.rules)

    if auto_reasons:
        classification = Classification(Category.OTHER, 1.0, {}, {}, auto_reasons)
    else:
        classification = classify(read.inputs, context.rules, context.model)
    category = classification.category

    offer = check_offer(read, context.rules)
    items = _present_items(read, fields, context.rules, offer)
    present, conditions = items.present, items.conditions
    ticket_references = find_ticket_references(
        (mail.subject, mail.text.new, mail.text.signature, mail.text.forwarded, mail.text.quoted)
    )
    follow_up = _only_brings_items(
        category, read, present, offer, ticket_references, fields, context.rules
    )
    if follow_up is not None:
        classification = replace(
            classification,
            category=Category.OTHER,
            confidence=context.rules.classifier.follow_up_confidence,
            rule_hits=(*classification.rule_hits, follow_up),
        )
        category = Category.OTHER
    if category is not Category.SIGNED_OFFER:  # an offer sent along with other mail says nothing
        offer = OfferCheck(offer.status, sources=offer.sources)
    settled = settle(
        read_attachments(
            read.attachments,
            tuple(k.kind for k in read.kinds),
            "\n".join((mail.subject, mail.text.new, mail.text.forwarded)),
            context.requirements,
        ),
        category,
        present,
        conditions,
        context.requirements,
    )
    missing = settled.missing
    unsure = set(items.to_check) & set(  # what a scanned form may ask for, were it asked
        missing_items(category, present, conditions | {IDENTIFYING}, context.requirements)
    )
    to_check = tuple(
        sorted(set(settled.to_check) | ((set(offer.to_check) | unsure) - set(missing)))
    )
    notes = tuple(
        dict.fromkeys(
            note
            for note in (*items.notes, *offer.notes, *settled.notes)
            if note.code in missing or note.code in to_check
        )
    )
    answer_in, _ = written_standard(
        language,
        fields.organization_number,
        mail.sender.email if mail.sender else None,
        load_language_decisions(),
    )
    reply = verdict_reply(mail.subject, answer_in, bool(auto_reasons), missing)

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
                f"{a.filename}: {k.kind.value}"
                + "".join(f" + {also.value} (a part of it)" for also in k.also)
                + (f" ({', '.join(k.hits[:4])})" if k.hits else "")
                for a, k in zip(read.attachments, read.kinds, strict=True)
            ),
            sources=tuple(
                dict.fromkeys(field_sources + items.sources + offer.sources + settled.sources)
            ),
        ),
        notes=notes,
        to_check=to_check,
        decides_conditions=items.decides_conditions,
        provided=tuple(sorted(present)),
        conditions=tuple(sorted(conditions)),
        ticket_references=ticket_references,
        personal_data=read.personal_data,
    )


def extract_fields(read: ReadMail, rules: Rules) -> Fields:
    """Stage: the caseworker's fields, searched newest text first."""
    return extract_fields_with_sources(read, rules)[0]


def extract_fields_with_sources(
    read: ReadMail, rules: Rules
) -> tuple[Fields, tuple[tuple[str, str], ...]]:
    """The fields, and where each was found (provenance for `Evidence.sources`)."""
    mail = read.mail
    attachment_sources = tuple(
        Source(a.filename, a.text, _author_of(k.kind, a.text))
        for a, k in zip(read.attachments, read.kinds, strict=True)
    )
    newest = (
        Source(
            "subject",
            mail.subject,
            Author.OTHERS if _echoes_a_subject(mail.subject, rules) else Author.SENDER,
        ),
        Source("text", mail.text.new),
        Source("signature", mail.text.signature),
        Source("forwarded", mail.text.forwarded, Author.OTHERS),
    )
    quoted = (Source("quoted", strip_quote_prefixes(mail.text.quoted), Author.OTHERS),)
    all_sources = newest + attachment_sources + quoted
    sender = mail.sender
    contact_name, contact_email = find_contact(
        newest[1:] + attachment_sources,
        sender.name if sender else None,
        sender.email if sender else None,
    )
    fields = Fields(
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
    forms: FormAnswers = {
        a.filename: [(f.label, f.value, f.page) for f in a.form_fields if f.value]
        for a in read.attachments
        if a.form_fields
    }
    sources = tuple(
        (name, where_found(name, value, all_sources, forms))
        for name, value in asdict(fields).items()
        if value is not None
    )
    return fields, sources


def _echoes_a_subject(subject: str, rules: Rules) -> bool:
    """A reply's or an auto-reply's subject repeats the subject of the mail it answers."""
    return bool(REPLY_PREFIX.match(subject)) or subject.strip().lower().startswith(
        rules.auto_generated.subject_prefixes
    )


@dataclass(frozen=True)
class PresentItems:
    """What the mail provides and which conditions hold, with why (`_present_items`)."""

    present: frozenset[str]
    conditions: frozenset[str]
    notes: tuple[ItemNote, ...] = ()
    """E.g. the form says the DPIA is attached and no DPIA came with the mail."""
    sources: tuple[tuple[str, str], ...] = ()
    """Provenance of the requirement decisions (`Evidence.sources`)."""
    decides_conditions: bool = False
    """The mail carried a form or a variable list (`Verdict.decides_conditions`)."""
    to_check: tuple[str, ...] = ()
    """Items the bot cannot judge from what it read (a scanned form's answers)."""


def _present_items(read: ReadMail, fields: Fields, rules: Rules, offer: OfferCheck) -> PresentItems:
    """What the mail provides (kinds, text signals, fields) and which conditions hold.

    A form is read as answers (`bot/form_answers.py`): its questions' words never ask for
    anything. Forms without recognisable fields are read as prose, as before.
    """
    present = {
        kind.value
        for a, k in zip(read.attachments, read.kinds, strict=True)
        for kind in (k.kind, *k.also)
        if kind is not AttachmentKind.OTHER and counts_toward_items(a)  # opened: see readability
    }
    present = offer.applied_to(present)  # an unsigned offer is no signed offer
    signals = rules.signals
    body = "\n".join((read.mail.text.new, read.mail.text.forwarded))
    body_form = read_text(read.mail.text.new, answer_lines=False)
    typed_form = _is_a_typed_form(body_form, rules.typed_form)
    answers = read_form_answers(
        (
            # A form typed into the mail answers its questions on the next line, as forms do.
            FormSource(MAIL_BODY, read_text(body, answer_lines=typed_form), may_request=True),
            *(
                FormSource(
                    a.filename,
                    a.form_fields,
                    may_request=k.kind is AttachmentKind.APPLICATION_FORM,
                    may_justify=k.kind is not AttachmentKind.VARIABLE_LIST,
                )
                for a, k in zip(read.attachments, read.kinds, strict=True)
                if a.format != "xlsx"
            ),
        ),
        signals,
        rules.form_answers,
    )
    body = without_labels(body, answers.question_labels)
    # Variable lists describe every variable ("særlig identifiserende, må begrunnes"), ticked
    # or not: they can ask for identifying variables (ticked rows) but never justify them.
    prose = [
        without_instructions(
            signals.without_form_questions(without_labels(text, answers.question_labels)),
            rules.form_answers,
        )
        for text in (
            body,
            *(
                a.text
                for a in read.attachments
                if a.format != "xlsx" and a.filename not in answers.forms_read
            ),
        )
    ]
    if answers.dpia_exemption or any(signals.dpia_exemption.found(text) for text in prose):
        present.add("text:dpia_exemption")
    # A reason written below its heading in a form read as answers is no field's answer.
    below_headings = [
        without_instructions(
            signals.without_form_questions(written_between_fields(a.text, a.form_fields)),
            rules.form_answers,
        )
        for a in read.attachments
        if a.filename in answers.forms_read
    ]
    reason = next(
        filter(None, map(signals.identifying_justification.passage, (*prose, *below_headings))),
        None,
    )
    if answers.justified or reason is not None:
        present.add("text:identifying_justification")

    for name in ("case_reference", "organization_number"):
        if getattr(fields, name) is not None:
            present.add(f"field:{name}")

    if typed_form:
        present.add("text:application_form")
        answers_typed = len(body_form)
        sources_typed = [
            ("application_form", f"a form typed into the mail's text ({answers_typed} answers)")
        ]
    else:
        sources_typed = []
    asked_in = [_without_negated_sentences(body, signals.negations)]
    sources = list(answers.sources) + sources_typed
    if reason is not None and not answers.justified:
        sources.append(("provided:identifying_justification", f"the words {_quoted(reason)}"))
    unsure: set[str] = set()
    for attachment, kind in zip(read.attachments, read.kinds, strict=True):
        if attachment.format == "xlsx":
            asked_in.extend(attachment.selected_rows)
            sources.extend(
                (CONDITION, f"requested: ticked row {_quoted(row)} in {attachment.filename}")
                for row in attachment.selected_rows
                if signals.identifying_variables.any(row)
            )
        elif kind.kind is AttachmentKind.SCRIPT:
            # Scripts name variables as identifiers: BEFOLKNING_GRUNNKRETS is grunnkrets.
            asked_in.append(attachment.text.replace("_", " "))
        elif (
            kind.kind is AttachmentKind.APPLICATION_FORM
            and attachment.filename not in answers.forms_read  # no fields: read as prose
        ):
            form_prose = _without_negated_sentences(
                signals.without_form_questions(attachment.text), signals.negations
            )
            if attachment.ocr or attachment.scanned:
                # A scanned form's ticks and handwriting do not survive OCR: whether it asks
                # for identifying variables is for the caseworker to check, not to ask.
                if signals.identifying_variables.any(form_prose):
                    unsure.add("identifying_variables_justification")
                    sources.append((CONDITION, f"not judged: scanned form {attachment.filename}"))
                continue
            asked_in.append(form_prose)
    conditions = set()
    if answers.requested or any(signals.identifying_variables.any(text) for text in asked_in):
        conditions.add(IDENTIFYING)
    notes = []
    claimed = answers.dpia_claimed_in  # the form (or the body) says the DPIA is attached
    if claimed and not present & {"dpia", "dpia_exemption", "text:dpia_exemption"}:
        file = None if claimed == MAIL_BODY else claimed
        notes.append(ItemNote("dpia", NoteReason.NOT_ATTACHED, file))
    kinds = {k.kind for k in read.kinds}
    if IDENTIFYING in conditions:
        unsure.clear()  # asked for elsewhere (the body, a ticked list): that decides
    return PresentItems(
        frozenset(present),
        frozenset(conditions),
        tuple(notes),
        tuple(dict.fromkeys(sources)),
        to_check=tuple(sorted(unsure)),
        decides_conditions=bool(
            kinds
            & {AttachmentKind.APPLICATION_FORM, AttachmentKind.VARIABLE_LIST, AttachmentKind.SCRIPT}
        ),
    )


def _only_brings_items(
    category: Category,
    read: ReadMail,
    present: frozenset[str],
    offer: OfferCheck,
    ticket_references: tuple[str, ...],
    fields: Fields,
    rules: Rules,
) -> str | None:
    """A mail on a case the bot or SSB already has that only brings what the case lacked
    (a DPIA, a list, the case number) is no new request: the contract's `new_application`
    is a *first* application, and a change request, a deletion confirmation or a returned
    offer is the request, the confirmation or the offer itself: an answer in the bot's
    thread that only gives the case number confirms nothing of its own. Such a mail is
    `other` and joins its case, which keeps its category.
    Returns the evidence (`follow_up:<reference>`), or None when the category stands."""
    reference = next(iter(ticket_references), None)
    if reference is None and (answered := answers_the_bot(read.mail)) is not None:
        reference = f"reply to {answered}"
    if category is Category.NEW_APPLICATION:
        if reference is not None:
            # In the bot's own thread (an answer to its reply, or its MB- reference typed
            # in): even a corrected form amends the pending application; no first one.
            return f"follow_up:{reference}"
        # SSB's case number alone: a mail with a form of its own may be a new application
        # that names an earlier project; without one it only brings what the case lacked.
        has_form = bool(present & {"application_form", "text:application_form"})
        reference = fields.case_reference
        return f"follow_up:{reference}" if reference and not has_form else None
    if reference is None:
        return None
    if category in (Category.CHANGE_REQUEST, Category.DELETION_CONFIRMATION):
        # The sender's own words: the new text, and a subject of its own (not "SV: …",
        # which repeats the thread's first request). On a change, not a sentence that
        # denies one ("Vi søker ikke om nye variabler") nor one that tells what the
        # attachment holds ("attached is the list with the new years ticked": the item the
        # case lacked). A deletion is often told with a negation ("finnes ikke lenger"),
        # and an attached confirmation of deletion is the confirmation itself.
        subject = "" if REPLY_PREFIX.match(read.mail.subject) else read.mail.subject
        said = read.mail.text.new
        own: Iterable[str] = _SENTENCE.split(said)
        if category is Category.CHANGE_REQUEST:
            said = _without_negated_sentences(said, rules.signals.negations)
            own = (s for s in _SENTENCE.split(said) if not rules.offer_mail.attached.search(s))
        text = "\n".join((subject, *own))
        states = any(k.category is category and k.phrases.any(text) for k in rules.keywords) or any(
            i.category is category
            and any(i.said_in(s) for s in sentences(text, rules.polite_requests))
            for i in rules.intents
        )
        return None if states else f"follow_up:{reference}"
    if category is Category.SIGNED_OFFER and offer.status is OfferStatus.NO_OFFER:
        return f"follow_up:{reference}"
    return None


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n")


def _without_negated_sentences(text: str, negations: PhraseSet) -> str:
    """Prose minus the sentences that deny what they name: "Vi trenger ikke grunnkrets
    likevel" asks for no grunnkrets."""
    return "\n".join(s for s in _SENTENCE.split(text) if not negations.any(s))


MIN_TYPED_FORM_ANSWERS = 6


def _is_a_typed_form(fields: Sequence[FormField], typed: TypedForm) -> bool:
    """The application form typed into the mail: many answers, among them the project's
    title and its purpose or owner (a signature's "Tlf:"/"E-post:" lines are not a form)."""
    labels = [" ".join(f.label.split()) for f in fields if f.value.strip()]
    return (
        len(labels) >= MIN_TYPED_FORM_ANSWERS
        and any(typed.title_label.match(label) for label in labels)
        and any(typed.purpose_label.match(label) for label in labels)
    )


def _author_of(kind: AttachmentKind, text: str) -> Author:
    """An attachment is the sender's, but a returned offer is SSB's letter (its "Vår ref." is
    SSB's case) when it bears SSB's letterhead, and nobody's own archive number otherwise."""
    if kind is not AttachmentKind.SIGNED_OFFER:
        return Author.SENDER
    return Author.SSB_LETTER if has_ssb_letterhead(text) else Author.OTHERS


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return f"'{text[:60]}…'" if len(text) > 60 else f"'{text}'"


def check_offer(read: ReadMail, rules: Rules) -> OfferCheck:
    """The `signed_offer` decision (signed, not signed, not attached, or a scan to check):
    its notes, `to_check` and provenance go on the verdict (`bot/offer_check.py`)."""
    mail = read.mail
    raw = mail.attachments[: len(read.attachments)]
    return check_signed_offer(
        offer_files(
            read.attachments,
            (k.kind for k in read.kinds),
            (r.inline for r in raw),
            (len(r.payload) for r in raw),
        ),
        "\n".join((mail.subject, mail.text.new)),
        rules.offer_mail,
    )


def triage_safely(raw: bytes, file: str, context: TriageContext) -> Verdict:
    """`triage`, except that a crash in any stage becomes an `error` verdict: the mail is
    still filed for a person, and the run goes on with the next one."""
    return triage_with_mail(raw, file, context)[0]


def triage_with_mail(raw: bytes, file: str, context: TriageContext) -> tuple[Verdict, ParsedMail]:
    """`triage_safely`, also handing back the parsed mail (the service files and answers
    it), so that no mail is parsed twice."""
    verdict, mail, _ = triage_for_filing(raw, file, context)
    return verdict, mail


def triage_for_filing(
    raw: bytes, file: str, context: TriageContext
) -> tuple[Verdict, ParsedMail, tuple[AttachmentText, ...]]:
    """`triage_with_mail`, also handing back the text read from the attachments (IDs
    masked), which the store keeps for search; never raises."""
    read: ReadMail | None = None
    try:
        read = read_mail(raw, context)
        return judge(read, file, context), read.mail, read.attachments
    except Exception as error:
        log.exception("triage failed for %s", file)
        verdict = error_verdict(file, f"triage failed: {type(error).__name__}: {error}")
        # Personal data is set apart even when triage fails: the mail is filed all the same.
        if read is not None:
            mail, found, texts = read.mail, read.personal_data, read.attachments
        else:
            (mail, _, found), texts = set_apart(parse_mail(raw, context.mail_limits)), ()
        return dataclasses.replace(verdict, personal_data=found), mail, texts


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
        reply=verdict_reply("", "nb", auto_generated=False, missing=()),
        error=mask_national_ids(reason),  # an exception may quote what it read
    )
