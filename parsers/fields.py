"""Field extraction: the facts a caseworker writes down, from the texts of one mail.

Exact shapes (case references, organisation numbers, dates, e-mail addresses)
are regular expressions; organisation names in free text come from a spaCy
EntityRuler whose patterns are data (`parsers/data/organization_patterns.jsonl`).
Sources are searched newest first: the subject and the sender's new words before
attachments, forwarded mail and, last, quoted history.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

_PATTERNS_FILE = Path(__file__).parent / "data" / "organization_patterns.jsonl"


class Author(Enum):
    """Who wrote a piece of text, which decides whose number "Vår ref." is."""

    SENDER = "sender"
    """The sender's own words: "Vår ref." is the sender's archive number, and only "Deres
    ref." names SSB's case."""
    OTHERS = "others"
    """Quoted or forwarded mail, or a returned offer without SSB's letterhead: nobody's
    "Vår ref." is taken for the sender's archive."""
    SSB_LETTER = "ssb_letter"
    """SSB's own letter come back (the offer): its "Vår ref." is SSB's case number, and it
    confirms that number where the sender calls it "vår ref." too."""


@dataclass(frozen=True)
class Source:
    """A piece of text and how new it is (order of the tuple passed in is the priority)."""

    name: str
    text: str
    author: Author = Author.SENDER
    """Whose words these are: whose archive "Vår ref." names."""

    @property
    def own_words(self) -> bool:
        return self.author is Author.SENDER

    @property
    def ssb_letter(self) -> bool:
        return self.author is Author.SSB_LETTER


@dataclass(frozen=True)
class Fields:
    case_reference: str | None = None
    organization_number: str | None = None
    organization_name: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    project_title: str | None = None
    signed_date: str | None = None
    deletion_date: str | None = None


# --- case reference ---------------------------------------------------------------

_CASE_LABEL = (
    r"(?P<label>v[åa]r\s*ref(?:eranse)?|deres\s*ref(?:eranse)?|dykkar\s*ref(?:eranse)?"
    r"|our\s*ref(?:erence)?|your\s*ref(?:erence)?|min\s*ref|my\s*ref"
    r"|saksnummer|saksnr|saks?\s*nr|saksref(?:eranse)?|sak|referanse|ref|arkivsak(?:snummer)?"
    r"|(?:opprinnelig\s+|tidligere\s+|tidlegare\s+)?vedtak|journalpost(?:nummer)?"
    r"|case\s*(?:no|number|nr|reference|ref)|case|reference(?:\s*number)?|decision)"
)
_OWN_REFERENCE = re.compile(r"^(?:v[åa]r|our|min|my)\s*ref", re.IGNORECASE)
# The sender's archive, named just before a number ("Elements-referanse:", "arkivert hjå oss
# i ePhorte under saksnr."): that number is the sender's own, not SSB's.
_OWN_ARCHIVE = re.compile(
    r"(?:elements|ephorte|public\s*360|p360|websak|acos|documaster|arkivsystem\w*|vårt\s+arkiv"
    r"|hos\s+oss|hjå\s+oss|our\s+archive|our\s+records)(?:\W+\w+){0,6}\W*$",
    re.IGNORECASE,
)
# Labels that point at SSB's case rather than anybody's archive: preferred within a text.
_SSB_LETTERHEAD = re.compile(
    r"^\W*(?:statistisk\s+sentralbyrå|statistics\s+norway|ssb)\b", re.IGNORECASE
)
_YOUR_REFERENCE = re.compile(r"(?:deres|dykkar|your)\b", re.IGNORECASE)
_YOURS_BEFORE = re.compile(r"\b(?:your|deres|dykkar)\W*$", re.IGNORECASE)
""""your" just before a label ("your case number"): the reader's, i.e. SSB's, number."""
_SSB_SIDE_LABEL = re.compile(r"^(?:deres|dykkar|your)\s*ref|^sak|^case|^arkivsak", re.IGNORECASE)
_SSB_NAMED = re.compile(
    r"\b(?:ssb|statistisk\s+sentralbyrå|statistics\s+norway)\W*$", re.IGNORECASE
)
_CASE_NUMBER = r"(?P<year>\d{4}|\d{2})\s?/\s?(?P<seq>\d{1,6})(?:\s?-\s?(?P<doc>\d{1,4}))?"
_LABELLED_CASE = re.compile(
    rf"\b{_CASE_LABEL}(?:et|en|a)?\b\.?\)?\s*(?:[:#.|]|no\.?|nr\.?|er|is)?\s*(?:ssb\s*[:#|]?\s*)?(?:\w+\s+){{0,2}}?"
    rf"(?<![\d/.]){_CASE_NUMBER}(?![\d/])",
    re.IGNORECASE,
)
# Unlabelled, only the shape SSB's archive prints: YY/NNNNN, optionally -D, or YY/NNN-D.
_BARE_CASE = re.compile(
    r"(?<![\d/.,])(?P<year>\d{2})/(?:(?P<seq>\d{5})(?:-(?P<doc>\d{1,4}))?|(?P<seq2>\d{3,4})-(?P<doc2>\d{1,4}))(?![\d/])"
)


# In a subject or the first lines of a mail, a bare "22/4417" or "25/871" is SSB's case
# ("Endringer prosjekt 22/4417", "SV: slettet 25/871"): people type it short, unlabelled.
_SHORT_BARE_CASE = re.compile(r"(?<![\d/.,])(?P<year>\d{2})\s?/\s?(?P<seq>\d{3,5})(?![\d/.,])")
_HEAD_LINES = 3
_MIN_CASE_YEAR = 10
TICKET_REFERENCE = re.compile(
    r"(?<![\w-])MB-?\s?(?P<number>[1-9]\d{6,8}|\d{6})(?!\d)", re.IGNORECASE
)
"""`MB-000123`: six digits, zero-padded; past a million tickets the number itself
(`MB-1234567`, `Ticket.reference`), never a padded seventh digit."""


def find_ticket_references(texts: tuple[str, ...]) -> tuple[str, ...]:
    """The bot's own ticket references (`MB-000123`) wherever typed, first seen first."""
    found: dict[str, None] = {}
    for text in texts:
        for match in TICKET_REFERENCE.finditer(text):
            found.setdefault(f"MB-{match['number']}")
    return tuple(found)


def _head(source: Source) -> str:
    """Where a bare short reference counts: the subject, or the first lines of the text."""
    if source.name == "subject":
        return source.text
    if source.name == "text":
        return "\n".join([line for line in source.text.splitlines() if line.strip()][:_HEAD_LINES])
    return ""


_NOT_A_CASE_BEFORE = re.compile(
    r"(?:uke|veke|week|wk|side|sida|page|p|s|tabell|table|figur|figure|kap)\.?\s*$",
    re.IGNORECASE,
)


def _short_bare_case(source: Source, own: set[str | None]) -> str | None:
    head = _head(source)
    for match in _SHORT_BARE_CASE.finditer(head):
        year, sequence = int(match["year"]), int(match["seq"])
        if 1900 <= sequence <= 2099:
            continue  # "12/2024", "uke 45/2024": a month or a week and a year
        if not _MIN_CASE_YEAR <= year <= (date.today().year % 100) + 1:
            continue  # SSB's case years: not "99/1234" or "side 3/120"
        if _NOT_A_CASE_BEFORE.search(head[: match.start()]):
            continue  # "side 14/120", "tabell 13/500"
        found = normalize_case_reference(match["year"], match["seq"])
        if found and found not in own:
            return found
    return None


def normalize_case_reference(year: str, sequence: str) -> str | None:
    """`2024`, `1872` → `24/01872`; None when it cannot be an SSB case number."""
    if len(year) == 4:
        if not year.startswith(("19", "20")):
            return None
        year = year[2:]
    elif len(year) not in (1, 2):  # a three-digit or longer "year" is no year
        return None
    number = int(sequence)
    if number == 0 or number > 99_999:
        return None
    return f"{int(year):02d}/{number:05d}"


def has_ssb_letterhead(text: str) -> bool:
    """SSB's own letter: its first line names SSB as the sender (the offer SSB sent comes
    back signed), not as the addressee below a covering letter's own letterhead."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return bool(_SSB_LETTERHEAD.match(first))


def find_case_reference(sources: tuple[Source, ...]) -> str | None:
    """The newest text's case reference: in the first text that has one, a number labelled
    as SSB's ("Deres ref.", "saksnr", "SSB case") before any other label, a labelled one
    before a bare one in SSB's shape.

    The sender's own archive numbers ("Vår ref." in the sender's words) are never SSB's
    case, wherever else they stand: a subject that repeats the sender's archive number
    ("25/00098-7 Aksept av tilbud") must not win over "Deres referanse" in the body.
    """
    labelled_in = [(source, list(_LABELLED_CASE.finditer(source.text))) for source in sources]
    in_ssb_letters = [
        (normalize_case_reference(match["year"], match["seq"]), match["label"])
        for source, matches in labelled_in
        if source.ssb_letter
        for match in matches
    ]
    confirmed_by_ssb = {found for found, label in in_ssb_letters if _OWN_REFERENCE.match(label)}
    # A number the sender itself calls SSB's ("SSB case reference: 2021/7788-15") is SSB's,
    # even where a subject calls it "our ref" (the sender speaking for the project).
    # So is one labelled as the reader's ("Our ref (your case number): 22/00931", "Deres ref.").
    confirmed_by_ssb |= {
        normalize_case_reference(match["year"], match["seq"])
        for source, matches in labelled_in
        for match in matches
        if _SSB_NAMED.search(source.text[max(0, match.start() - 40) : match.start()])
        or _YOUR_REFERENCE.match(match["label"])
        or _YOURS_BEFORE.search(source.text[max(0, match.start() - 12) : match.start()])
    }
    own = {
        normalize_case_reference(match["year"], match["seq"])
        for source, matches in labelled_in
        if source.own_words
        for match in matches
        if _is_own_number(source.text, match)
    } - confirmed_by_ssb
    own |= {found for found, label in in_ssb_letters if _YOUR_REFERENCE.match(label)}
    for source, matches in labelled_in:
        labelled: list[tuple[int, str]] = []
        for match in matches:
            found = normalize_case_reference(match["year"], match["seq"])
            if found is None or found in own:
                continue
            before = source.text[max(0, match.start() - 40) : match.start()]
            if source.ssb_letter:  # SSB's "Vår ref." is its case; its "Deres ref." is not
                if _OWN_REFERENCE.match(match["label"]):
                    labelled.append((0, found))
                continue
            ssb_side = _SSB_SIDE_LABEL.match(match["label"]) or _SSB_NAMED.search(before)
            labelled.append((0 if ssb_side else 1, found))
        if labelled:
            return min(labelled, key=lambda item: item[0])[1]
        for match in _BARE_CASE.finditer(source.text):
            found = normalize_case_reference(match["year"], match["seq"] or match["seq2"])
            if found and found not in own:
                return found
        short = _short_bare_case(source, own)
        if short is not None:
            return short
    return None


def _is_own_number(text: str, match: re.Match[str]) -> bool:
    """Labelled "Vår ref.", or named after the sender's archive on the same line."""
    label = match["label"]
    if _OWN_REFERENCE.match(label):
        return True
    if _YOUR_REFERENCE.match(label):
        return False
    line_start = text.rfind("\n", 0, match.start()) + 1
    before = text[max(line_start, match.start() - 60) : match.start() + len(label)]
    return bool(_OWN_ARCHIVE.search(before))


# --- organisation number ----------------------------------------------------------

_ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
_ORGNR_LABEL = re.compile(
    r"(?:org(?:anisasjons|anization|anisation)?\.?\s*(?:nr|nummer|no|number)\.?"
    r"|organisasjonsnummer|foretaksnummer|business\s+(?:id|number)|enhetsregisteret)\s*[:.]?\s*"
    r"(?:NO\s*)?(?P<digits>\d[\d \u00a0.]{7,12}\d)",
    re.IGNORECASE,
)
_BARE_ORGNR = re.compile(r"(?<![\d-])(?P<digits>[89]\d{2}[ \u00a0]?\d{3}[ \u00a0]?\d{3})(?![\d-])")


def is_valid_organization_number(digits: str) -> bool:
    """Nine digits whose MOD11 check digit (weights 3 2 7 6 5 4 3 2) is right."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(digits, _ORGNR_WEIGHTS, strict=False)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(digits[8])


def normalize_organization_number(raw: str) -> str | None:
    digits = re.sub(r"[\s\u00a0.]", "", raw)
    return digits if is_valid_organization_number(digits) else None


def find_organization_number(
    sources: tuple[Source, ...], exclude: frozenset[str] = frozenset()
) -> str | None:
    """A labelled, valid number first; an invalid labelled one means "not given" (None)."""
    labelled_seen = False
    for source in sources:
        for match in _ORGNR_LABEL.finditer(source.text):
            labelled_seen = True
            found = normalize_organization_number(match["digits"])
            if found and found not in exclude:
                return found
    if labelled_seen:
        return None
    for source in sources:
        for match in _BARE_ORGNR.finditer(source.text):
            found = normalize_organization_number(match["digits"])
            if found and found not in exclude:
                return found
    return None


# --- dates ------------------------------------------------------------------------

_MONTHS = {
    "januar": 1, "january": 1, "jan": 1, "februar": 2, "february": 2, "feb": 2,
    "mars": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mai": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11, "desember": 12, "december": 12, "des": 12, "dec": 12,
}  # fmt: skip
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE = re.compile(
    rf"(?P<iso>(?P<iy>20\d{{2}})-(?P<im>\d{{1,2}})-(?P<id>\d{{1,2}}))"
    rf"|(?P<dotted>(?P<dd>\d{{1,2}})[./](?P<dm>\d{{1,2}})[./](?P<dy>(?:20)?\d{{2}}))(?![\d])"
    rf"|(?P<named>(?P<nd>\d{{1,2}})\.?\s+(?P<nm>{_MONTH_NAMES})\.?,?\s+(?P<ny>20\d{{2}}))"
    rf"|(?P<us>(?P<um>{_MONTH_NAMES})\.?\s+(?P<ud>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<uy>20\d{{2}}))",
    re.IGNORECASE,
)
_SIGNED_WORDS = re.compile(
    r"signert|signed|signature|signatur|underskrift|underskrive|underskreve|akseptert|accepted"
    r"|sted\s+og\s+dato|stad\s+og\s+dato|place\s+and\s+date|dato\s+for\s+signering",
    re.IGNORECASE,
)
_DELETED_WORDS = re.compile(
    r"slett\w*|delet\w*|destroyed|destruert|makulert|fjernet|fjerna|erased|removed",
    re.IGNORECASE,
)
_DATE_WINDOW = 160


def _to_iso(match: re.Match[str]) -> str | None:
    try:
        if match["iso"]:
            value = date(int(match["iy"]), int(match["im"]), int(match["id"]))
        elif match["dotted"]:
            year = int(match["dy"]) + (2000 if len(match["dy"]) == 2 else 0)
            value = date(year, int(match["dm"]), int(match["dd"]))
        elif match["named"]:
            value = date(int(match["ny"]), _MONTHS[match["nm"].lower()], int(match["nd"]))
        else:
            value = date(int(match["uy"]), _MONTHS[match["um"].lower()], int(match["ud"]))
    except (ValueError, KeyError):
        return None
    return value.isoformat()


def find_dated_event(sources: tuple[Source, ...], keywords: re.Pattern[str]) -> str | None:
    """The date nearest a keyword (signing, deletion), in the newest source that has one."""
    for source in sources:
        text = source.text
        best: tuple[int, str] | None = None
        for keyword in keywords.finditer(text):
            lo, hi = max(0, keyword.start() - _DATE_WINDOW), keyword.end() + _DATE_WINDOW
            for match in _DATE.finditer(text, lo, hi):
                iso = _to_iso(match)
                if iso is None:
                    continue
                distance = min(
                    abs(match.start() - keyword.end()), abs(keyword.start() - match.end())
                )
                if best is None or distance < best[0]:
                    best = (distance, iso)
        if best:
            return best[1]
    return None


# --- labelled lines: organisation, contact, project title -------------------------

_SEPARATOR = r"\s*(?:[:|\t]|\s-\s)\s*"
_ORG_LABEL = re.compile(
    r"^\W*(?:virksomhet|organisasjon|organisasjonsnavn|institusjon|verksemd|organisasjon/virksomhet"
    r"|behandlingsansvarlig(?:\s+institusjon)?|søkerinstitusjon|søkar|søker|ansvarlig\s+institusjon"
    r"|organi[sz]ation(?:\s+name)?|institution|applicant(?:\s+institution)?|data\s+controller"
    rf"|name\s+of\s+(?:the\s+)?(?:institution|organi[sz]ation)|navn\s+på\s+virksomhet(?:en)?){_SEPARATOR}"
    r"(?P<value>[^\n|]{2,120}?)\s*(?:\||$)",
    re.IGNORECASE | re.MULTILINE,
)
_CONTACT_LABELS = tuple(
    re.compile(
        rf"^\W*(?:{labels}){_SEPARATOR}(?P<value>[^\n|]{{2,80}}?)\s*(?:\||$)",
        re.IGNORECASE | re.MULTILINE,
    )
    # The named contact person first; the project leader only when no contact is named.
    for labels in (
        r"kontaktperson|contact\s+person|kontakt|contact",
        r"prosjektleiar|prosjektleder|project\s+leader|principal\s+investigator|søkers\s+navn",
    )
)
_LABEL_WORDS = re.compile(
    r"^(?:institusjon|virksomhet|verksemd|organisasjon|organisation|organization|institution"
    r"|søker|søkar|applicant|controller|behandlingsansvarlig|arbeidsgiver|employer)\s+",
    re.IGNORECASE,
)
_DOCUMENT_HEADINGS = re.compile(
    r"^\s*(?:oppdatert\s+|updated\s+|revidert\s+)?(?:prosjektbeskrivelse|prosjektskildring"
    r"|project\s+description|research\s+protocol|forskningsprotokoll|protokoll"
    r"|behovs-\s+og\s+formålsbeskrivelse|behovs-\s+og\s+føremålsskildring"
    r"|needs\s+and\s+purpose\s+description)\s*$",
    re.IGNORECASE,
)
_TRAILING_REFERENCE = re.compile(r"\s*\([^()]*\d[^()]*\)\s*$")
_TRAILING_UNIT = re.compile(r"\s*\([^()]*\)$")
_SURNAME_FIRST = re.compile(
    r"^(?P<surname>[A-ZÆØÅ][A-ZÆØÅ'-]{4,}(?:\s+[A-ZÆØÅ][A-ZÆØÅ'-]+)*)\s+(?P<given>[A-ZÆØÅ][a-zæøåäöüéèíó'-]+(?:\s+[A-ZÆØÅ][a-zæøåäöüéèíó'-]+)*)$"
)
_HONORIFIC = re.compile(
    r"^(?:(?:dr|prof|mr|mrs|ms)\.?|professor|førsteamanuensis|seniorforsker|forsker"
    r"|seniorrådgiver|seniorrådgjevar|rådgiver|rådgjevar)\s+(?=[A-ZÆØÅ])",
    re.IGNORECASE,
)
_NOT_A_PERSON = re.compile(
    r"\b(?:for|og|and|of|seksjon\w*|avdeling\w*|institutt\w*|kontor\w*|senter\w*|team"
    r"|postmottak|post|department|section|office|unit)\b|\w+(?:seksjonen|avdelingen|kontoret)\b",
    re.IGNORECASE,
)
_NAME_LINE = re.compile(r"^\s*([A-ZÆØÅ][\w'’-]+(?:\s+[A-ZÆØÅ][\w'’-]+){1,3})\s*$")
_TITLE_LABEL = re.compile(
    r"^\W*(?:\d{1,2}[.)]\s*)?(?:prosjekttittel|prosjektittel|prosjektnavn|tittel\s+på\s+prosjektet"
    r"|namn\s+på\s+prosjektet|navn\s+på\s+prosjektet|project\s+title|title\s+of\s+(?:the\s+)?project"
    rf"|project\s+name|prosjekt|project){_SEPARATOR}(?P<value>[^\n|]{{3,200}}?)\s*(?:\||$)",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_TITLE = re.compile(
    r"\b(?:prosjekt(?:et)?|project|prosjektet\s+vårt|our\s+project)\s+"
    r"(?:titled\s+|kalt\s+|med\s+tittel(?:en)?\s+)?"
    r"(?:[«\"“‘](?P<value>[^»\"”’\n]{3,200})[»\"”’]|'(?P<single>[^'\n]{3,200})')",
    re.IGNORECASE,
)
# Weaker shapes, tried after the ones above: a title in guillemets near a project word
# or a case number ("doktorgradsprosjektet mitt ved OsloMet, «…»", "(saksnr 24/05512, «…»)"),
# and a line that opens with a case number and a dash ("Case no. 22/01234 – …").
_NEAR_QUOTED_TITLE = re.compile(
    r"(?:prosjekt\w*|project\w*|\d{2,4}/\d{3,5}(?:-\d+)?)[^«»\"“”\n]{0,60}?"
    r"[«\"“](?P<value>[^»\"”\n]{3,200})[»\"”]",
    re.IGNORECASE,
)
_TITLE_AFTER_CASE = re.compile(
    r"^\W*(?:case\s*no\.?|case|sak(?:snr|snummer)?\.?|ref\.?)\s*\d{2,4}/\d{3,5}(?:-\d+)?"
    r"\s*[–—-]\s*(?P<value>[^\n]{3,200}?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SYSTEM_SENDERS = re.compile(
    r"mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounce|notification|newsletter|nyhetsbrev",
    re.IGNORECASE,
)


def _first_labelled(pattern: re.Pattern[str], sources: tuple[Source, ...]) -> str | None:
    for source in sources:
        for match in pattern.finditer(source.text):
            value = match["value"].strip(" .,;:*_\"'«»")
            if value and not value.lower().startswith(("http", "[", "(")):
                return value
    return None


@cache
def _organization_ruler() -> Any:
    """A blank Norwegian pipeline with only the EntityRuler: fast, and no model download."""
    import spacy

    nlp = spacy.blank("nb")
    ruler: Any = nlp.add_pipe("entity_ruler")
    ruler.from_disk(_PATTERNS_FILE)
    return nlp


def find_organization_name(
    labelled_sources: tuple[Source, ...], free_sources: tuple[Source, ...]
) -> str | None:
    """A labelled name ("Virksomhet: …") anywhere first; then a known shape in free text.

    Free text is searched in the order given (the signature before the body, which
    names other bodies: the storage host, the funder, SSB itself).
    """
    labelled = _first_labelled(_ORG_LABEL, labelled_sources)
    if labelled:
        return labelled
    nlp = _organization_ruler()
    for source in free_sources:
        doc = nlp(source.text[:5_000])
        names = [_LABEL_WORDS.sub("", str(ent.text)).strip() for ent in doc.ents]
        names = [n for n in names if n.lower() not in _NOT_APPLICANTS]
        if names:
            # A signature names the department, then the body it belongs to: take the body.
            return next((n for n in names if not _SUB_UNIT.match(n)), names[0])
    return None


_SUB_UNIT = re.compile(
    r"^(?:institutt|seksjon|avdeling|department|faculty|fakultet)\s+(?:for|of)\b", re.IGNORECASE
)


_NOT_APPLICANTS = frozenset(
    {"statistisk sentralbyrå", "statistics norway", "norges forskningsråd", "sikt", "eurostat"}
)


def find_contact(
    sources: tuple[Source, ...], sender_name: str | None, sender_email: str | None
) -> tuple[str | None, str | None]:
    """A named contact person if the mail names one; otherwise the person who wrote."""
    name = next((n for p in _CONTACT_LABELS if (n := _first_labelled(p, sources))), None)
    email_address: str | None = None
    if name:
        inline = _EMAIL.search(name)
        if inline:
            email_address = inline.group(0)
            name = name.replace(email_address, "").strip(" ,;()<>") or None
    if name:
        name = person_name(name) or name
    is_system = bool(sender_email and _SYSTEM_SENDERS.search(sender_email))
    if not name and sender_name and not is_system and "@" not in sender_name:
        name = person_name(sender_name)
    if not name and not is_system:
        name = _name_in_signature(sources)
    if not email_address and sender_email and not is_system:
        email_address = sender_email
    return name, email_address


def person_name(display_name: str) -> str | None:
    """A display name as a person's name: "Kari Nordmann, rådgiver" → "Kari Nordmann",
    "Nordmann, Kari" → "Kari Nordmann"; None for a department's shared mailbox."""
    name = _HONORIFIC.sub("", " ".join(display_name.split()))
    name = _TRAILING_UNIT.sub("", name)
    institutional = _SURNAME_FIRST.match(name)
    if institutional:  # "KONSTANTINOU Dimitra (ESTAT)", as EU institutions write names
        name = f"{institutional['given']} {institutional['surname'].title()}"
    if "," in name:
        first, rest = name.split(",", 1)
        if len(first.split()) == 1 and 1 <= len(rest.split()) <= 2 and rest.strip()[:1].isupper():
            name = f"{rest.strip()} {first.strip()}"
        else:
            name = first.strip()  # "Kari Nordmann, rådgiver, Avdeling for analyse"
    if _NOT_A_PERSON.search(name) or len(name.split()) < 2:
        return None
    return name


def _name_in_signature(sources: tuple[Source, ...]) -> str | None:
    for source in sources:
        if source.name != "signature":
            continue
        for line in source.text.splitlines()[:4]:
            match = _NAME_LINE.match(line)
            if match and not _NOT_A_PERSON.search(match.group(1)):
                return match.group(1)
    return None


def find_project_title(sources: tuple[Source, ...]) -> str | None:
    """A labelled title; else a quoted one; else the line under a project description's heading."""
    labelled = _first_labelled(_TITLE_LABEL, sources)
    if labelled:
        return _TRAILING_REFERENCE.sub("", labelled).strip() or labelled
    for source in sources:
        match = _QUOTED_TITLE.search(source.text)
        if match:
            return str(match["value"] or match["single"]).strip()
    for pattern in (_NEAR_QUOTED_TITLE, _TITLE_AFTER_CASE):
        for source in sources:
            match = pattern.search(source.text)
            if match:
                return match["value"].strip(" .,;:\"'«»")
    for source in sources:
        lines = [line.strip() for line in source.text.splitlines()[:6] if line.strip()]
        for heading, title in itertools.pairwise(lines):
            if _DOCUMENT_HEADINGS.match(heading) and 3 <= len(title) <= 200:
                return title
    return None


SIGNED_WORDS = _SIGNED_WORDS
DELETED_WORDS = _DELETED_WORDS


# --- provenance -------------------------------------------------------------------------

_SOURCE_WORDS = {
    "subject": "the subject",
    "text": "the mail's text",
    "signature": "the mail's signature",
    "forwarded": "forwarded text",
    "quoted": "quoted text",
}


def _value_pattern(name: str, value: str) -> re.Pattern[str]:
    """How a normalised value may be written: digits spaced, a reference unpadded."""
    if name == "case_reference" and re.fullmatch(r"\d{2}/\d{5}", value):
        year, sequence = value.split("/")
        return re.compile(rf"(?<!\d)(?:20)?{year}\s?/\s?0*{int(sequence)}(?!\d)", re.IGNORECASE)
    if name == "organization_number":
        return re.compile(r"[\s.\u00a0]?".join(value))
    if name in ("signed_date", "deletion_date"):
        year, month, day = value.split("-")
        return re.compile(
            rf"{int(day)}\.\s?0?{int(month)}\.\s?(?:{year}|{year[2:]})|{value}", re.IGNORECASE
        )
    return re.compile(r"\s+".join(re.escape(word) for word in value.split()), re.IGNORECASE)


FormAnswers = dict[str, list[tuple[str, str, int | None]]]
"""File name → its form fields as (label, answer, page)."""


def where_found(name: str, value: str, sources: tuple[Source, ...], forms: FormAnswers) -> str:
    """Where a field's value stands, in words for the caseworker: a form field of an
    attachment ("form field 'Organisasjonsnummer' in Søknad.pdf, page 1"), the subject, a
    line of the mail's text, or the headers (the sender's name and address)."""
    pattern = _value_pattern(name, value)
    for source in sources:
        match = pattern.search(source.text)
        if match is None:
            continue
        for label, answer, page in forms.get(source.name, []):
            if pattern.search(answer):
                at = f", page {page}" if page else ""
                return f"form field '{label}' in {source.name}{at}"
        if source.name not in _SOURCE_WORDS:
            return f"attachment {source.name}"
        where = _SOURCE_WORDS[source.name]
        if source.name == "subject":
            return where
        return f"{where}, line {source.text.count(chr(10), 0, match.start()) + 1}"
    return "the mail's headers"
