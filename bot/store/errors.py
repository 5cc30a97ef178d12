"""Errors the store's callers show to a person rather than treat as crashes."""


class CaseworkError(ValueError):
    """An action that cannot be done as asked (shown to the caseworker, not a crash)."""


class FieldError(CaseworkError):
    """A value a caseworker typed that does not have its field's form: `key` names the
    page's words for the problem, `value` is what was typed (kept in the field)."""

    def __init__(self, field: str, value: str, key: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.key = key
