"""The bot's codes in words a caseworker reads: why a verdict is what it is (the rule hits
of `bot.classify.keywords` and `bot.loop_guard`), what a history entry holds, what a reply
did. The codes stay on the page behind a toggle; these are the words in front of them.

Pure functions of a code and the page's `Translator`: a code this module does not know is
shown as it is, so a new kind of evidence never breaks a page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from bot.verdict import Category
from bot.web.i18n import Translator, format_percent

_PLACES: Final = frozenset({"subject", "text", "forwarded", "attachment"})
_CATEGORIES: Final = frozenset(c.value for c in Category)
_THRESHOLD: Final = re.compile(r"(?P<category>[a-z_]+)<(?P<threshold>[0-9.]+)")
_HIDDEN_DETAILS: Final = frozenset({"mail_id", "outbox_id", "first_mail_id", "provided"})
"""Row numbers and internal tokens: in the codes, not in the words."""


class PlainWords:
    """The templates' entry points (`plain.hit(t, code)` …)."""

    @staticmethod
    def hit(t: Translator, code: str) -> str:
        return explain_hit(t, code)

    @staticmethod
    def event(t: Translator, action: str, detail: Mapping[str, Any]) -> list[str]:
        return explain_event(t, action, detail)

    @staticmethod
    def reply_action(t: Translator, action: str) -> str:
        return t.optional("action_", action)

    @staticmethod
    def source(t: Translator, what: str) -> str:
        return explain_source(t, what)


def _place(t: Translator, place: str) -> str:
    return t(f"place_{place}") if place in _PLACES else place


def _category(t: Translator, value: str) -> str:
    return t.optional("cat_", value)


def explain_hit(t: Translator, code: str) -> str:
    """One rule hit (`intent:text:change_request`) as a sentence."""
    kind, _, rest = code.partition(":")
    place, _, what = rest.partition(":")
    if kind in ("keyword", "unless") and place in _PLACES and what:
        return t(f"hit_{kind}", phrase=what, place=_place(t, place))
    if kind == "question" and place in _PLACES and what:
        if what in _CATEGORIES:
            return t("hit_question_intent", category=_category(t, what), place=_place(t, place))
        return t("hit_question", phrase=what, place=_place(t, place))
    if kind == "intent" and place in _PLACES and what in _CATEGORIES:
        return t("hit_intent", category=_category(t, what), place=_place(t, place))
    if kind == "attachment" and rest:
        return t("hit_attachment", kind=t.optional("kind_", rest))
    if code == "asks:text":
        return t("hit_asks")
    if kind == "threshold" and (found := _THRESHOLD.fullmatch(rest)):
        threshold = format_percent(float(found["threshold"]), t.language)
        return t("hit_threshold", category=_category(t, found["category"]), threshold=threshold)
    simple = {
        "defect": ("hit_defect", "defect"),
        "header": ("hit_header", "header"),
        "content-type": ("hit_content_type", "type"),
        "sender": ("hit_sender", "sender"),
        "subject": ("hit_auto_subject", "prefix"),
        "follow_up": ("hit_follow_up", "reference"),
    }
    if kind in simple and rest:
        key, name = simple[kind]
        return t(key, **{name: rest})
    return code


def explain_source(t: Translator, what: str) -> str:
    """What a provenance line is about: a field or a required item, by its name."""
    name = what.removeprefix("field:")
    label = t.optional("field_", name)
    return label if label != name else t.missing_item(name)


def _items(t: Translator, codes: Any) -> str:
    if not isinstance(codes, list | tuple):
        return str(codes)
    return ", ".join(t.missing_item(str(c)) for c in codes) or t("nothing")


def explain_event(t: Translator, action: str, detail: Mapping[str, Any]) -> list[str]:
    """A history entry's details as short lines ("Kategori: Ny søknad")."""
    lines = []
    for key, value in detail.items():
        if key in _HIDDEN_DETAILS or value is None:
            continue
        if key == "recovered":
            lines.append(t("detail_recovered"))
            continue
        if key in ("missing", "to_check"):
            shown = _items(t, value)
        elif key == "item":
            shown = t.missing_item(str(value))
        elif key == "category" or (key == "previous" and action == "category_changed"):
            shown = _category(t, str(value))
        elif key == "previous" and action in ("closed", "reopened"):
            shown = t.optional("status_", str(value))
        elif key == "field":
            shown = t.optional("field_", str(value))
        elif isinstance(value, list | tuple):
            shown = ", ".join(str(v) for v in value)
        else:
            shown = str(value)
        lines.append(f"{t.optional('detail_', key)}: {shown}")
    return lines
