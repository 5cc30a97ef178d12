"""The admin-tunable rules (`bot/data/rules.toml`), loaded once into typed values."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.verdict import AttachmentKind, Category

DEFAULT_RULES_FILE = Path(__file__).parent / "data" / "rules.toml"
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n\s*\n")
# A sentence ends at . ! ? before white space, at a blank line, or before a list item.
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)")


@dataclass(frozen=True)
class Sentence:
    start: int
    text: str
    question: bool


def sentences(text: str) -> list[Sentence]:
    """The text's sentences, each marked when it asks (ends with "?")."""
    found = []
    start = 0
    for match in _SENTENCE_SPLIT.finditer(text):
        found.append(_sentence(text, start, match.start()))
        start = match.end()
    found.append(_sentence(text, start, len(text)))
    return [s for s in found if s.text]


_POLITE_REQUEST = re.compile(
    r"^(?:could|can|would|will)\s+you\s+(?:please\s+)?(?:add|remove|extend|change|replace"
    r"|prolong|include)\b|\bplease\b|^(?:kan|kunne|vil)\s+(?:dere|de|du)\s+(?:vennligst\s+"
    r"|gjerne\s+)?(?:legge\s+til|leggje\s+til|utvide|forlenge|endre|fjerne|ta\s+med)\b",
    re.IGNORECASE,
)
"""A request put as a question ("Could you please add Dr. Virtanen as a project member?",
"Kan dere legge til …?"): it asks for the act, it does not ask about it."""


def _sentence(text: str, start: int, end: int) -> Sentence:
    raw = text[start:end]
    part = raw.strip()
    asks = part.endswith("?") and not _POLITE_REQUEST.search(part)
    return Sentence(start + len(raw) - len(raw.lstrip()), part, asks)


# Senders on foreign keyboards write "soknad", "slettet pa", "tilbod er signert": each
# Norwegian letter also matches what people type instead of it.
_LETTER_STAND_INS = {"æ": "(?:æ|ae|e)", "ø": "(?:ø|oe|o|ö)", "å": "(?:å|aa|a)"}


def _fold(word: str) -> str:
    """Short words stay exact: "før" must not match "for", nor "bør" "bor"."""
    if len(word) < 4:
        return word
    return "".join(_LETTER_STAND_INS.get(c, c) for c in word)


@dataclass(frozen=True)
class PhraseSet:
    """Phrases matched case-insensitively on word boundaries.

    `word*` is a prefix (slett* → slettet, sletta); ` ~ ` stands for up to two words
    in between (`ikke ~ nødvendig` → "ikke er nødvendig", "ikke lenger strengt nødvendig");
    æ, ø and å also match the letters typed in their place ("soknad" for "søknad").
    """

    phrases: tuple[str, ...]
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, phrases: list[str] | tuple[str, ...]) -> PhraseSet:
        def words(part: str) -> str:
            body = r"\s+".join(
                _fold(re.escape(w.rstrip("*"))) + (r"\w*" if w.endswith("*") else "")
                for w in part.lower().split()
            )
            return body

        def one(phrase: str) -> str:
            return r"(?:\s+[\w-]+){0,2}\s+".join(words(p) for p in phrase.split(" ~ "))

        ordered = sorted(set(phrases), key=len, reverse=True)
        alternation = "|".join(one(p) for p in ordered) or r"(?!)"
        return cls(tuple(ordered), re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE))

    def hits(self, text: str) -> list[str]:
        return [m.group(0).lower() for m in self.pattern.finditer(text)]

    def any(self, text: str) -> bool:
        return self.pattern.search(text) is not None


@dataclass(frozen=True)
class ProximityRule:
    """True where a `near` phrase and a `cue` phrase stand in one sentence, `window` apart."""

    near: PhraseSet
    cues: PhraseSet
    window: int

    def found(self, text: str) -> bool:
        cue_spans = [(m.start(), m.end()) for m in self.cues.pattern.finditer(text)]
        if not cue_spans:
            return False
        for match in self.near.pattern.finditer(text):
            lo, hi = match.start() - self.window, match.end() + self.window
            for start, end in cue_spans:
                if start >= lo and end <= hi:
                    between = text[min(end, match.end()) : max(start, match.start())]
                    if not _SENTENCE_END.search(between):
                        return True
        return False


@dataclass(frozen=True)
class IntentRule:
    """A category's intent said in one sentence: an action and what it acts on together
    ("vi har slettet dataene", "extend the project period"), wherever the words stand,
    unless a word in the same sentence puts it in the future or makes it a condition
    ("dataene skal slettes", "if we extend")."""

    category: Category
    weight: float
    actions: PhraseSet
    objects: PhraseSet
    unless: PhraseSet

    def said_in(self, sentence: Sentence) -> bool:
        text = sentence.text
        return self.actions.any(text) and self.objects.any(text) and not self.unless.any(text)


@dataclass(frozen=True)
class ClassifierSettings:
    threshold: float
    rule_weight: float
    rule_full_score: float
    subject_weight: float
    new_text_weight: float
    forwarded_weight: float
    attachment_weight: float
    reply_subject_weight: float
    question_weight: float
    asks_weight: float


@dataclass(frozen=True)
class AutoGeneratedRules:
    precedence: frozenset[str]
    list_headers: frozenset[str]
    autoreply_headers: frozenset[str]
    exchange_suppress_values: frozenset[str]
    system_senders: frozenset[str]
    report_content_types: frozenset[str]
    subject_prefixes: tuple[str, ...]


@dataclass(frozen=True)
class CategoryKeywords:
    """A category's phrases. A phrase in the sender's own words does not count where an
    `unless` phrase stands in the same sentence: "ny søknad om utvidelse av vedtak" names
    a change, not a first application."""

    category: Category
    weight: float
    phrases: PhraseSet
    unless: PhraseSet


@dataclass(frozen=True)
class KindRule:
    kind: AttachmentKind
    weight: float
    filename_weight: float
    filename: PhraseSet
    content: PhraseSet
    requires: PhraseSet | None = None
    """When set, content without any of these phrases says nothing for this kind: a form's
    "Sted og dato / Underskrift" block is no offer unless the text speaks of an offer."""
    min_hits: int = 1
    """Distinct content phrases below which the content says nothing for this kind, unless
    the document's first line names it: one "behandlingsansvarlig" in a data processing
    agreement makes no application form, a page titled "Søknadsskjema" is one."""


@dataclass(frozen=True)
class KindCue:
    kind: AttachmentKind
    category: Category
    weight: float


@dataclass(frozen=True)
class Signals:
    identifying_variables: PhraseSet
    identifying_justification: ProximityRule
    dpia_exemption: ProximityRule
    signed_offer_context: PhraseSet
    form_questions: re.Pattern[str]
    own_organization_numbers: frozenset[str]

    def without_form_questions(self, text: str) -> str:
        """The text with SSB's standard form questions blanked: what is left are answers."""
        return self.form_questions.sub(" ", text)


@dataclass(frozen=True)
class LanguageMarkers:
    nynorsk: PhraseSet
    bokmal: PhraseSet


@dataclass(frozen=True)
class Rules:
    classifier: ClassifierSettings
    auto_generated: AutoGeneratedRules
    keywords: tuple[CategoryKeywords, ...]
    intents: tuple[IntentRule, ...]
    not_yet: PhraseSet
    attachment_kinds: tuple[KindRule, ...]
    kind_cues: tuple[KindCue, ...]
    signals: Signals
    language: LanguageMarkers


def _proximity(table: dict[str, Any]) -> ProximityRule:
    return ProximityRule(
        PhraseSet.of(table["near"]), PhraseSet.of(table["cues"]), int(table["window"])
    )


def _loose_phrases(phrases: list[str]) -> re.Pattern[str]:
    """Phrases matched whatever the line breaks, spacing and hyphenation in between."""
    words = [r"[\s|]*".join(re.escape(word) for word in phrase.split()) for phrase in phrases]
    return re.compile("|".join(words) or r"(?!)", re.IGNORECASE)


def _lower_set(values: list[str]) -> frozenset[str]:
    return frozenset(v.lower() for v in values)


@cache
def load_rules(path: Path = DEFAULT_RULES_FILE) -> Rules:
    """Read and check the rules file; a wrong category or kind name fails loudly here."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    auto = data["auto_generated"]
    signals = data["signals"]
    return Rules(
        classifier=ClassifierSettings(**{k: float(v) for k, v in data["classifier"].items()}),
        auto_generated=AutoGeneratedRules(
            precedence=_lower_set(auto["precedence"]),
            list_headers=_lower_set(auto["list_headers"]),
            autoreply_headers=_lower_set(auto["autoreply_headers"]),
            exchange_suppress_values=_lower_set(auto["exchange_suppress_values"]),
            system_senders=_lower_set(auto["system_senders"]),
            report_content_types=_lower_set(auto["report_content_types"]),
            subject_prefixes=tuple(p.lower() for p in auto["subject_prefixes"]),
        ),
        keywords=tuple(
            CategoryKeywords(
                Category(k["category"]),
                float(k["weight"]),
                PhraseSet.of(k["phrases"]),
                PhraseSet.of(k.get("unless", [])),
            )
            for k in data["keywords"]
        ),
        intents=tuple(
            IntentRule(
                category=Category(i["category"]),
                weight=float(i["weight"]),
                actions=PhraseSet.of(i["actions"]),
                objects=PhraseSet.of(i["objects"]),
                unless=PhraseSet.of(i.get("unless", [])),
            )
            for i in data["intents"]
        ),
        not_yet=PhraseSet.of(data["not_yet"]["phrases"]),
        attachment_kinds=tuple(
            KindRule(
                kind=AttachmentKind(k["kind"]),
                weight=float(k["weight"]),
                filename_weight=float(k["filename_weight"]),
                filename=PhraseSet.of(k["filename"]),
                content=PhraseSet.of(k["content"]),
                requires=PhraseSet.of(k["requires"]) if k.get("requires") else None,
                min_hits=int(k.get("min_hits", 1)),
            )
            for k in data["attachment_kinds"]
        ),
        kind_cues=tuple(
            KindCue(AttachmentKind(c["kind"]), Category(c["category"]), float(c["weight"]))
            for c in data["kind_cues"]
        ),
        signals=Signals(
            identifying_variables=PhraseSet.of(signals["identifying_variables"]),
            identifying_justification=_proximity(signals["identifying_justification"]),
            dpia_exemption=_proximity(signals["dpia_exemption"]),
            signed_offer_context=PhraseSet.of(signals["signed_offer_context"]),
            form_questions=_loose_phrases(signals["form_questions"]),
            own_organization_numbers=frozenset(signals["own_organization_numbers"]),
        ),
        language=LanguageMarkers(
            nynorsk=PhraseSet.of(data["language"]["nynorsk_markers"]),
            bokmal=PhraseSet.of(data["language"]["bokmal_markers"]),
        ),
    )
