"""Rule scores per category: the admin's keywords and intents, weighted by where they stand.

A phrase in the subject or the sender's new words counts more than one in an
attachment; each distinct phrase counts once per place, so a long document that
repeats a word cannot outvote the mail. A category's words inside a question the
sender asks ("Hvordan søker vi om tilgang?") speak for `other`: an enquiry, not the act.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.rules import PhraseSet, Rules, Sentence, sentences
from bot.verdict import AttachmentKind, Category


@dataclass(frozen=True)
class ClassifierInput:
    """The texts of one mail, already split by where they come from."""

    subject: str
    new_text: str
    forwarded_text: str
    attachment_text: str
    attachment_kinds: tuple[AttachmentKind, ...]
    reply_subject: bool = False
    """The subject answers another mail ("SV: …"): its words are mostly someone else's."""


@dataclass(frozen=True)
class _Place:
    name: str
    text: str
    weight: float
    asks: bool
    """The sender's own words, where a question is an enquiry (forms ask questions too)."""
    prose: bool
    """Written as sentences, so a phrase's sentence can cancel it (forms and lists are not)."""


def keyword_scores(
    inputs: ClassifierInput, rules: Rules
) -> tuple[dict[Category, float], list[str]]:
    """Score per category, and the hits that earned it (`keyword:<place>:<phrase>`,
    `intent:<place>:<category>`, `question:<place>:<phrase or category>`, `asks:text`).
    A sentence that only plans the act ("før vi sender søknaden") counts as a question."""
    weights = rules.classifier
    subject_weight = (
        weights.reply_subject_weight if inputs.reply_subject else weights.subject_weight
    )
    places = (
        _Place("subject", inputs.subject, subject_weight, asks=True, prose=True),
        _Place("text", inputs.new_text, weights.new_text_weight, asks=True, prose=True),
        _Place(
            "forwarded", inputs.forwarded_text, weights.forwarded_weight, asks=False, prose=True
        ),
        _Place(
            "attachment",
            inputs.attachment_text,
            weights.attachment_weight,
            asks=False,
            prose=False,
        ),
    )
    scores: dict[Category, float] = {}
    hits: list[str] = []
    requests = rules.polite_requests
    text_prose = sentences(inputs.new_text, requests) if inputs.new_text else []

    def add(category: Category, score: float, hit: str) -> None:
        scores[category] = scores.get(category, 0.0) + score
        hits.append(hit)

    for place in places:
        if not place.text:
            continue
        parts = sentences(place.text, requests) if place.asks else []
        questions = [s for s in parts if s.question or rules.not_yet.any(s.text)]
        if place.name == "text" and any(s.question for s in parts):
            add(Category.OTHER, weights.asks_weight, "asks:text")
        prose = (parts or sentences(place.text, requests)) if place.prose else []
        for keywords in rules.keywords:
            stated: set[str] = set()
            asked: set[str] = set()
            for match in keywords.phrases.pattern.finditer(place.text):
                phrase = match.group(0).lower()
                if _cancelled(match.start(), prose, keywords.unless) or (
                    place.name == "subject"
                    and _cancelled_in(phrase, text_prose, keywords.phrases, keywords.unless)
                ):
                    hits.append(f"unless:{place.name}:{phrase}")
                    continue
                (asked if _inside(match.start(), questions) else stated).add(phrase)
            for phrase in sorted(stated):
                add(
                    keywords.category,
                    keywords.weight * place.weight,
                    f"keyword:{place.name}:{phrase}",
                )
            for phrase in sorted(asked - stated):
                add(
                    Category.OTHER,
                    keywords.weight * place.weight * weights.question_weight,
                    f"question:{place.name}:{phrase}",
                )
        said = parts or sentences(place.text, requests)
        for intent in rules.intents:
            found = [s for s in said if intent.said_in(s)]
            if any(s not in questions for s in found):
                add(
                    intent.category,
                    intent.weight * place.weight,
                    f"intent:{place.name}:{intent.category.value}",
                )
            elif found and place.asks:
                add(
                    Category.OTHER,
                    intent.weight * place.weight * weights.question_weight,
                    f"question:{place.name}:{intent.category.value}",
                )
    for cue in rules.kind_cues:
        if cue.kind in inputs.attachment_kinds:
            add(cue.category, cue.weight, f"attachment:{cue.kind.value}")
    return scores, hits


def _cancelled(position: int, prose: list[Sentence], unless: PhraseSet) -> bool:
    """A phrase whose sentence also holds an `unless` phrase says something else."""
    return any(
        s.start <= position < s.start + len(s.text) + 1 and unless.any(s.text) for s in prose
    )


def _cancelled_in(
    phrase: str, prose: list[Sentence], phrases: PhraseSet, unless: PhraseSet
) -> bool:
    """The subject's phrase is the one the sender's text explains away ("Ny søknad" over
    "her kommer en ny søknad … (vedtak 24/00931), vi trenger to ekstra år")."""
    return any(
        unless.any(s.text)
        and phrase in (m.group(0).lower() for m in phrases.pattern.finditer(s.text))
        for s in prose
    )


def _inside(position: int, questions: list[Sentence]) -> bool:
    return any(q.start <= position < q.start + len(q.text) + 1 for q in questions)
