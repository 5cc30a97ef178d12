"""Ask only what is known to be missing: attachments the bot could not read.

An attachment that would not open (encrypted, corrupt) satisfies nothing: the item it was
meant to be stays missing, and the reply names the file and asks for it again in a
readable format. A scan the bot cannot read well enough (no OCR text, or OCR too poor to
judge) may well be the item: the bot does not ask the applicant for what it cannot see,
the item goes to the caseworker as "to check" instead.

Pure functions of what triage already read; `settle` gives the verdict its `missing`,
`to_check`, `notes` and attachment provenance (`Evidence.sources`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.attachment_kinds import content_was_read, has_enough_text
from bot.offer_check import CODE as SIGNED_OFFER
from bot.requirements import Requirement, missing_items
from bot.rules import PhraseSet
from bot.verdict import AttachmentKind, Category, ItemNote, NoteReason
from parsers.attachments import AttachmentText
from parsers.attachments.logos import may_be_a_document


class Legibility(StrEnum):
    """How far the bot could see into an attachment."""

    READ = "read"
    """Its text (or a good OCR of it) was there to judge; its kind counts."""
    UNREADABLE = "unreadable"
    """It could not be opened: it satisfies nothing."""
    POOR_SCAN = "poor_scan"
    """A scan without OCR text, or with OCR too poor to judge: a person must look."""


MIN_SCAN_LETTERS = 100
MIN_SCAN_WORDS = 15
MIN_WORD_SHARE = 0.6
"""A scan's OCR text is good enough to judge with at least this many letters and word-like
tokens, and this share of its characters in word-like tokens. Measured on the 86 scanned
documents of `fixtures/mail` and the hand-written sets (dev, holdout, holdout2): all read
with ≥ 133 letters, ≥ 21 words and a share ≥ 0.77 (the shortest, a one-page acceptance
block); the 30 e-mail logos (`image001.png`) read 0–14 letters."""

_WORD = re.compile(r"[^\W\d_]{2,}(?:[-'][^\W\d_]+)*")
_VOWELS = frozenset("aeiouyæøåéèáàöäü")
_EDGE_PUNCTUATION = ".,:;!?()[]{}\"'«»“”‘’*-–—/"
_MENTIONS: dict[str, PhraseSet] = {
    "application_form": PhraseSet.of(
        [
            "søknadsskjema*", "søknadskjema*", "endringsskjema*", "skjemaet", "utfylt skjema",
            "application form", "the form", "amendment form", "change form",
        ]
    ),
    "dpia": PhraseSet.of(
        [
            "dpia", "personvernkonsekvensutredning*", "personvernkonsekvensvurdering*", "pvk",
            "konsekvensutredning*", "impact assessment",
        ]
    ),
    "variable_list": PhraseSet.of(
        ["variabelliste*", "variabellista", "variabeloversikt*", "variable list*", "script"]
    ),
    "updated_documentation": PhraseSet.of(
        [
            "prosjektbeskrivelse*", "oppdatert dokumentasjon", "updated documentation",
            "protokoll*", "protocol", "project description",
        ]
    ),
}  # fmt: skip
"""Words in the mail's own text that say which required item an attachment was meant to be,
when its name says nothing ("vedlagt er skjemaet", with `scan001.pdf`). The signed offer is
left to `bot/offer_check.py`, which reads the mail's claim and the offer scans itself."""

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_NOT_NOW = re.compile(
    r"ettersend|kommer|kjem\s|senere|seinare|later|will\s+follow|to\s+follow|mangler|manglar|"
    r"missing|ikke\s+(?:\w+\s+){0,2}vedlagt|ikkje\s+(?:\w+\s+){0,2}vedlagd|not\s+attached",
    re.IGNORECASE,
)
"""A sentence that puts the item off ("DPIA kommer senere") does not say it is attached."""


@dataclass(frozen=True)
class ScanQuality:
    """How much of a scan's OCR text looks like words."""

    letters: int
    words: int
    word_share: float

    @property
    def poor(self) -> bool:
        return (
            self.letters < MIN_SCAN_LETTERS
            or self.words < MIN_SCAN_WORDS
            or self.word_share < MIN_WORD_SHARE
        )


def scan_quality(text: str) -> ScanQuality:
    """Letters, word-like tokens and their share of the text's characters.

    A word-like token is two or more letters with a vowel, written in one case pattern
    (`kontaktperson`, `SSB`, `Oslo`), the shape OCR noise (`l|I1`, `rnMw`, `,;.`) lacks.
    """
    tokens = text.split()
    word_chars = words = 0
    for token in tokens:
        if _word_like(token.strip(_EDGE_PUNCTUATION)):
            words += 1
            word_chars += len(token)
    total = sum(len(t) for t in tokens)
    letters = sum(c.isalpha() for c in text)
    return ScanQuality(letters, words, word_chars / total if total else 0.0)


def _word_like(token: str) -> bool:
    if not _WORD.fullmatch(token):
        return False
    if not (token.islower() or token.isupper() or token.istitle()):
        return False
    lower = token.lower()
    return any(c in _VOWELS for c in lower) and not re.search(r"(.)\1\1", lower)


def legibility(attachment: AttachmentText) -> Legibility:
    """Whether the bot could see what the attachment is (see `Legibility`)."""
    if attachment.error is not None and not has_enough_text(attachment.text):
        # A file damaged late (one bad page of many) may still have given text enough.
        return Legibility.UNREADABLE
    if attachment.scanned and (not attachment.ocr or scan_quality(attachment.text).poor):
        return Legibility.POOR_SCAN
    return Legibility.READ


def unopened_reason(error: str) -> str:
    """The error in the few words a reply and a caseworker need: encrypted, corrupt …"""
    lowered = error.lower()
    if "encrypt" in lowered or "password" in lowered:
        return "encrypted"
    if "empty file" in lowered:
        return "empty"
    if "too large" in lowered:
        return "too large"
    if "unsupported" in lowered:
        return "in a format the bot cannot read"
    return "corrupt"


@dataclass(frozen=True)
class AttachmentReading:
    """One attachment as far as the requirements are concerned."""

    filename: str
    kind: AttachmentKind
    legibility: Legibility
    may_be: frozenset[str]
    """Requirement codes it was meant to satisfy (by content, name or the mail's words)."""
    source: str
    """Where its kind was seen, in words for the caseworker (`Evidence.sources`)."""


def read_attachments(
    attachments: Sequence[AttachmentText],
    kinds: Sequence[AttachmentKind],
    mail_text: str,
    requirements: tuple[Requirement, ...],
) -> tuple[AttachmentReading, ...]:
    """Every attachment's legibility, the items it may be, and where that was seen.

    `mail_text` is the sender's own words (subject, new and forwarded text): when an
    unreadable file's name says nothing, they may say what it was meant to be.
    """
    mentioned = mentioned_items(mail_text)
    readings = []
    for attachment, kind in zip(attachments, kinds, strict=True):
        seen = legibility(attachment)
        may_be = _codes_of(kind, requirements)
        if not may_be and seen is not Legibility.READ and may_be_a_document(attachment):
            may_be = mentioned
        readings.append(
            AttachmentReading(attachment.filename, kind, seen, may_be, _source(attachment, seen))
        )
    return tuple(readings)


def mentioned_items(mail_text: str) -> frozenset[str]:
    """Required items the sender says they are sending now (not "DPIA kommer senere")."""
    sentences = [s for s in _SENTENCE.split(mail_text) if not _NOT_NOW.search(s)]
    return frozenset(
        code for code, words in _MENTIONS.items() if any(words.any(s) for s in sentences)
    )


def counts_toward_items(attachment: AttachmentText) -> bool:
    """Whether the attachment's kind may satisfy a requirement: not when it would not open.

    A poor scan counts (the bot does not ask for what it cannot see); `settle` marks what it
    may be as "to check".
    """
    return legibility(attachment) is not Legibility.UNREADABLE


@dataclass(frozen=True)
class Settled:
    """What the verdict says about the required items once legibility is taken into account."""

    missing: tuple[str, ...]
    to_check: tuple[str, ...]
    notes: tuple[ItemNote, ...]
    sources: tuple[tuple[str, str], ...]


def settle(
    readings: tuple[AttachmentReading, ...],
    category: Category,
    present: frozenset[str],
    conditions: frozenset[str],
    requirements: tuple[Requirement, ...],
) -> Settled:
    """Missing items, items to check and why, for one mail of `category`.

    `present` is what the mail provides with unreadable files already left out
    (`counts_toward_items`). An item only a poor scan may satisfy is to check, not missing;
    an item an unreadable file was meant to be stays missing, with a note naming the file.
    A scanned offer is judged by `bot/offer_check.py` (its to-check comes from there).
    """
    required = {r.code for r in requirements if r.category is category}
    read_kinds = {r.kind.value for r in readings if r.legibility is Legibility.READ}
    poor = [r for r in readings if r.legibility is Legibility.POOR_SCAN]
    only_poor = {r.kind.value for r in poor} - read_kinds - {SIGNED_OFFER}
    unseen = missing_items(category, present - only_poor, conditions, requirements)
    to_check = sorted({c for c in unseen for r in poor if c in r.may_be} - {SIGNED_OFFER})
    missing = tuple(c for c in unseen if c not in to_check)
    notes = [
        ItemNote(code, NoteReason.POOR_SCAN, r.filename)
        for r in poor
        for code in sorted(r.may_be)
        if code in to_check
    ]
    notes += [
        ItemNote(code, NoteReason.UNREADABLE, r.filename)
        for r in readings
        if r.legibility is Legibility.UNREADABLE
        for code in sorted(r.may_be)
        if code in missing
    ]
    sources = [
        (code, r.source)
        for r in readings
        for code in sorted(r.may_be & required)
        if _tells(r, code, unseen, to_check)
    ]
    return Settled(missing, tuple(to_check), tuple(notes), tuple(dict.fromkeys(sources)))


def _tells(
    reading: AttachmentReading, code: str, unseen: tuple[str, ...], to_check: list[str]
) -> bool:
    """Whether the reading is provenance for `code`: the file that satisfied it, the poor
    scan that put it to check, or the file that would not open. Offers that were read have
    their own provenance (`bot/offer_check.py`)."""
    if reading.legibility is Legibility.UNREADABLE:
        return True
    if reading.legibility is Legibility.POOR_SCAN:
        return code in to_check
    return code not in unseen and code != SIGNED_OFFER


def _codes_of(kind: AttachmentKind, requirements: tuple[Requirement, ...]) -> frozenset[str]:
    """The requirement codes a kind satisfies in any category (a DPIA: `dpia`, and
    `updated_documentation` in a change request)."""
    if kind is AttachmentKind.OTHER:
        return frozenset()
    return frozenset(r.code for r in requirements if kind.value in r.satisfied_by)


def _source(attachment: AttachmentText, seen: Legibility) -> str:
    name = attachment.filename
    if seen is Legibility.UNREADABLE:
        return f"{name} could not be opened: {unopened_reason(attachment.error or '')}"
    if seen is Legibility.POOR_SCAN:
        how = "has no OCR text" if not attachment.ocr else "OCR text too poor to read"
        return f"{name}: a scan the bot cannot read ({how}), for the caseworker to check"
    if attachment.scanned:
        return f"OCR text of the scan {name}{_pages(attachment.pages)}"
    if content_was_read(attachment):
        return f"content of {name}{_pages(attachment.pages)}"
    return f"file name {name} (too little text to judge)"


def _pages(pages: int | None) -> str:
    if not pages:
        return ""
    return " (page 1)" if pages == 1 else f" (pages 1–{pages})"
