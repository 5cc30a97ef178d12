"""The sender's language: bokmål, nynorsk or English."""

from __future__ import annotations

import pytest

from bot.language import detect_language
from bot.rules import load_rules

MARKERS = load_rules().language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hei, vedlagt er søknaden vår om tilgang til mikrodata. Vi har ikke fått svar fra dere.",
            "nb",
        ),
        ("Hei, vedlagt finn de søknaden vår. Vi har ikkje fått svar frå dykk enno.", "nn"),
        ("Vi stadfestar at dataa er sletta i samsvar med vedtaket.", "nn"),
        ("Takk for tilbudet, vi returnerer det signert.", "nb"),
        ("Please find attached our application for access to microdata.", "en"),
        ("Dear SSB, we confirm that the data have been deleted.", "en"),
    ],
)
def test_language_of_the_new_text(text: str, expected: str) -> None:
    assert detect_language((text,), MARKERS) == expected


def test_short_new_text_falls_back_to_the_next_text() -> None:
    assert detect_language(("OK", "Please find attached the signed offer."), MARKERS) == "en"


def test_empty_mail_is_answered_in_bokmal() -> None:
    assert detect_language(("", ""), MARKERS) == "nb"
