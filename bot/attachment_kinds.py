"""What each attachment is (form, variable list, DPIA …), judged by its content first.

`scan001.pdf` can be a signed offer: the text decides, the file name helps, and a
scan with no text takes its kind from its name or, failing that, from what the
mail says it is sending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.rules import Rules
from bot.verdict import AttachmentKind
from parsers.attachments import AttachmentText

_MIN_SCORE = 2.0
MIN_READ_CHARS = 120
"""Visible characters from which a file's own text is enough to judge its kind: an invoice
has ~300; a one-line note ("DPIA: se vedlegg") is too short to outvote its file name."""
_TITLE_CHARS = 400
_HEADING_CHARS = 200
_HEADING_WEIGHT = 2.0
"""A document's first line names what it is ("DPIA – Startlån og boligkarriere"): each of up
to two phrases of a kind named there counts this many hits more, so a DPIA laid out as
"Label: value" lines is not taken for a form, nor an "Oppdatert prosjektskildring –
endringssøknad" written in a template with fields."""
_NAME_TIPS_ABOVE = 0.75
"""Share of the best content score a kind needs before a read file's name counts for it."""
_MAX_DISTINCT_HITS = 5
_FILLABLE_FIELDS = 5
_FILLABLE_BONUS = 4.0
_NOT_DOCUMENTS = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)
"""Cryptographic signatures of the mail itself: never a form, offer or list."""


@dataclass(frozen=True)
class KindJudgement:
    kind: AttachmentKind
    score: float
    hits: tuple[str, ...]
    also: tuple[AttachmentKind, ...] = ()
    """Kinds a section of the same file also is ("Del 2: Personvernkonsekvensvurdering
    (DPIA)" after the form): one file can satisfy two requirements."""


_SECTION_KINDS = (
    AttachmentKind.DPIA,
    AttachmentKind.DPIA_EXEMPTION,
    AttachmentKind.VARIABLE_LIST,
    AttachmentKind.DOCUMENTATION,
)
_SECTION_HEADING_WORDS = 8
_SECTION_MIN_HITS = 3


def _sections(text: str, rules: Rules, best: AttachmentKind) -> tuple[AttachmentKind, ...]:
    """Other kinds a part of the file is: a part heading that names the kind, followed by
    text that reads as that kind (at least `_SECTION_MIN_HITS` of its phrases). Each
    kind's phrases are found once; a heading counts those after it (linear in the text)."""
    headings: list[tuple[int, str]] = []
    offset = 0
    for line in text.split("\n"):
        heading = line.strip()
        if (
            rules.attachment_text.section_heading.match(heading)
            and len(heading.split()) <= _SECTION_HEADING_WORDS
        ):
            headings.append((offset, heading))
        offset += len(line) + 1
    if not headings:
        return ()
    found: list[AttachmentKind] = []
    for rule in rules.attachment_kinds:
        if rule.kind is best or rule.kind not in _SECTION_KINDS:
            continue
        named = [start for start, heading in headings if rule.content.any(heading)]
        if not named:
            continue
        last_seen = {m.group(0).lower(): m.start() for m in rule.content.pattern.finditer(text)}
        # Distinct phrases from the first heading that names the kind to the end.
        if sum(start >= named[0] for start in last_seen.values()) >= _SECTION_MIN_HITS:
            found.append(rule.kind)
    return tuple(found)


def _name_words(filename: str) -> str:
    return re.sub(r"[_\-.]+", " ", filename.lower())


def judge_attachment(attachment: AttachmentText, rules: Rules, mail_text: str) -> KindJudgement:
    """The most likely kind, with the phrases that decided it (shown to caseworkers).

    A file whose text was read is what its text says; its name only tips the balance. A
    scan or a file that would not open keeps the kind its name (or the mail) gives it:
    `bot/readability.py` then decides whether it counts.
    """
    if attachment.content_type.lower() in _NOT_DOCUMENTS:
        return KindJudgement(AttachmentKind.OTHER, 0.0, ())
    name = _name_words(attachment.filename)
    text = attachment.text[:30_000]
    title = text[:_TITLE_CHARS]
    heading = next((line for line in text.splitlines() if line.strip()), "")[:_HEADING_CHARS]
    read = content_was_read(attachment)
    # Two of an invoice's own fields (`invoice_fields`): a bill, whatever its name says.
    if read and len(set(rules.attachment_text.invoice_fields.hits(text))) >= 2:
        return KindJudgement(AttachmentKind.OTHER, 0.0, ())
    # A meeting notice, minutes or a newsletter that names a DPIA is still none.
    if read and rules.attachment_text.other_headings.pattern.match(heading.strip()):
        return KindJudgement(AttachmentKind.OTHER, 0.0, ())
    scored = []
    for rule in rules.attachment_kinds:
        if rule.requires is not None and not rule.requires.any(text):
            scored.append((rule, 0.0, set[str]()))
            continue
        content_hits = set(rule.content.hits(text))
        title_hits = set(rule.content.hits(title))
        content_score = _structure_bonus(rule.kind, attachment)
        content_score += rule.weight * min(len(content_hits), _MAX_DISTINCT_HITS)
        content_score += rule.weight * min(len(title_hits), 2)
        heading_hits = len(set(rule.content.hits(heading)))
        content_score += rule.weight * _HEADING_WEIGHT * min(heading_hits, 2)
        scored.append((rule, content_score, content_hits))
    # The file was read: its name may only tip the balance between kinds its content
    # supports about as well as the best one (an invoice named dpia.txt is no DPIA).
    floor = max((s for _, s, _ in scored), default=0.0) * _NAME_TIPS_ABOVE
    best = KindJudgement(AttachmentKind.OTHER, 0.0, ())
    for rule, content_score, content_hits in scored:
        name_counts = not read or (content_score > 0 and content_score >= floor)
        name_hits = set(rule.filename.hits(name)) if name_counts else set()
        score = content_score + rule.filename_weight * min(len(name_hits), 1)
        if score > best.score:
            hits = tuple(sorted(name_hits | content_hits))
            best = KindJudgement(rule.kind, score, hits)
    if best.score >= _MIN_SCORE:
        also = _sections(text, rules, best.kind) if read else ()
        return KindJudgement(best.kind, best.score, best.hits, also)
    if (attachment.scanned or not attachment.text.strip()) and attachment.format in (
        "pdf",
        "image",
    ):
        context_hits = rules.signals.signed_offer_context.hits(mail_text)
        if context_hits:
            return KindJudgement(AttachmentKind.SIGNED_OFFER, _MIN_SCORE, tuple(context_hits[:3]))
    return KindJudgement(AttachmentKind.OTHER, best.score, ())


def content_was_read(attachment: AttachmentText) -> bool:
    """The file opened and its own text is long enough to say what it is: then the content
    decides, and a file name can only tip the balance between kinds the content supports.

    Scans (OCR text is too unsure) and files that failed to open are judged with their name.
    """
    if attachment.error is not None or attachment.scanned:
        return False
    return has_enough_text(attachment.text)


def has_enough_text(text: str) -> bool:
    """At least `MIN_READ_CHARS` visible characters."""
    return len("".join(text.split())) >= MIN_READ_CHARS


_ANSWERED_FIELDS = 8
_ANSWERED_BONUS = 3.0
_SSB_VARIABLE = re.compile(r"\b[A-ZÆØÅ]{3,}_[A-ZÆØÅ0-9]+(?:_[A-ZÆØÅ0-9]+)*\b")
"""SSB's variable names as microdata.no writes them (`BEFOLKNING_KJOENN`, `INNTEKT_WLONN`)."""
_VARIABLE_NAMES = 3
_TABLE_FILE = re.compile(r"\.(?:csv|tsv)$", re.IGNORECASE)


def _structure_bonus(kind: AttachmentKind, attachment: AttachmentText) -> float:
    """Shape that speaks louder than words: a form's answered questions, a ticked
    spreadsheet or a table of SSB variable names, a script's commands. A form names every
    requirement in its questions (DPIA, identifying variables …); its shape says it is the
    form."""
    if kind is AttachmentKind.APPLICATION_FORM:
        filled = [f for f in attachment.form_fields if f.origin in ("acroform", "content_control")]
        # A file of fillable fields (a PDF form, Word content controls) is a form to fill in.
        if len(filled) >= _FILLABLE_FIELDS:
            return _FILLABLE_BONUS
        answered = [f for f in attachment.form_fields if f.label.strip() and f.value.strip()]
        return _ANSWERED_BONUS if len(answered) >= _ANSWERED_FIELDS else 0.0
    if kind is AttachmentKind.VARIABLE_LIST:
        bonus = 0.0
        if attachment.format == "xlsx" or _TABLE_FILE.search(attachment.filename):
            bonus += 2.0 + (2.0 if attachment.selected_rows else 0.0)
        if len(set(_SSB_VARIABLE.findall(attachment.text[:30_000]))) >= _VARIABLE_NAMES:
            bonus += 4.0  # a script names them too, but it scores its commands (below)
        return bonus
    if kind is AttachmentKind.SCRIPT and re.search(
        r"^\s*(?:require\s+no\.ssb|create-dataset|import\s+\w+/)", attachment.text, re.MULTILINE
    ):
        return 6.0
    return 0.0
