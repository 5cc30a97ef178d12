"""Who may use the caseworkers' pages: users, their passwords and their login sessions.

Passwords are Argon2 hashes, checked outside any transaction; a session is a random token
of which only a SHA-256 digest is stored, so a copy of the database logs nobody in. A new
password (own or reset) and disabling a user end the user's other sessions.

Every change to an account is written to the audit log (`bot.store.tuning.record_audit`)
in its own transaction, with who made it (`by`: the admin in the web, `cli:<login>` from
`mikrobot users`); so is an admin's lifting of a login lock (`record_unlock`), which is
also how that news reaches every running web server (`unlocks_after`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Final, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from bot.passwords import PROBLEM_TEXT, PasswordProblem, password_problem
from bot.replies.headers import plain_address
from bot.store.errors import CaseworkError
from bot.store.models import (
    AuditEntry,
    UserRole,
    WebSession,
    WebUser,
    as_utc,
    utc_now,
)
from bot.store.repository import Store
from bot.store.tuning import record_audit

_USER_NAME = re.compile(r"[A-Za-z0-9._@-]{1,120}")
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anyone has")
SYSTEM: Final = "mikrobot"
"""Who a change is recorded as when the caller names nobody (set-up scripts, tests)."""

# --- users and sessions ------------------------------------------------------------------


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    role: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    email: str | None = None
    """Where assignment notices go (`bot.casework.assign`); None: none are sent."""

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN.value


@dataclass(frozen=True)
class SessionInfo:
    user: UserInfo
    csrf_token: str


def _user_info(user: WebUser) -> UserInfo:
    return UserInfo(
        user.id, user.name, user.role, user.active, user.created_at, user.last_login_at, user.email
    )


def checked_email(email: str) -> str:
    """A user's notice address as it will be stored: exactly one plain `local@domain`
    (an internationalised domain in IDNA form), or CaseworkError."""
    address = plain_address(email.strip())
    if address is None:
        raise CaseworkError(f"not one plain e-mail address (name@domain): {email!r}")
    return address


class AccountError(CaseworkError):
    """An account change refused, with the key of its words in the pages (`account_<key>`)."""

    words: ClassVar[str] = "account_"

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message, key)


class WeakPasswordError(AccountError):
    """A password the rule of `bot.passwords` refuses."""

    def __init__(self, problem: PasswordProblem) -> None:
        super().__init__(f"password_{problem.value}", PROBLEM_TEXT[problem])
        self.problem = problem


def check_new_password(name: str, password: str) -> None:
    """WeakPasswordError when `password` may not be `name`'s password (`bot.passwords`)."""
    problem = password_problem(password, name)
    if problem is not None:
        raise WeakPasswordError(problem)


def add_user(
    store: Store,
    name: str,
    password: str,
    role: str,
    *,
    replace: bool = True,
    email: str | None = None,
    by: str = SYSTEM,
) -> UserInfo:
    """A new account, argon2id hash only. With `replace` (the CLI's `users add`), an existing
    account instead gets the new password and role, is enabled, and its sessions end;
    without it (the admin page), an existing name is refused. `email` (checked,
    `checked_email`) replaces the user's notice address when given."""
    address = checked_email(email) if email is not None else None
    if not _USER_NAME.fullmatch(name):
        raise AccountError("bad_name", "a user name is 1–120 letters, digits, '.', '_', '@' or '-'")
    if role not in {r.value for r in UserRole}:
        raise AccountError(
            "bad_role", f"role must be one of {', '.join(r.value for r in UserRole)}"
        )
    check_new_password(name, password)
    password_hash = _hasher.hash(password)  # outside the transaction: argon2 takes a while
    with store.session() as session, session.begin():
        user = session.scalar(select(WebUser).where(WebUser.name == name))
        if user is None:
            user = WebUser(name=name, password_hash=password_hash, role=role, active=True)
            session.add(user)
            record_audit(session, by, "user_added", user=name, role=role, email=address)
        elif not replace:
            raise AccountError("exists", f"there is already a user {name!r}")
        else:
            if user.role == UserRole.ADMIN.value and role != user.role:
                _refuse_losing_the_last_admin(session, user)
            if role != user.role:
                record_audit(
                    session, by, "user_role_changed", user=name, role=role, previous=user.role
                )
            if not user.active:
                record_audit(session, by, "user_enabled", user=name)
            user.password_hash = password_hash
            user.role = role
            user.active = True
            ended = _end_sessions(session, user.id)
            record_audit(session, by, "user_password_reset", user=name, sessions_ended=ended)
        if address is not None and address != user.email:
            if user.id is not None:  # a new user's address is in its "user_added" entry
                record_audit(session, by, "user_email_set", user=name, email=address)
            user.email = address
        session.flush()
        return _user_info(user)


def set_email(store: Store, name: str, email: str | None, *, by: str = SYSTEM) -> UserInfo:
    """The user's notice address (checked, `checked_email`), or None for no notices."""
    address = checked_email(email) if email is not None else None
    with store.session() as session, session.begin():
        user = session.scalar(select(WebUser).where(WebUser.name == name))
        if user is None:
            raise CaseworkError(f"no user {name!r}")
        if address != user.email:
            record_audit(session, by, "user_email_set", user=name, email=address)
        user.email = address
        session.flush()
        return _user_info(user)


def list_users(store: Store) -> list[UserInfo]:
    with store.session() as session:
        return [_user_info(u) for u in session.scalars(select(WebUser).order_by(WebUser.name))]


def assignable_users(store: Store) -> list[str]:
    """The names a ticket may be assigned to: every active user (admins are caseworkers too)."""
    with store.session() as session:
        query = select(WebUser.name).where(WebUser.active.is_(True)).order_by(WebUser.name)
        return list(session.scalars(query))


def authenticate(store: Store, name: str, password: str) -> UserInfo | None:
    """The user if the password is right; the same argon2 work when the name is unknown,
    so the response time does not tell which names exist.

    The check runs outside any transaction (argon2 takes tens of milliseconds, by design):
    the account is read, the password checked, and only a right password leads to a
    short write (the time of the login, and a new hash when argon2's parameters changed).
    A wrong password writes nothing, so a flood of them cannot hold the database.
    """
    stored = _stored_password(store, name=name)
    if not _password_matches(stored.password_hash if stored else _DUMMY_HASH, password):
        return None
    if stored is None or not stored.active:
        return None
    rehashed = _hasher.hash(password) if _hasher.check_needs_rehash(stored.password_hash) else None
    with store.session() as session, session.begin():
        user = session.get(WebUser, stored.id)
        if user is None or not user.active or user.password_hash != stored.password_hash:
            return None  # disabled or given a new password while the old one was checked
        if rehashed is not None:
            user.password_hash = rehashed
        user.last_login_at = utc_now()
        return _user_info(user)


def change_password(
    store: Store, user_id: int, current: str, new: str, *, keep_token: str | None
) -> int:
    """A user's own new password, given the current one; ends the user's other sessions
    (every one but `keep_token`'s) and returns how many ended."""
    stored = _stored_password(store, user_id=user_id)
    if stored is None or not _password_matches(stored.password_hash, current):
        raise AccountError("wrong_password", "the current password is wrong")
    if new == current:
        raise AccountError("same_password", "the new password is the current one")
    check_new_password(stored.name, new)
    password_hash = _hasher.hash(new)
    with store.session() as session, session.begin():
        user = session.get(WebUser, user_id)
        if user is None or user.password_hash != stored.password_hash:
            raise AccountError("wrong_password", "the password was changed meanwhile")
        user.password_hash = password_hash
        keep = _token_digest(keep_token) if keep_token else None
        ended = _end_sessions(session, user.id, keep=keep)
        record_audit(session, user.name, "password_changed", user=user.name, sessions_ended=ended)
        return ended


def reset_password(store: Store, name: str, password: str, *, by: str = SYSTEM) -> int:
    """An admin's new password for `name`: every session of the user ends (returns how many)."""
    check_new_password(name, password)
    password_hash = _hasher.hash(password)
    with store.session() as session, session.begin():
        user = _user_named(session, name)
        user.password_hash = password_hash
        ended = _end_sessions(session, user.id)
        record_audit(session, by, "user_password_reset", user=name, sessions_ended=ended)
        return ended


def set_active(store: Store, name: str, active: bool, *, by: str = SYSTEM) -> int:
    """Enable or disable `name`; disabling ends every session of the user (returns how many).
    The last active admin cannot be disabled, so the admin pages always have someone."""
    with store.session() as session, session.begin():
        user = _user_named(session, name)
        if active:
            if not user.active:
                record_audit(session, by, "user_enabled", user=name)
            user.active = True
            return 0
        if user.role == UserRole.ADMIN.value and user.active:
            _refuse_losing_the_last_admin(session, user)
        ended = _end_sessions(session, user.id)
        if user.active:
            record_audit(session, by, "user_disabled", user=name, sessions_ended=ended)
        user.active = False
        return ended


@dataclass(frozen=True)
class _StoredPassword:
    id: int
    name: str
    password_hash: str
    active: bool


def _stored_password(
    store: Store, *, name: str | None = None, user_id: int | None = None
) -> _StoredPassword | None:
    """The account's hash, read without a write lock (nothing is held while argon2 runs)."""
    query = select(WebUser.id, WebUser.name, WebUser.password_hash, WebUser.active)
    query = query.where(WebUser.name == name) if name is not None else query
    query = query.where(WebUser.id == user_id) if user_id is not None else query
    with store.session() as session:
        row = session.execute(query).first()
    return _StoredPassword(row.id, row.name, row.password_hash, row.active) if row else None


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _user_named(session: Session, name: str) -> WebUser:
    user = session.scalar(select(WebUser).where(WebUser.name == name))
    if user is None:
        raise AccountError("unknown", f"there is no user {name!r}")
    return user


def _refuse_losing_the_last_admin(session: Session, admin: WebUser) -> None:
    others = session.scalar(
        select(func.count(WebUser.id)).where(
            WebUser.role == UserRole.ADMIN.value, WebUser.active, WebUser.id != admin.id
        )
    )
    if not others:
        raise AccountError("last_admin", f"{admin.name} is the last active admin")


def _end_sessions(session: Session, user_id: int, keep: str | None = None) -> int:
    """Delete the user's sessions (but the one whose token digest is `keep`)."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.token_sha256 != keep)
    result = session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(store: Store, user_id: int, hours: float) -> str:
    """A new login; returns the cookie's token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    with store.session() as session, session.begin():
        now = utc_now()
        session.query(WebSession).filter(WebSession.expires_at < now).delete()
        session.add(
            WebSession(
                token_sha256=_token_digest(token),
                user_id=user_id,
                csrf_token=secrets.token_urlsafe(32),
                expires_at=now + timedelta(hours=hours),
            )
        )
    return token


def session_for(store: Store, token: str) -> SessionInfo | None:
    """The live session of a cookie's token, or None (unknown, expired, user disabled)."""
    with store.session() as session:
        found = session.scalar(
            select(WebSession)
            .options(selectinload(WebSession.user))
            .where(WebSession.token_sha256 == _token_digest(token))
        )
        if found is None or as_utc(found.expires_at) < utc_now() or not found.user.active:
            return None
        return SessionInfo(_user_info(found.user), found.csrf_token)


def close_session(store: Store, token: str) -> None:
    with store.session() as session, session.begin():
        session.query(WebSession).filter(WebSession.token_sha256 == _token_digest(token)).delete()


# --- login locks lifted by an admin ---------------------------------------------------------

UNLOCK_ACTION: Final = "login_unlocked"
LockKind = Literal["account", "address"]


def record_unlock(store: Store, kind: LockKind, key: str, *, by: str) -> None:
    """An admin lifts the login lock of an account (its name as typed at the login) or a
    client address: written to the audit log, where every web server reads it
    (`unlocks_after`; the throttle lives in each server's memory)."""
    if not key.strip() or len(key) > 120:
        raise AccountError("bad_unlock", "name the account or address to unlock (≤ 120 chars)")
    with store.session() as session, session.begin():
        record_audit(session, by, UNLOCK_ACTION, **{kind: key.strip()})


def unlocks_after(store: Store, after: int) -> list[tuple[int, str, str]]:
    """The unlocks recorded after the audit entry `after`: (id, kind, key), oldest first."""
    query = (
        select(AuditEntry.id, AuditEntry.detail)
        .where(AuditEntry.action == UNLOCK_ACTION, AuditEntry.id > after)
        .order_by(AuditEntry.id)
    )
    with store.session() as session:
        return [
            (entry_id, kind, str(detail[kind]))
            for entry_id, detail in session.execute(query)
            for kind in ("account", "address")
            if kind in detail
        ]


def last_audit_id(store: Store) -> int:
    """Where a new server starts reading unlocks: the ones before it have no lock to lift."""
    with store.session() as session:
        return int(session.scalar(select(func.max(AuditEntry.id))) or 0)
