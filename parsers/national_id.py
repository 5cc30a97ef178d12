"""Norwegian national ID numbers (fødselsnummer and D-number): found, counted and masked.

Data about persons must never come to SSB by e-mail, so every text the bot reads is
scanned once for them (`scan`), and from then on only the masked form (`010190*****`)
travels: the numbers themselves are never shown, logged or stored by the bot.

A number counts when its eleven digits (also written `DDMMYY NNNNN`) start with a real
date (a D-number adds 4 to the first digit) and both MOD11 control digits are right.
Not counted, by design:

- bank account numbers and KID numbers: an 11-digit number right after a whole word such
  as "kontonummer" or "KID" (the words live in `parsers/data/national_id.toml`); the
  dotted account form `NNNN.NN.NNNNN` never matches;
- organisation numbers (9 digits), phone numbers (8, or 10–12 with the country code) and
  case references (`24/01872`): not eleven digits;
- a digit run longer than eleven (a 13-digit number holding a valid ID inside);
- numbers that fit by chance: where a place holds hundreds of 11-digit numbers and no
  more validate than chance explains (a column of pseudonyms or account numbers, where
  about one in 1,600 passes both checks), none counts (`NOISE_MIN_CANDIDATES`,
  `NOISE_FACTOR`); a real extract mixed with other numbers has far more.

A spreadsheet stores an ID as a number and drops its leading zero (01019012345 becomes
1019012345): `scan(text, lost_leading_zero=True)` also reads ten-digit runs as IDs with
a zero in front. The scan is one regular-expression pass with a callback: the same pass
counts the distinct numbers and writes the masked text.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

MASK: Final = "*****"
"""What replaces the five individual and control digits: `010190*****`."""
CHANCE: Final = 1 / 1600
"""The share of random 11-digit numbers that pass both control digits and the date."""
NOISE_MIN_CANDIDATES: Final = 100
"""A place with this many distinct 11-digit numbers (a column of pseudonyms or account
numbers) expects chance hits; with fewer, a valid number is taken as an ID."""
NOISE_FACTOR: Final = 3
"""There, at most `max(2, NOISE_FACTOR × CHANCE × numbers)` valid ones are chance: a real
extract mixed with other numbers has far more."""

_DAYS_IN_MONTH: Final = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_SPACE = "[ \u00a0\u202f]"
_ELEVEN = re.compile(rf"(?<!\d)(?<!\d\.)(\d{{6}})(?:{_SPACE}(\d{{5}})|(\d{{5}}))(?!\d)(?!\.\d)")
_TEN_OR_ELEVEN = re.compile(
    rf"(?<!\d)(?<!\d\.)(\d{{6}})(?:{_SPACE}(\d{{5}})|(\d{{4,5}}))(?!\d)(?!\.\d)"
)


@dataclass(frozen=True)
class Scan:
    """One text scanned: its masked form and the distinct IDs it held.

    `found` lives only in memory, to count distinct numbers over several texts of one
    place (a file's text and its form answers): it is never shown, logged or stored.
    """

    masked: str
    found: frozenset[str]
    candidates: int
    """Distinct 11-digit numbers seen (valid or not): what the chance rule weighs."""

    @property
    def count(self) -> int:
        return len(self.found)


def is_national_id(digits: str) -> bool:
    """Eleven digits forming a real date (D-number: day + 40) with both control digits right."""
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        return False
    v = digits.encode("ascii")  # bytes index to ints; written out: this runs per number
    d0, d1, m0, m1, y0, y1, i0, i1, i2, k1, k2 = (x - 48 for x in v)
    first = 11 - (3 * d0 + 7 * d1 + 6 * m0 + m1 + 8 * y0 + 9 * y1 + 4 * i0 + 5 * i1 + 2 * i2) % 11
    if first % 11 != k1:  # 11 means 0; 10 matches no digit
        return False
    second = (
        11
        - (5 * d0 + 4 * d1 + 3 * m0 + 2 * m1 + 7 * y0 + 6 * y1 + 5 * i0 + 4 * i1 + 3 * i2 + 2 * k1)
        % 11
    )
    if second % 11 != k2:
        return False
    day = d0 * 10 + d1
    if day > 40:
        day -= 40  # a D-number
    month = m0 * 10 + m1
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        return False
    # 29 February needs a leap year (1900, the one century year in range that is none, passes)
    return not (month == 2 and day == 29 and (y0 * 10 + y1) % 4)


def masked(number: str) -> str:
    """`01019012345` → `010190*****` (the birth date stays: it alone names nobody)."""
    return number[:6] + MASK


@cache
def _not_an_id_before() -> re.Pattern[str]:
    """Words after which an 11-digit number is an account, KID or invoice number."""
    path = Path(__file__).parent / "data" / "national_id.toml"
    words = tomllib.loads(path.read_text(encoding="utf-8"))["not_an_id_after"]
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    # The word whole ("Kontorleder" is no "konto"), then up to 24 characters that are no
    # digit, line break, cell delimiter (; or tab) or a word naming an ID ("konto, fnr …").
    return re.compile(
        rf"(?i)(?<!\w)(?:{alternatives})(?!\w)"
        rf"(?:(?!{_NAMES_AN_ID})[^\n\d;\t]){{0,24}}$"
    )


_NAMES_AN_ID = r"f\.?\s?nr|fødsels|personn|d-n|national|identity|person\s?id|ssn"


def scan(text: str, *, lost_leading_zero: bool = False, mask: bool = True) -> Scan:
    """Mask every national ID in `text` and count the distinct ones, in one pass.

    `lost_leading_zero`: the text comes from spreadsheet cells, where a ten-digit number
    may be an ID whose first digit (0) Excel dropped. `mask` False: only count (`masked`
    is then the text as it was), for text that is read and dropped.
    """
    valid: set[str] = set()
    candidates: set[str] = set()
    checked: dict[str, bool] = {}  # a register extract repeats its numbers: check each once
    excluded = _not_an_id_before()

    def visit(match: re.Match[str]) -> str:
        head, spaced, tail = match.group(1, 2, 3)
        start = match.start()
        if spaced is not None:
            number = head + spaced  # also beside other numbers ("1 010190 10046 Oslo")
        elif len(tail) == 4:
            number = "0" + head + tail
        else:
            number = head + tail
        candidates.add(number)
        is_id = checked.get(number)
        if is_id is None:
            is_id = checked[number] = is_national_id(number)
        if not is_id:
            return match.group(0)
        if number not in valid and not _after_a_word(text, start, excluded):
            valid.add(number)
        return match.group(0)[:-5] + MASK

    pattern = _TEN_OR_ELEVEN if lost_leading_zero else _ELEVEN
    if mask:
        masked_text = pattern.sub(visit, text)
    else:
        masked_text = text
        for match in pattern.finditer(text):
            visit(match)
    chance = max(2, NOISE_FACTOR * CHANCE * len(candidates))
    if len(candidates) >= NOISE_MIN_CANDIDATES and len(valid) <= chance:
        valid.clear()
    return Scan(masked_text, frozenset(valid), len(candidates))


_CONTEXT_CHARS = 48


def _after_a_word(text: str, start: int, words: re.Pattern[str]) -> bool:
    """An account/KID word right before the number (letters and punctuation only between):
    the common case, a number at a line's start or after a delimiter, costs a few steps."""
    lowest = max(0, start - _CONTEXT_CHARS)
    begin = start
    while begin > lowest and not text[begin - 1].isdigit() and text[begin - 1] != "\n":
        begin -= 1
    return start - begin >= 3 and words.search(text, begin, start) is not None


def mask_national_ids(text: str) -> str:
    """`text` with every national ID masked (also a spreadsheet's ten-digit form): for
    anything shown to a person — a page, a log line, evidence, a reply's subject."""
    return scan(text, lost_leading_zero=True).masked
