"""What admins tune, without a server: a rules text checked with its problems' lines, saved
atomically with a backup; the verdict diff of a backtest; the audit log's CSV; and the
words a caseworker reads in place of the bot's codes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.casework import field_value
from bot.rules import DEFAULT_RULES_FILE, load_rules
from bot.store.errors import FieldError
from bot.store.tuning import AuditRow
from bot.tuning.retrain import version_name
from bot.tuning.rules_check import check_rules, difference, save_rules
from bot.verdict import Category, Verdict
from bot.web.i18n import LABELS, Translator
from bot.web.plain_words import explain_event, explain_hit
from bot.web.routes.tuning import audit_csv, save_token

RULES = DEFAULT_RULES_FILE.read_text(encoding="utf-8")


def test_the_shipped_rules_pass_the_check_and_load_as_the_bot_loads_them() -> None:
    rules, problems = check_rules(RULES)
    assert problems == []
    assert rules == load_rules(DEFAULT_RULES_FILE)


def test_broken_toml_is_reported_with_its_line() -> None:
    lines = RULES.splitlines()
    where = next(i for i, line in enumerate(lines) if line.startswith("threshold ="))
    lines[where] = "threshold = = 0.5"
    rules, problems = check_rules("\n".join(lines))
    assert rules is None
    assert [p.line for p in problems] == [where + 1]
    assert problems[0].message.startswith("TOML:")


def test_an_unknown_category_is_reported_on_the_line_that_names_it() -> None:
    text = RULES.replace('category = "change_request"', 'category = "change_requets"', 1)
    rules, problems = check_rules(text)
    assert rules is None
    expected = text.splitlines().index('category = "change_requets"') + 1
    assert problems[0].line == expected
    assert "change_requets" in problems[0].message


def test_a_missing_section_is_named() -> None:
    start = RULES.index("[classifier]")
    end = RULES.index("[auto_generated]")
    rules, problems = check_rules(RULES[:start] + RULES[end:])
    assert rules is None
    assert "classifier" in problems[0].message


def test_a_broken_regular_expression_is_reported_with_its_line() -> None:
    marker = "title_labels = ["
    assert marker in RULES
    text = RULES.replace(marker, marker + '"(unclosed", ', 1)
    rules, problems = check_rules(text)
    assert rules is None
    assert any(p.line == text[: text.index("(unclosed")].count("\n") + 1 for p in problems)


def test_saving_rules_is_atomic_and_keeps_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("old = 1\n", encoding="utf-8")
    path.chmod(0o644)
    backup = save_rules(path, "new = 2\n", now=datetime(2026, 12, 9, 10, 15, tzinfo=UTC))
    assert path.read_text(encoding="utf-8") == "new = 2\n"
    assert backup == tmp_path / "rules.toml.20261209T101500Z.bak"
    assert backup.read_text(encoding="utf-8") == "old = 1\n"
    assert path.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rules.toml", backup.name]


def _verdict(category: Category, missing: tuple[str, ...]) -> Verdict:
    from bot.triage import error_verdict

    return Verdict(**{**error_verdict("x", "").__dict__, "category": category, "missing": missing})


def test_a_backtest_lists_a_mail_only_when_category_or_missing_items_change() -> None:
    same = _verdict(Category.NEW_APPLICATION, ("dpia",))
    assert difference(1, 2, "s", same, same) is None
    change = difference(1, 2, "s", same, _verdict(Category.NEW_APPLICATION, ("variable_list",)))
    assert change is not None and not change.category_changed
    assert (change.missing_added, change.missing_removed) == (("variable_list",), ("dpia",))
    other = difference(1, 2, "s", same, _verdict(Category.OTHER, ()))
    assert other is not None and other.category_changed


def test_a_save_token_binds_the_text_the_file_and_the_session() -> None:
    token = save_token("csrf", "new", "old", 200, 3)
    assert token == save_token("csrf", "new", "old", 200, 3)
    assert token != save_token("csrf", "new ", "old", 200, 3)
    assert token != save_token("csrf", "new", "changed meanwhile", 200, 3)
    assert token != save_token("other session", "new", "old", 200, 3)
    assert token != save_token("csrf", "new", "old", 200, 0)


def test_the_audit_csv_is_oldest_first_and_never_a_formula() -> None:
    at = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
    rows = [
        AuditRow(2, at, '=HYPERLINK("x")', "model_activated", {"version": "v2"}),
        AuditRow(1, at, "admin", "rules_saved", {"sha256": "ab", "backup": "r.bak"}),
    ]
    parsed = list(csv.reader(io.StringIO(audit_csv(rows))))
    assert parsed[0] == ["at", "actor", "action", "detail"]
    assert [r[2] for r in parsed[1:]] == ["rules_saved", "model_activated"]
    assert parsed[1][0] == "2026-12-09T10:00:00+00:00"
    assert parsed[2][1] == '\'=HYPERLINK("x")'
    assert parsed[1][3] == '{"backup": "r.bak", "sha256": "ab"}'


def test_version_names_sort_by_time() -> None:
    early = version_name(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), 7)
    assert early == "20260102T030405Z-7"
    assert early < version_name(datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC), 1)


# --- words for people -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "nb", "en"),
    [
        (
            "intent:text:change_request",
            "En setning i e-postteksten sier hva avsenderen vil: Endringssøknad",
            "A sentence in the mail's text says what the sender wants: Endringssøknad",
        ),
        ("keyword:subject:søknad", "Ordene «søknad» i emnefeltet", None),
        ("attachment:variable_list", "Vedlagt: variabelliste", "Attached: variable list"),
        (
            "threshold:new_application<0.55",
            "Boten var for usikker på «Ny søknad» (under 55\u00a0%), så en saksbehandler avgjør",
            None,
        ),
        (
            "header:auto-submitted=auto-replied",
            "E-posten er merket som automatisk (auto-submitted=auto-replied)",
            None,
        ),
        ("something:new", "something:new", "something:new"),
    ],
)
def test_rule_hits_read_as_sentences(code: str, nb: str, en: str | None) -> None:
    assert explain_hit(Translator("nb"), code) == nb
    if en is not None:
        english = explain_hit(Translator("en"), code)
        assert english == en.replace("Endringssøknad", Translator("en")("cat_change_request"))


def test_history_details_name_items_and_categories_and_hide_row_numbers() -> None:
    t = Translator("nb")
    lines = explain_event(
        t,
        "category_changed",
        {"previous": "other", "category": "new_application", "mail_id": 4, "missing": ["dpia"]},
    )
    assert lines == [
        "Før: Annet",
        "Kategori: Ny søknad",
        f"Mangler: {t.missing_item('dpia')}",
    ]
    assert explain_event(t, "mail_received", {"missing": []}) == ["Mangler: ingenting"]


def test_nynorsk_words_and_bokmal_for_what_nynorsk_lacks() -> None:
    t = Translator("nn")
    assert t("confidence") == "Treffsikkerheit"
    assert t("hit_asks") == "Avsendaren stiller eit spørsmål i e-postteksten"
    LABELS["nb"]["__only_in_bokmal"] = "Bare på bokmål"
    try:
        assert Translator("nn")("__only_in_bokmal") == "Bare på bokmål"
    finally:
        del LABELS["nb"]["__only_in_bokmal"]


def test_confidence_is_no_longer_called_security() -> None:
    for language in ("nb", "nn"):
        words = " ".join(LABELS[language].values()).lower()
        assert "sikkerhet " not in words.replace("treffsikkerhet", "")
        assert Translator(language)("confidence").startswith("Treffsikker")


# --- a caseworker's typed field values --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "typed", "stored"),
    [
        ("signed_date", "31.12.2026", "2026-12-31"),
        ("signed_date", "1.2.2026", "2026-02-01"),
        ("deletion_date", "2026-02-28", "2026-02-28"),
        ("contact_email", " kari.nordmann@ssb.no ", "kari.nordmann@ssb.no"),
        ("contact_email", "ola@blåbær.no", "ola@blåbær.no"),
        ("organization_number", "971 526 920", "971526920"),
        ("project_title", "", None),
    ],
)
def test_valid_field_values_are_stored_tidied(name: str, typed: str, stored: str | None) -> None:
    assert field_value(name, typed) == stored


@pytest.mark.parametrize(
    ("name", "typed", "key"),
    [
        ("signed_date", "31.02.2026", "err_field_no_such_date"),
        ("signed_date", "2026/12/31", "err_field_date"),
        ("deletion_date", "i morgen", "err_field_date"),
        ("contact_email", "kari@", "err_field_email"),
        ("contact_email", "kari.ssb.no", "err_field_email"),
        ("contact_email", "kari@localhost", "err_field_email"),
        ("case_reference", "2024-1234", "err_field_case_reference"),
        ("no_such_field", "x", "err_field_unknown"),
    ],
)
def test_invalid_field_values_are_refused_with_what_was_typed(
    name: str, typed: str, key: str
) -> None:
    with pytest.raises(FieldError) as refused:
        field_value(name, typed)
    assert (refused.value.key, refused.value.value, refused.value.field) == (key, typed, name)
    for language in ("nb", "nn", "en"):
        assert not Translator(language)(key, value=typed).startswith("[")
