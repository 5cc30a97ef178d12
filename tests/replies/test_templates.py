"""Every reply template renders under StrictUndefined and says what a person needs, nothing more.

The set is closed: the files on disk are exactly the named templates and partials in
both languages, and `missing_items.toml` explains exactly the triage contract's codes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cases import CaseFacts
from bot.replies.render import (
    PARTIAL_NAMES,
    TEMPLATE_LANGUAGES,
    TEMPLATE_NAMES,
    TEMPLATES_DIR,
    ReplyRenderError,
    load_templates,
    render_body,
)
from bot.reply_policy import REPLY_LANGUAGES, ReplyLimits, ReplyPlan, plan
from bot.requirements import load_requirements
from bot.verdict import Category, Verdict
from tests.replies.support import CASE, DOMAIN, FROM, TICKET, parsed, verdict

CONTRACT_CODES = {
    "application_form",
    "variable_list",
    "dpia",
    "identifying_variables_justification",
    "updated_documentation",
    "case_reference",
    "signed_offer",
}
TEMPLATES = load_templates()
MAIL = parsed()
REQUIRED = {
    category: tuple(sorted(r.code for r in load_requirements() if r.category is category))
    for category in Category
}
# Promises the bot must never make: amounts of money, durations, dates, guarantees.
PROMISES = re.compile(
    r"\b(kr|kroner|nok|price|cost|gratis|free of charge|garanti\w*|guarantee\w*"
    r"|dager|days?|uker|weeks?|måned\w*|months?|innen|within|godkjent|approved)\b",
    re.IGNORECASE,
)


PHRASES = {
    "nb": {"hello": "Hei,", "automatic": "automatisk svar", "will_read": "saksbehandler vil lese",
           "no_data_files": "Ikke send datafiler", "filsluse": "filsluse",
           "only_presence": "bare sjekket automatisk"},
    "nn": {"hello": "Hei,", "automatic": "automatisk svar",
           "will_read": "saksbehandlar kjem til å lese", "no_data_files": "Ikkje send datafiler",
           "filsluse": "filslusa", "only_presence": "berre sjekka automatisk"},
    "en": {"hello": "Hello,", "automatic": "automatic reply", "will_read": "caseworker will read",
           "no_data_files": "Do not send data files", "filsluse": "file-transfer",
           "only_presence": "only checked automatically"},
}  # fmt: skip


def plan_of(v: Verdict) -> ReplyPlan:
    """The plan the one reply decision makes for a mail that opens its own case."""
    decided = plan(v, MAIL, CaseFacts.of_single_mail(v, TICKET), ReplyLimits(FROM, DOMAIN))
    assert isinstance(decided, ReplyPlan), decided
    return decided


def body(
    category: Category,
    language: str,
    missing: tuple[str, ...] = (),
    case_reference: str | None = None,
) -> str:
    v = verdict(
        MAIL, category=category, missing=missing, language=language, case_reference=case_reference
    )
    return render_body(plan_of(v), templates=TEMPLATES)


def assert_clean(text: str, case_reference: str | None) -> None:
    assert "{{" not in text and "{%" not in text and "}}" not in text
    assert not PROMISES.search(text), PROMISES.search(text)
    rest = re.sub(r"^\d\. ", "", text.replace(case_reference or TICKET, ""), flags=re.MULTILINE)
    assert not re.search(r"\d", rest), "digits other than the reference: a date or a price?"
    assert "  \n" not in text and "\n\n\n" not in text and text.endswith("\n")
    if case_reference:
        assert case_reference in text and TICKET not in text
    else:
        assert TICKET in text


def test_the_template_set_on_disk_is_exactly_the_named_set() -> None:
    on_disk = {
        str(p.relative_to(TEMPLATES_DIR))
        for p in (TEMPLATES_DIR / "reply").rglob("*")
        if p.is_file()
    }
    expected = {
        f"reply/{language}/{name}.txt.j2"
        for language in TEMPLATE_LANGUAGES
        for name in (*TEMPLATE_NAMES, *PARTIAL_NAMES)
    }
    assert on_disk == expected


def test_every_language_triage_answers_in_has_templates() -> None:
    assert set(REPLY_LANGUAGES) <= set(TEMPLATE_LANGUAGES)


def test_missing_items_explain_exactly_the_contract_codes_in_both_languages() -> None:
    for language in TEMPLATE_LANGUAGES:
        assert set(TEMPLATES.missing_items[language]) == CONTRACT_CODES
    assert {r.code for r in load_requirements()} <= CONTRACT_CODES


@pytest.mark.parametrize("language", TEMPLATE_LANGUAGES)
@pytest.mark.parametrize("code", sorted(CONTRACT_CODES))
def test_each_missing_item_is_one_to_three_sentences_for_a_person(language: str, code: str) -> None:
    item = TEMPLATES.missing_items[language][code]
    assert 3 <= len(item.title) <= 60
    sentences = re.findall(r"[.!?](?:\s|$)", item.text)
    assert 1 <= len(sentences) <= 3, item.text
    assert not PROMISES.search(item.text)
    assert "{{" not in item.text


@pytest.mark.parametrize("language", TEMPLATE_LANGUAGES)
@pytest.mark.parametrize("category", list(Category))
@pytest.mark.parametrize("case_reference", [CASE, None])
def test_acknowledgements_name_the_case_reference_or_else_the_ticket(
    language: str, category: Category, case_reference: str | None
) -> None:
    text = body(category, language, case_reference=case_reference)
    assert_clean(text, case_reference)
    assert text.startswith(PHRASES[language]["hello"])
    assert PHRASES[language]["automatic"] in text


@pytest.mark.parametrize("language", TEMPLATE_LANGUAGES)
def test_the_receipt_for_other_says_a_caseworker_will_read_it(language: str) -> None:
    text = body(Category.OTHER, language)
    assert PHRASES[language]["will_read"] in text


@pytest.mark.parametrize("language", TEMPLATE_LANGUAGES)
@pytest.mark.parametrize("category", [c for c in Category if REQUIRED[c]])
@pytest.mark.parametrize("case_reference", [CASE, None])
def test_request_missing_lists_every_missing_item_with_its_explanation(
    language: str, category: Category, case_reference: str | None
) -> None:
    missing = REQUIRED[category]
    text = body(category, language, missing, case_reference)
    assert_clean(text, case_reference)
    for code in missing:
        item = TEMPLATES.missing_items[language][code]
        assert f". {item.title}\n" in text
        assert item.text in text
    assert re.search(rf"^{len(missing)}\. ", text, re.MULTILINE)


@pytest.mark.parametrize("language", TEMPLATE_LANGUAGES)
@pytest.mark.parametrize("code", sorted(CONTRACT_CODES))
def test_request_missing_renders_each_code_alone(language: str, code: str) -> None:
    category = next(c for c in Category if code in REQUIRED[c])
    text = body(category, language, (code,))
    assert_clean(text, None)
    assert TEMPLATES.missing_items[language][code].title in text
    others = CONTRACT_CODES - {code}
    assert not any(TEMPLATES.missing_items[language][o].title + "\n" in text for o in others)


@pytest.mark.parametrize("language", TEMPLATE_LANGUAGES)
def test_request_missing_never_asks_for_data_by_mail_and_points_to_the_file_transfer_area(
    language: str,
) -> None:
    text = body(Category.NEW_APPLICATION, language, REQUIRED[Category.NEW_APPLICATION])
    assert PHRASES[language]["no_data_files"] in text and PHRASES[language]["filsluse"] in text


@pytest.mark.parametrize("language", TEMPLATE_LANGUAGES)
@pytest.mark.parametrize("category", [Category.NEW_APPLICATION, Category.CHANGE_REQUEST])
def test_applications_hear_that_only_presence_was_checked_not_the_law(
    language: str, category: Category
) -> None:
    for missing in ((), REQUIRED[category]):
        text = body(category, language, missing)
        assert PHRASES[language]["only_presence"] in text


def test_the_template_follows_action_and_category() -> None:
    def template(category: Category, missing: tuple[str, ...]) -> str:
        return plan_of(verdict(MAIL, category=category, missing=missing)).template

    assert template(Category.NEW_APPLICATION, ("dpia",)) == "request_missing"
    assert template(Category.SIGNED_OFFER, ()) == "acknowledge"
    assert template(Category.OTHER, ()) == "receipt"


def test_an_unknown_missing_code_is_an_error_not_a_silent_gap() -> None:
    with pytest.raises(ReplyRenderError, match="purpose_limitation"):
        body(Category.NEW_APPLICATION, "nb", ("purpose_limitation",))


def test_a_case_reference_of_the_wrong_shape_is_left_out() -> None:
    text = body(Category.DELETION_CONFIRMATION, "nb", case_reference="24/01872\nBcc: x")
    assert "Bcc" not in text and TICKET in text


def test_a_template_using_an_undefined_variable_fails_loudly(tmp_path: Path) -> None:
    for path in TEMPLATES_DIR.rglob("*"):
        if path.is_file():
            target = tmp_path / path.relative_to(TEMPLATES_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    (tmp_path / "reply/nb/receipt.txt.j2").write_text("Hei {{ contact_name }}\n", encoding="utf-8")
    with pytest.raises(ReplyRenderError, match="contact_name"):
        render_body(
            plan_of(verdict(MAIL, category=Category.OTHER)), templates=load_templates(tmp_path)
        )
