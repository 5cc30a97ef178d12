"""Whether a password is good enough for the caseworkers' pages: one rule for the CLI and the web.

At least `MIN_LENGTH` characters, and not guessable: zxcvbn's estimate (its dictionaries of
common passwords, English words and names, keyboard patterns, dates and sequences, plus
the user's own name and the Norwegian words people here reach for first) must reach
`MIN_SCORE`, its top mark: about 10¹⁰ guesses, enough against an attacker who has stolen
the argon2 hashes ("Sommer2024!!", a mark lower, is what such an attacker tries early).
Before that, the plainest cases get a reason of their own that a person understands at
once: only digits, a sequence or a repeated pattern, the user's name.

Pure: a password and a user name in, a `PasswordProblem` or None out. Nothing is logged.
"""

from __future__ import annotations

import itertools
import re
import threading
from enum import StrEnum
from typing import Final

from zxcvbn import zxcvbn

MIN_LENGTH: Final = 12
MAX_LENGTH: Final = 128
"""Long passphrases are welcome; past this, the strength estimate takes too long."""
MIN_SCORE: Final = 4
"""zxcvbn's 0–4 scale: 4 is at least 10¹⁰ guesses."""

NORWEGIAN_WORDS: Final = (
    "passord", "hemmelig", "velkommen", "heisann", "sommer", "vinter", "høst", "vår",
    "januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
    "oktober", "november", "desember", "mandag", "tirsdag", "onsdag", "torsdag", "fredag",
    "lørdag", "søndag", "norge", "noreg", "oslo", "bergen", "trondheim", "kongsvinger",
    "statistikk", "statistisk", "sentralbyrå", "ssb", "mikrodata", "mikrobot", "saksbehandler",
    "admin", "bruker", "brukernavn", "innlogging", "jobb", "kontor", "qwertyuiopå",
)  # fmt: skip
"""Words zxcvbn's English lists lack and a Norwegian office would try first."""

_zxcvbn_lock = threading.Lock()
"""zxcvbn keeps the user inputs of a call in a module-global dictionary: two calls at once
(two admins saving a password) would check against each other's words."""
_LETTERS = re.compile(r"[^\w]|[\d_]")


class PasswordProblem(StrEnum):
    """Why a password is refused; the value is the key of its words in the pages."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    ONLY_DIGITS = "only_digits"
    SEQUENCE = "sequence"
    NAME = "name"
    GUESSABLE = "guessable"


PROBLEM_TEXT: Final = {
    PasswordProblem.TOO_SHORT: f"a password has at least {MIN_LENGTH} characters",
    PasswordProblem.TOO_LONG: f"a password has at most {MAX_LENGTH} characters",
    PasswordProblem.ONLY_DIGITS: "a password of digits only is guessed at once",
    PasswordProblem.SEQUENCE: "a sequence or a repeated pattern is guessed at once",
    PasswordProblem.NAME: "the password must not be the user name",
    PasswordProblem.GUESSABLE: (
        "the password is too easy to guess (a common password, word or pattern):"
        " use three or four unrelated words"
    ),
}
"""The reasons in English, for the command line (the pages have their own words)."""


def password_problem(password: str, user_name: str) -> PasswordProblem | None:
    """Why `password` may not be `user_name`'s password, or None when it may."""
    if len(password) < MIN_LENGTH:
        return PasswordProblem.TOO_SHORT
    if len(password) > MAX_LENGTH:
        return PasswordProblem.TOO_LONG
    if password.isdigit():
        return PasswordProblem.ONLY_DIGITS
    if is_sequence(password):
        return PasswordProblem.SEQUENCE
    if is_name(password, user_name):
        return PasswordProblem.NAME
    with _zxcvbn_lock:
        score: int = zxcvbn(
            password, user_inputs=[*name_parts(user_name), *NORWEGIAN_WORDS], max_length=MAX_LENGTH
        )["score"]
    return PasswordProblem.GUESSABLE if score < MIN_SCORE else None


def is_sequence(password: str) -> bool:
    """Characters that step evenly ("abcdefghijkl", "987654321098", "aaaaaaaaaaaa"), or a
    short pattern repeated ("abcabcabcabc", "passpasspass")."""
    text = password.casefold()
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    if len(steps) == 1 and abs(next(iter(steps))) <= 1:
        return True
    if all(ch.isdigit() for ch in text):  # digits that wrap: 7890123456
        digit_steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(text)}
        if digit_steps in ({1}, {9}):
            return True
    return any(
        len(text) % size == 0 and text == text[:size] * (len(text) // size)
        for size in range(1, len(text) // 2 + 1)
    )


def is_name(password: str, user_name: str) -> bool:
    """The user name itself, give or take digits, punctuation, case and order
    ("Kari.Nordmann2024", "nnamdronirak"), or a piece of it repeated ("kari2024kari")."""
    letters = _LETTERS.sub("", password).casefold()
    name = _LETTERS.sub("", user_name).casefold()
    if not name or not letters:
        return False
    if letters in (name, name[::-1]):
        return True
    parts = name_parts(user_name)
    return any(len(part) >= 3 and letters == part * (len(letters) // len(part)) for part in parts)


def name_parts(user_name: str) -> list[str]:
    """The user name and its pieces ("kari.nordmann@ssb.no" → kari, nordmann, ssb, no …)."""
    lowered = user_name.casefold()
    pieces = [p for p in re.split(r"[^\w]+|_", lowered) if p]
    return [lowered, *pieces]
