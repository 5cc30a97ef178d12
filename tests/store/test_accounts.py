"""Accounts in the store, on SQLite and PostgreSQL: the password rule, new passwords and
disabled users ending sessions, the last admin kept; and, on SQLite, a login that holds
no lock while argon2 runs and a reading request that takes no write lock (issue #12)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.passwords import PasswordProblem
from bot.store import Store, accounts
from bot.store.accounts import (
    AccountError,
    WeakPasswordError,
    add_user,
    authenticate,
    change_password,
    open_session,
    reset_password,
    session_for,
    set_active,
)
from bot.store.models import WebSession, WebUser
from bot.store.tuning import audit_log

GOOD = "blåbær fjord sykkel"
OTHER_GOOD = "regn over Kongsberg i mai"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("1234567890", PasswordProblem.TOO_SHORT),
        ("123456789012", PasswordProblem.ONLY_DIGITS),
        ("abcdefghijklmn", PasswordProblem.SEQUENCE),
        ("Kari.Nordmann2024", PasswordProblem.NAME),
        ("Passord12345!", PasswordProblem.GUESSABLE),
    ],
)
def test_weak_passwords_are_refused_and_nothing_is_saved(
    store: Store, password: str, problem: PasswordProblem
) -> None:
    with pytest.raises(WeakPasswordError) as refused:
        add_user(store, "kari.nordmann", password, "caseworker")
    assert refused.value.problem is problem
    with store.session() as session:
        assert session.scalar(sa.select(sa.func.count(WebUser.id))) == 0


def test_a_new_password_ends_the_users_other_sessions_but_not_this_one(store: Store) -> None:
    user = add_user(store, "kari", GOOD, "caseworker")
    here, laptop, phone = (open_session(store, user.id, hours=1) for _ in range(3))
    colleague = add_user(store, "ola", OTHER_GOOD, "caseworker")
    theirs = open_session(store, colleague.id, hours=1)

    ended = change_password(store, user.id, GOOD, OTHER_GOOD, keep_token=here)

    assert ended == 2
    assert session_for(store, here) is not None
    assert session_for(store, laptop) is None and session_for(store, phone) is None
    assert session_for(store, theirs) is not None
    assert authenticate(store, "kari", GOOD) is None
    assert authenticate(store, "kari", OTHER_GOOD) is not None


def test_a_password_change_needs_the_current_password_and_a_good_new_one(store: Store) -> None:
    user = add_user(store, "kari", GOOD, "caseworker")
    token = open_session(store, user.id, hours=1)
    for current, new, key in (
        ("wrong password here", OTHER_GOOD, "wrong_password"),
        (GOOD, GOOD, "same_password"),
        (GOOD, "1234567890ab", "password_guessable"),
    ):
        with pytest.raises(AccountError) as refused:
            change_password(store, user.id, current, new, keep_token=None)
        assert refused.value.key == key
    assert authenticate(store, "kari", GOOD) is not None
    assert session_for(store, token) is not None


def test_a_disabled_user_loses_every_session_and_cannot_log_in_until_enabled(
    store: Store,
) -> None:
    add_user(store, "admin", OTHER_GOOD, "admin")
    user = add_user(store, "kari", GOOD, "caseworker")
    tokens = [open_session(store, user.id, hours=1) for _ in range(2)]

    assert set_active(store, "kari", False) == 2

    assert all(session_for(store, t) is None for t in tokens)
    with store.session() as session:
        assert session.scalar(sa.select(sa.func.count(WebSession.id))) == 0
    assert authenticate(store, "kari", GOOD) is None
    set_active(store, "kari", True)
    assert authenticate(store, "kari", GOOD) is not None


def test_an_admins_reset_ends_every_session_of_the_user(store: Store) -> None:
    user = add_user(store, "kari", GOOD, "caseworker")
    token = open_session(store, user.id, hours=1)
    with pytest.raises(WeakPasswordError):
        reset_password(store, "kari", "kari-kari-kari")
    assert session_for(store, token) is not None

    assert reset_password(store, "kari", OTHER_GOOD) == 1

    assert session_for(store, token) is None
    assert authenticate(store, "kari", OTHER_GOOD) is not None


def test_the_last_active_admin_can_be_neither_disabled_nor_demoted(store: Store) -> None:
    add_user(store, "anne", GOOD, "admin")
    add_user(store, "kari", OTHER_GOOD, "caseworker")
    with pytest.raises(AccountError) as refused:
        set_active(store, "anne", False)
    assert refused.value.key == "last_admin"
    with pytest.raises(AccountError):
        add_user(store, "anne", GOOD, "caseworker")

    add_user(store, "per", "tre ord som aldri møttes", "admin")
    set_active(store, "anne", False)
    assert authenticate(store, "anne", GOOD) is None


def test_the_web_refuses_a_name_that_exists_and_the_cli_replaces_it(store: Store) -> None:
    user = add_user(store, "kari", GOOD, "caseworker")
    token = open_session(store, user.id, hours=1)
    with pytest.raises(AccountError) as refused:
        add_user(store, "kari", OTHER_GOOD, "admin", replace=False)
    assert refused.value.key == "exists"
    assert session_for(store, token) is not None

    replaced = add_user(store, "kari", OTHER_GOOD, "admin")

    assert replaced.is_admin and session_for(store, token) is None


# --- SQLite's locks -----------------------------------------------------------------------


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Any:
    opened = Store.open(f"sqlite:///{tmp_path / 'mikrobot.db'}", tmp_path / "mail")
    yield opened
    opened.engine.dispose()


def _other_process(store: Store) -> sqlite3.Connection:
    """A second connection to the file, as `mikrobot run` would hold one."""
    path = store.engine.url.database
    assert path
    return sqlite3.connect(path, isolation_level=None, timeout=0)


def test_the_password_is_checked_while_no_transaction_holds_the_database(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(sqlite_store, "kari", GOOD, "caseworker")
    other = _other_process(sqlite_store)
    seen: list[bool] = []
    real = accounts._hasher

    class Spy:
        """argon2 as it is, but each check first asks: could the bot write now?"""

        def verify(self, password_hash: str, password: str) -> bool:
            try:  # the bot wants to file a mail now: it must get the write lock at once
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                seen.append(True)
            except sqlite3.OperationalError:
                seen.append(False)
            return bool(real.verify(password_hash, password))

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    monkeypatch.setattr(accounts, "_hasher", Spy())
    assert authenticate(sqlite_store, "kari", "wrong password, long") is None
    assert authenticate(sqlite_store, "nobody", GOOD) is None
    assert authenticate(sqlite_store, "kari", GOOD) is not None
    assert seen == [True, True, True]


def test_reading_takes_no_write_lock_and_a_failed_login_writes_nothing(
    sqlite_store: Store,
) -> None:
    user = add_user(sqlite_store, "kari", GOOD, "caseworker")
    token = open_session(sqlite_store, user.id, hours=1)
    other = _other_process(sqlite_store)
    other.execute("BEGIN IMMEDIATE")  # the bot is filing a mail
    try:
        started = time.monotonic()
        assert session_for(sqlite_store, token) is not None
        assert authenticate(sqlite_store, "kari", "wrong password, long") is None
        assert authenticate(sqlite_store, "nobody", "wrong password, long") is None
        assert time.monotonic() - started < 2  # no wait for the lock (the timeout is 30 s)
    finally:
        other.execute("ROLLBACK")

    with sqlite_store.session() as session:  # a reader leaves room for a writer
        assert session.scalar(sa.select(WebUser.name)) == "kari"
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    with sqlite_store.session() as session, session.begin():  # a writer holds the lock
        session.execute(sa.update(WebUser).values(last_login_at=None))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")


def test_every_change_to_a_user_is_in_the_audit_log_with_who_made_it(store: Store) -> None:
    add_user(store, "anne", GOOD, "admin", by="root")
    add_user(store, "kari", GOOD, "caseworker", by="anne", email="kari@example.org")
    set_active(store, "kari", False, by="anne")
    set_active(store, "kari", False, by="anne")  # already disabled: no second entry
    set_active(store, "kari", True, by="anne")
    reset_password(store, "kari", OTHER_GOOD, by="anne")
    add_user(store, "kari", GOOD, "admin", by="cli:ops")  # the CLI's add on an existing user
    accounts.set_email(store, "kari", "kari@ssb.no", by="anne")
    kari = authenticate(store, "kari", GOOD)
    assert kari is not None
    change_password(store, kari.id, GOOD, OTHER_GOOD, keep_token=None)
    accounts.record_unlock(store, "account", "Kari", by="anne")

    entries = [(a.actor, a.action, a.detail) for a in reversed(audit_log(store))]
    assert entries == [
        ("root", "user_added", {"user": "anne", "role": "admin", "email": None}),
        ("anne", "user_added", {"user": "kari", "role": "caseworker", "email": "kari@example.org"}),
        ("anne", "user_disabled", {"user": "kari", "sessions_ended": 0}),
        ("anne", "user_enabled", {"user": "kari"}),
        ("anne", "user_password_reset", {"user": "kari", "sessions_ended": 0}),
        (
            "cli:ops",
            "user_role_changed",
            {"user": "kari", "role": "admin", "previous": "caseworker"},
        ),
        ("cli:ops", "user_password_reset", {"user": "kari", "sessions_ended": 0}),
        ("anne", "user_email_set", {"user": "kari", "email": "kari@ssb.no"}),
        ("kari", "password_changed", {"user": "kari", "sessions_ended": 0}),
        ("anne", "login_unlocked", {"account": "Kari"}),
    ]
    assert all(a.at.tzinfo is not None for a in audit_log(store))


def test_a_refused_change_leaves_no_audit_entry(store: Store) -> None:
    add_user(store, "anne", GOOD, "admin", by="root")
    with pytest.raises(AccountError):
        set_active(store, "anne", False, by="anne")  # the last admin
    with pytest.raises(WeakPasswordError):
        reset_password(store, "anne", "1234567890", by="anne")
    assert [a.action for a in audit_log(store)] == ["user_added"]


def test_unlocks_are_read_after_an_id_oldest_first(store: Store) -> None:
    start = accounts.last_audit_id(store)
    accounts.record_unlock(store, "account", "kari", by="anne")
    add_user(store, "ola", GOOD, "caseworker", by="anne")  # not an unlock
    accounts.record_unlock(store, "address", "10.0.0.7", by="anne")
    found = accounts.unlocks_after(store, start)
    assert [(kind, key) for _, kind, key in found] == [("account", "kari"), ("address", "10.0.0.7")]
    assert accounts.unlocks_after(store, found[-1][0]) == []
    with pytest.raises(AccountError):
        accounts.record_unlock(store, "account", "  ", by="anne")
