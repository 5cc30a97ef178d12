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
_TITLE_CHARS = 400
_MAX_DISTINCT_HITS = 5
_NOT_DOCUMENTS = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)
"""Cryptographic signatures of the mail itself: never a form, offer or list."""


@dataclass(frozen=True)
class KindJudgement:
    kind: AttachmentKind
    score: float
    hits: tuple[str, ...]


def _name_words(filename: str) -> str:
    return re.sub(r"[_\-.]+", " ", filename.lower())


def judge_attachment(attachment: AttachmentText, rules: Rules, mail_text: str) -> KindJudgement:
    """The most likely kind, with the phrases that decided it (shown to caseworkers)."""
    if attachment.content_type.lower() in _NOT_DOCUMENTS:
        return KindJudgement(AttachmentKind.OTHER, 0.0, ())
    name = _name_words(attachment.filename)
    text = attachment.text[:30_000]
    title = text[:_TITLE_CHARS]
    best = KindJudgement(AttachmentKind.OTHER, 0.0, ())
    for rule in rules.attachment_kinds:
        name_hits = set(rule.filename.hits(name))
        content_hits = set(rule.content.hits(text))
        title_hits = set(rule.content.hits(title))
        score = rule.filename_weight * min(len(name_hits), 1)
        score += rule.weight * min(len(content_hits), _MAX_DISTINCT_HITS)
        score += rule.weight * min(len(title_hits), 2)
        score += _structure_bonus(rule.kind, attachment)
        if score > best.score:
            hits = tuple(sorted(name_hits | content_hits))
            best = KindJudgement(rule.kind, score, hits)
    if best.score >= _MIN_SCORE:
        return best
    if (attachment.scanned or not attachment.text.strip()) and attachment.format in (
        "pdf",
        "image",
    ):
        context_hits = rules.signals.signed_offer_context.hits(mail_text)
        if context_hits:
            return KindJudgement(AttachmentKind.SIGNED_OFFER, _MIN_SCORE, tuple(context_hits[:3]))
    return KindJudgement(AttachmentKind.OTHER, best.score, ())


def _structure_bonus(kind: AttachmentKind, attachment: AttachmentText) -> float:
    """Shape that speaks louder than words: a ticked spreadsheet, a script's commands."""
    if kind is AttachmentKind.VARIABLE_LIST and attachment.format == "xlsx":
        return 2.0 + (2.0 if attachment.selected_rows else 0.0)
    if kind is AttachmentKind.SCRIPT and re.search(
        r"^\s*(?:require\s+no\.ssb|create-dataset|import\s+\w+/)", attachment.text, re.MULTILINE
    ):
        return 6.0
    return 0.0
