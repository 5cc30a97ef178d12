"""The admin-tunable rules (`bot/data/rules.toml`), loaded once into typed values."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.requirements import file_version
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


def sentences(text: str, requests: PoliteRequests) -> list[Sentence]:
    """The text's sentences, each marked when it asks (ends with "?" and is no request put
    as a question, `requests`)."""
    found = []
    start = 0
    for match in _SENTENCE_SPLIT.finditer(text):
        found.append(_sentence(text, start, match.start(), requests))
        start = match.end()
    found.append(_sentence(text, start, len(text), requests))
    return [s for s in found if s.text]


def _sentence(text: str, start: int, end: int, requests: PoliteRequests) -> Sentence:
    raw = text[start:end]
    part = raw.strip()
    asks = part.endswith("?") and not requests.found(part)
    return Sentence(start + len(raw) - len(raw.lstrip()), part, asks)


# Senders on foreign keyboards write "soknad", "slettet pa", "tilbod er signert": each
# Norwegian letter also matches what people type instead of it.
_LETTER_STAND_INS = {"æ": "(?:æ|ae|e)", "ø": "(?:ø|oe|o|ö)", "å": "(?:å|aa|a)"}


def _fold(word: str) -> str:
    """Short words stay exact: "før" must not match "for", nor "bør" "bor"."""
    if len(word) < 4:
        return word
    return "".join(_LETTER_STAND_INS.get(c, c) for c in word)


def _same(word: str) -> str:
    return word


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
    def of(cls, phrases: list[str] | tuple[str, ...], *, fold: bool = True) -> PhraseSet:
        """`fold=False`: æ, ø and å match only themselves ("følger" is not "folger")."""
        exact = _fold if fold else _same

        def words(part: str) -> str:
            body = r"\s+".join(
                exact(re.escape(w.rstrip("*"))) + (r"\w*" if w.endswith("*") else "")
                for w in part.lower().split()
            )
            return body

        def one(phrase: str) -> str:
            # A gap word may be a dash ("søknad – mikrodata").
            return r"(?:\s+[\w\-–—]+){0,2}\s+".join(words(p) for p in phrase.split(" ~ "))

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
    not_cues: PhraseSet | None = None
    """A cue inside one of these is about something else ("begrunnelse for at DPIA ikke er
    nødvendig" is the DPIA question's label, not a reason for identifying variables)."""
    unless: PhraseSet | None = None
    """A sentence holding one of these only guesses ("trolig ikke behov for DPIA"): no hold."""

    def found(self, text: str) -> bool:
        return self.passage(text) is not None

    def passage(self, text: str) -> str | None:
        """The words from the `near` phrase to the cue (or back), where the rule holds."""
        cue_spans = [(m.start(), m.end()) for m in self.cues.pattern.finditer(text)]
        if cue_spans and self.not_cues is not None:
            other = [(m.start(), m.end()) for m in self.not_cues.pattern.finditer(text)]
            cue_spans = [c for c in cue_spans if not any(a <= c[0] < b for a, b in other)]
        if not cue_spans:
            return None
        for match in self.near.pattern.finditer(text):
            lo, hi = match.start() - self.window, match.end() + self.window
            for start, end in cue_spans:
                if start >= lo and end <= hi:
                    between = text[min(end, match.end()) : max(start, match.start())]
                    if _SENTENCE_END.search(between):
                        continue
                    first, last = min(start, match.start()), max(end, match.end())
                    sentence = _sentence_around(text, first, last)
                    if self.unless is not None and self.unless.any(sentence):
                        continue
                    return text[first:last]
        return None


def _sentence_around(text: str, start: int, end: int) -> str:
    """The sentence around `text[start:end]`."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, end)
    return text[ends[-1] if ends else 0 : after.start() if after else len(text)]


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
    follow_up_confidence: float
    """The confidence of `other` for a mail that only brings what its case lacked."""


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
    negations: PhraseSet
    """A sentence with one of these denies what it names ("Vi trenger ikke grunnkrets")."""

    def without_form_questions(self, text: str) -> str:
        """The text with SSB's standard form questions blanked: what is left are answers."""
        return self.form_questions.sub(" ", text)


@dataclass(frozen=True)
class FormAnswerWords:
    """The words of a form's answers, questions and printed text (`[form_answers]`), as
    `bot/form_answers.py` reads them."""

    no: re.Pattern[str]
    """Matched at an answer's start: "Nei", "Ikke aktuelt", "N/A", "–"."""
    yes: re.Pattern[str]
    """Matched at an answer's start: "Ja", "X", a tick mark."""
    both_options: re.Pattern[str]
    """A radio group's printed labels and nothing chosen ("Ja Nei", "Yes / No")."""
    option_menu: re.Pattern[str]
    """Options printed in a row ("Ja, vedlagt / Nei, ikke nødvendig / Under arbeid")."""
    attached: PhraseSet
    later: PhraseSet
    instructions: PhraseSet
    conditions: PhraseSet
    """Words that make a printed label state a condition ("Hvis ja: begrunnelse")."""

    def is_conditional_label(self, line: str) -> bool:
        """A label before its (first) colon that names a condition, with at most two words
        after it: "Begrunnelse dersom DPIA ikke er nødvendig:". Linear in the line's length,
        whatever a hostile mail puts in it."""
        head, colon, rest = line.partition(":")
        return bool(colon) and len(rest.split(None, 2)) <= 2 and self.conditions.any(head)

    identifying_question: PhraseSet
    justification_question: PhraseSet
    dpia_question: PhraseSet
    needed_question: PhraseSet


@dataclass(frozen=True)
class TypedForm:
    """The labels that make the mail's text a typed application form (`[typed_form]`)."""

    title_label: re.Pattern[str]
    purpose_label: re.Pattern[str]


@dataclass(frozen=True)
class OfferMail:
    """A sentence of the mail that says the offer is attached, or not yet (`[offer_mail]`)."""

    attached: re.Pattern[str]
    offer: re.Pattern[str]
    not_yet: re.Pattern[str]


@dataclass(frozen=True)
class AttachmentWords:
    """What an attachment's own text shows (`[attachment_text]`)."""

    invoice_fields: PhraseSet
    other_headings: PhraseSet
    """A first line that makes the file a meeting notice, minutes or news, of no kind."""
    section_heading: re.Pattern[str]
    """A line that opens a part of the document ("Del 2:", "Part B", "Vedlegg 1")."""


@dataclass(frozen=True)
class PoliteRequests:
    """A request put as a question ("Could you please add …?", "Kan dere legge til …?"): it
    asks for the act, it does not ask about it (`[polite_requests]`)."""

    opening: re.Pattern[str]
    anywhere: PhraseSet

    def found(self, sentence: str) -> bool:
        return self.opening.search(sentence) is not None or self.anywhere.any(sentence)


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
    form_answers: FormAnswerWords
    typed_form: TypedForm
    offer_mail: OfferMail
    attachment_text: AttachmentWords
    polite_requests: PoliteRequests


def _proximity(table: dict[str, Any]) -> ProximityRule:
    not_cues = PhraseSet.of(table["not_cues"]) if table.get("not_cues") else None
    unless = PhraseSet.of(table["unless"]) if table.get("unless") else None
    return ProximityRule(
        PhraseSet.of(table["near"]),
        PhraseSet.of(table["cues"]),
        int(table["window"]),
        not_cues,
        unless,
    )


def _loose_phrases(phrases: list[str]) -> re.Pattern[str]:
    """Phrases matched whatever the line breaks, spacing and hyphenation in between."""
    words = [r"[\s|]*".join(re.escape(word) for word in phrase.split()) for phrase in phrases]
    return re.compile("|".join(words) or r"(?!)", re.IGNORECASE)


def _words(words: list[str]) -> str:
    """Literal words as one group of alternatives, letter for letter, in the file's order;
    a space stands for any white space (a line break in "ikke aktuelt" too)."""
    alternatives = [r"\s+".join(re.escape(part) for part in word.split()) for word in words]
    return f"(?:{'|'.join(alternatives) or '(?!)'})"


def _patterns(patterns: list[str]) -> str:
    """The file's regular expressions as one group of alternatives, in the file's order."""
    return f"(?:{'|'.join(patterns) or '(?!)'})"


def _form_answers(table: dict[str, Any]) -> FormAnswerWords:
    printed_yes, printed_no = _words(table["printed_yes"]), _words(table["printed_no"])
    return FormAnswerWords(
        # No: not before a letter, digit or "/" ("Nei/Ja" is the printed options).
        no=re.compile(rf"^{_words(table['no'])}(?![\w/])", re.IGNORECASE),
        yes=re.compile(rf"^{_words(table['yes'])}(?!\w)", re.IGNORECASE),
        both_options=re.compile(
            rf"^{printed_yes}\W+{printed_no}\W*$|^{printed_no}\W+{printed_yes}\W*$",
            re.IGNORECASE,
        ),
        option_menu=re.compile(
            rf"\b{_words(table['option_menu'])}\b[^/\n]{{0,40}}(?:\s/\s*[^/\n]{{1,40}}){{1,4}}",
            re.IGNORECASE,
        ),
        attached=PhraseSet.of(table["attached"]),
        later=PhraseSet.of(table["later"], fold=False),
        instructions=PhraseSet.of(table["instructions"]),
        conditions=PhraseSet.of(table["conditions"], fold=False),
        identifying_question=PhraseSet.of(table["identifying_question"]),
        justification_question=PhraseSet.of(table["justification_question"]),
        dpia_question=PhraseSet.of(table["dpia_question"]),
        needed_question=PhraseSet.of(table["needed_question"]),
    )


def _polite_requests(table: dict[str, Any]) -> PoliteRequests:
    openings = [
        rf"{_words(p['ask'])}\s+{_words(p['addressee'])}\s+(?:{_words(p['softeners'])}\s+)?"
        rf"{_words(p['verbs'])}\b"
        for p in table["phrasings"]
    ]
    return PoliteRequests(
        re.compile(f"^{_patterns(openings)}", re.IGNORECASE), PhraseSet.of(table["anywhere"])
    )


def _lower_set(values: list[str]) -> frozenset[str]:
    return frozenset(v.lower() for v in values)


def load_rules(path: Path = DEFAULT_RULES_FILE) -> Rules:
    """Read and check the rules file; a wrong category or kind name fails loudly here.
    Cached while the file is unchanged: a file saved while the bot runs is read again."""
    return _rules_of(path, *file_version(path))


@cache
def _rules_of(path: Path, _modified: int, _size: int) -> Rules:
    return rules_from_text(path.read_text(encoding="utf-8"))


def rules_from_text(text: str) -> Rules:
    """The rules a file with this text holds (`load_rules` without the file or the cache):
    what the admin page checks a changed text with before it is saved. Raises
    `tomllib.TOMLDecodeError`, KeyError (a section or key missing), ValueError (a wrong
    category or kind name, a value of the wrong type) or `re.error`."""
    data = tomllib.loads(text)
    auto = data["auto_generated"]
    signals = data["signals"]
    typed, offer = data["typed_form"], data["offer_mail"]
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
            negations=PhraseSet.of(signals["negations"]),
        ),
        language=LanguageMarkers(
            nynorsk=PhraseSet.of(data["language"]["nynorsk_markers"]),
            bokmal=PhraseSet.of(data["language"]["bokmal_markers"]),
        ),
        form_answers=_form_answers(data["form_answers"]),
        typed_form=TypedForm(
            title_label=re.compile(f"^{_patterns(typed['title_labels'])}", re.IGNORECASE),
            purpose_label=re.compile(f"^{_patterns(typed['purpose_labels'])}", re.IGNORECASE),
        ),
        offer_mail=OfferMail(
            attached=re.compile(_patterns(offer["attached"]), re.IGNORECASE),
            offer=re.compile(_patterns(offer["offer"]), re.IGNORECASE),
            not_yet=re.compile(_patterns(offer["not_yet"]), re.IGNORECASE),
        ),
        attachment_text=AttachmentWords(
            invoice_fields=PhraseSet.of(data["attachment_text"]["invoice_fields"]),
            other_headings=PhraseSet.of(data["attachment_text"]["other_headings"]),
            section_heading=re.compile(
                rf"^{_words(data['attachment_text']['section_headings'])}"
                r"\s+(?:\d{1,3}|[A-Za-z]|[IVXivx]{1,4})(?=[\s:.)\-–]|$)",
                re.IGNORECASE,
            ),
        ),
        polite_requests=_polite_requests(data["polite_requests"]),
    )
