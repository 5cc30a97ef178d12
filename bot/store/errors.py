"""Errors the store's callers show to a person rather than treat as crashes."""


class CaseworkError(ValueError):
    """An action that cannot be done as asked (shown to the caseworker, not a crash)."""
