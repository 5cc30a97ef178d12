"""Rule scores per category: the admin's keywords, weighted by where they stand.

A phrase in the subject or the sender's new words counts more than one in an
attachment; each distinct phrase counts once per place, so a long document that
repeats a word cannot outvote the mail.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.rules import Rules
from bot.verdict import AttachmentKind, Category


@dataclass(frozen=True)
class ClassifierInput:
    """The texts of one mail, already split by where they come from."""

    subject: str
    new_text: str
    forwarded_text: str
    attachment_text: str
    attachment_kinds: tuple[AttachmentKind, ...]


def keyword_scores(
    inputs: ClassifierInput, rules: Rules
) -> tuple[dict[Category, float], list[str]]:
    """Score per category, and the hits that earned it (`keyword:<place>:<phrase>`)."""
    weights = rules.classifier
    places = (
        ("subject", inputs.subject, weights.subject_weight),
        ("text", inputs.new_text, weights.new_text_weight),
        ("forwarded", inputs.forwarded_text, weights.forwarded_weight),
        ("attachment", inputs.attachment_text, weights.attachment_weight),
    )
    scores: dict[Category, float] = {}
    hits: list[str] = []
    for keywords in rules.keywords:
        total = 0.0
        for place, text, place_weight in places:
            found = sorted(set(keywords.phrases.hits(text)))
            total += keywords.weight * place_weight * len(found)
            hits.extend(f"keyword:{place}:{phrase}" for phrase in found)
        if total:
            scores[keywords.category] = scores.get(keywords.category, 0.0) + total
    for cue in rules.kind_cues:
        if cue.kind in inputs.attachment_kinds:
            scores[cue.category] = scores.get(cue.category, 0.0) + cue.weight
            hits.append(f"attachment:{cue.kind.value}")
    return scores, hits
