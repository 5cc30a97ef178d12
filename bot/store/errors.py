"""Errors the store's callers show to a person rather than treat as crashes."""

from __future__ import annotations

from typing import ClassVar


class CaseworkError(ValueError):
    """An action that cannot be done as asked (shown to the caseworker, not a crash).

    The message is for logs and the CLI; the pages show the words `<words>` + `key` in the
    reader's language (`bot.web.pages.refusal_text`), filled with `values`."""

    words: ClassVar[str] = "refused_"

    def __init__(self, message: str, key: str = "", **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


class FieldError(CaseworkError):
    """A value a caseworker typed that does not have its field's form: `key` names the
    page's words for the problem, `value` is what was typed (kept in the field)."""

    def __init__(self, field: str, value: str, key: str, message: str) -> None:
        super().__init__(message, key)
        self.field = field
        self.value = value
