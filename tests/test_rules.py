"""The admin's rule language: phrases, prefixes, gaps, proximity and form questions."""

from __future__ import annotations

import pytest

from bot.rules import PhraseSet, load_rules

SIGNALS = load_rules().signals


def test_phrases_match_whole_words_prefixes_and_small_gaps() -> None:
    phrases = PhraseSet.of(["slett*", "ikke ~ nødvendig", "dpia"])
    assert phrases.hits("Dataene er slettet") == ["slettet"]
    assert phrases.hits("det er ikke strengt tatt helt nødvendig") == []  # three words apart
    assert phrases.hits("DPIA er ikke lenger nødvendig") == ["dpia", "ikke lenger nødvendig"]
    assert phrases.hits("udpiat") == []


@pytest.mark.parametrize(
    ("text", "exempt"),
    [
        (
            "Vi har vurdert at det ikkje er naudsynt med ei personvernkonsekvensvurdering (DPIA).",
            True,
        ),
        ("No DPIA has been carried out because the risk is low.", True),
        ("DPIA er under arbeid og ettersendes.", False),
        ("Ja, DPIA er vedlagt.", False),
        ("Det er ikke nødvendig å sende variabellister på nytt. DPIA er vedlagt.", False),
    ],
)
def test_dpia_exemption_needs_a_dpia_word_near_a_not_needed_cue(text: str, exempt: bool) -> None:
    assert SIGNALS.dpia_exemption.found(text) is exempt


@pytest.mark.parametrize(
    ("text", "justified"),
    [
        ("Grunnkrets er nødvendig for å beskrive forskjeller mellom nabolag.", True),
        ("We need the postcode in order to link to our service areas.", True),
        ("Merk at vi òg treng grunnkrets.", False),
        ("Vi ønsker fødselsdato. Prosjektet starter i mars, fordi budsjettet kom sent." * 3, True),
    ],
)
def test_identifying_justification_is_a_reason_clause_near_the_variable(
    text: str, justified: bool
) -> None:
    assert SIGNALS.identifying_justification.found(text) is justified


def test_form_questions_are_blanked_so_only_answers_speak() -> None:
    form = (
        "Særlig identifiserende variabler\n(grunnkrets, postnummer, full\nfødsels- eller dødsdato)"
        " | Ingen\nPersonvernkonsekvensutredning (DPIA) eller begrunnelse for hvorfor DPIA ikke er"
        " nødvendig | Ja, DPIA er vedlagt"
    )
    answers = SIGNALS.without_form_questions(form)
    assert not SIGNALS.identifying_variables.any(answers)
    assert not SIGNALS.dpia_exemption.found(answers)
    assert "Ingen" in answers and "Ja, DPIA er vedlagt" in answers
