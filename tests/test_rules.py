"""The admin's rule language: phrases, prefixes, gaps, proximity and form questions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.form_answers import CONDITION, Answer, answer_of
from bot.rules import DEFAULT_RULES_FILE, PhraseSet, Rules, load_rules, sentences
from bot.triage import TriageContext
from bot.verdict import Category, Verdict
from parsers.attachments import FormField
from tests.test_form_answers import DPIA_DOC, SCRIPT, form_docx, sources, verdict_for

SIGNALS = load_rules().signals
REQUESTS = load_rules().polite_requests


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


def test_letters_typed_in_place_of_ae_oe_aa_still_match_but_short_words_stay_exact() -> None:
    phrases = PhraseSet.of(["søknad om tilgang", "før vi sender", "særlig identifiserende"])
    assert phrases.hits("Vedlagt er soknad om tilgang") == ["soknad om tilgang"]
    assert phrases.hits("saerlig identifiserende variabler") == ["saerlig identifiserende"]
    assert phrases.hits("takk for vi sender") == []  # "før" is not "for"


def test_sentences_end_at_stops_blank_lines_and_list_items_and_know_questions() -> None:
    text = "Hei.\n\nVi har slettet dataene. Trenger dere mer?\n- punkt en\n- punkt to"
    found = sentences(text, REQUESTS)
    assert [s.text for s in found] == [
        "Hei.",
        "Vi har slettet dataene.",
        "Trenger dere mer?",
        "- punkt en",
        "- punkt to",
    ]
    assert [s.question for s in found] == [False, False, True, False, False]
    assert all(text[s.start :].startswith(s.text) for s in found)


INTENTS = {intent.category: intent for intent in reversed(load_rules().intents)}


@pytest.mark.parametrize(
    ("category", "text", "said"),
    [
        (Category.DELETION_CONFIRMATION, "Vi har nå destruert alle filene fra prosjektet.", True),
        (Category.DELETION_CONFIRMATION, "All data has been erased from our servers.", True),
        (Category.DELETION_CONFIRMATION, "Dataene skal slettes senest 31.12.2026.", False),
        (Category.DELETION_CONFIRMATION, "The data will be deleted when the project ends.", False),
        (Category.CHANGE_REQUEST, "Vi ønsker å utvide prosjektperioden til 2027.", True),
        (
            Category.CHANGE_REQUEST,
            "We would like to add two researchers to the project team.",
            True,
        ),
        (Category.CHANGE_REQUEST, "Hvis vi utvider prosjektperioden, hva koster det?", False),
        (Category.SIGNED_OFFER, "Vedlagt er tilbudet, datert og signert.", True),
        (Category.SIGNED_OFFER, "Vi har ikke signert tilbudet ennå.", False),
        (Category.NEW_APPLICATION, "Kommunen søker med dette om tilgang til mikrodata.", True),
        (Category.NEW_APPLICATION, "Hvordan søker vi om tilgang til mikrodata?", False),
        (Category.NEW_APPLICATION, "Jeg søker på stillingen som rådgiver for mikrodata.", False),
        (Category.NEW_APPLICATION, "I apply for the internship in your microdata team.", False),
    ],
)
def test_an_intent_needs_its_action_and_object_in_one_sentence_without_a_condition(
    category: Category, text: str, said: bool
) -> None:
    (sentence,) = sentences(text, REQUESTS)
    assert INTENTS[category].said_in(sentence) is said


def _keyword_hits(subject: str, text: str) -> list[str]:
    from bot.classify.keywords import ClassifierInput, keyword_scores

    return keyword_scores(ClassifierInput(subject, text, "", "", ()), load_rules())[1]


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Ny søknad om utvidelse av vedtak 23/01234", ""),
        ("", "This is a new application to add variables to our project."),
        ("", "Me sender ny søknad fordi me treng fleire årgangar."),
    ],
)
def test_a_new_application_phrase_beside_change_words_is_cancelled(subject: str, text: str) -> None:
    hits = _keyword_hits(subject, text)
    assert any(h.startswith("unless:") for h in hits), hits
    assert not any(h.startswith("keyword:") and "søknad" in h for h in hits), hits
    assert not any(h.startswith("keyword:") and "new application" in h for h in hits), hits


def test_unless_only_cancels_within_its_own_sentence() -> None:
    hits = _keyword_hits(
        "", "Vedlagt er ny søknad. Vi har tidligere fått et vedtak i en annen sak."
    )
    assert "keyword:text:ny søknad" in hits


def test_unless_words_in_an_attachment_do_not_cancel_its_phrases() -> None:
    from bot.classify.keywords import ClassifierInput, keyword_scores

    form = "Søknadsskjema\nEndringer i prosjektet: ingen"
    inputs = ClassifierInput("", "", "", form, ())
    assert "keyword:attachment:søknadsskjema" in keyword_scores(inputs, load_rules())[1]


@pytest.mark.parametrize(
    "text",
    [
        "Vi sender signert tilbud i morgen.",
        "We will send the signed offer next week.",
        "Vi sendte signert tilbud for tre uker siden, men har fortsatt ikke fått dataene.",
        "We returned the signed offer on 2 February.",
        "Vi sende signert tilbod i februar.",
    ],
)
def test_an_act_promised_or_mentioned_as_done_before_counts_as_a_question(text: str) -> None:
    hits = _keyword_hits("", text)
    assert any(h.startswith("question:text:") for h in hits), hits
    assert not any(h.startswith(("keyword:text:", "intent:text:")) for h in hits), hits


def test_the_act_itself_still_counts() -> None:
    assert "keyword:text:signert tilbud" in _keyword_hits("", "Vedlagt er signert tilbud i retur.")


# --- the vocabulary comes from the file, not from the code ---------------------------------


def _rules_with(tmp_path: Path, old: str, new: str) -> Rules:
    """The shipped rules with one edit, as an admin would make it, loaded from a copy."""
    text = DEFAULT_RULES_FILE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    copy = tmp_path / "rules.toml"
    copy.write_text(text.replace(old, new), encoding="utf-8")
    return load_rules(copy)


IDENTIFYING_QUESTION = "Søkes det om særlig identifiserende variabler?"


def test_an_answer_word_added_to_the_rules_file_reads_as_no(tmp_path: Path) -> None:
    rules = _rules_with(tmp_path, 'no = [\n    "nei",', 'no = [\n    "nope", "nei",')
    answer = FormField(IDENTIFYING_QUESTION, "Nope")
    assert answer_of(answer, load_rules().form_answers) is Answer.UNKNOWN
    assert answer_of(answer, rules.form_answers) is Answer.NO
    assert answer_of(FormField(IDENTIFYING_QUESTION, "Nopes"), rules.form_answers) is (
        Answer.UNKNOWN  # a whole word at the answer's start, as the file says
    )


def test_a_form_answered_with_the_added_word_is_read_as_no_by_triage(
    tmp_path: Path, context: TriageContext
) -> None:
    rules = _rules_with(tmp_path, 'no = [\n    "nei",', 'no = [\n    "nope", "nei",')
    form = form_docx([(IDENTIFYING_QUESTION, "Nope")])

    def read_as(verdict: Verdict) -> list[str]:
        return [w.split(":")[0] for w in sources(verdict, CONDITION) if "'Nope'" in w]

    assert read_as(verdict_for(context, form, SCRIPT, DPIA_DOC)) == []
    edited = dataclasses.replace(context, rules=rules)
    assert read_as(verdict_for(edited, form, SCRIPT, DPIA_DOC)) == ["not requested"]


def test_a_polite_request_phrasing_added_to_the_rules_file_is_no_question(tmp_path: Path) -> None:
    rules = _rules_with(tmp_path, 'softeners = ["please"]', 'softeners = ["please", "kindly"]')
    text = "Could you kindly add Kari Nordmann as a project member?"
    (shipped,) = sentences(text, REQUESTS)
    (edited,) = sentences(text, rules.polite_requests)
    assert shipped.question and not edited.question
