"""Which language the sender wrote in: `nb`, `nn` or `en`.

lingua tells English from Norwegian reliably even on short text, but on its own it
calls plain bokmål nynorsk too often; the two written standards are told apart by
marker words from the rules file (ikkje/ikke, frå/fra, eg/jeg …), bokmål when in doubt.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from bot.rules import LanguageMarkers

_MIN_TEXT = 12


@cache
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.BOKMAL, Language.NYNORSK, Language.ENGLISH
    ).build()


def detect_language(texts: tuple[str, ...], markers: LanguageMarkers) -> str:
    """The language of the first text long enough to judge (the newest first)."""
    text = next((t for t in texts if len(t.strip()) >= _MIN_TEXT), " ".join(texts)).strip()
    if not text:
        return "nb"
    sample = text[:2_000]
    confidences = _detector().compute_language_confidence_values(sample)
    best = confidences[0].language.name if confidences else "BOKMAL"
    if best == "ENGLISH":
        return "en"
    nynorsk = len(markers.nynorsk.hits(sample))
    bokmal = len(markers.bokmal.hits(sample))
    return "nn" if nynorsk > bokmal else "nb"
