"""Who may use the caseworkers' pages: users, their passwords and their login sessions.

Passwords are Argon2 hashes; a session is a random token of which only a SHA-256 digest
is stored, so a copy of the database logs nobody in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.replies.headers import plain_address
from bot.store.errors import CaseworkError
from bot.store.models import (
    UserRole,
    WebSession,
    WebUser,
    as_utc,
    utc_now,
)
from bot.store.repository import Store

_USER_NAME = re.compile(r"[A-Za-z0-9._@-]{1,120}")
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anyone has")

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


def add_user(
    store: Store, name: str, password: str, role: str, *, email: str | None = None
) -> UserInfo:
    """A new account (or a new password and role for an existing one): argon2id hash only.
    `email` (checked, `checked_email`) replaces the user's notice address when given."""
    address = checked_email(email) if email is not None else None
    if not _USER_NAME.fullmatch(name):
        raise CaseworkError("a user name is 1–120 letters, digits, '.', '_', '@' or '-'")
    if role not in {r.value for r in UserRole}:
        raise CaseworkError(f"role must be one of {', '.join(r.value for r in UserRole)}")
    if len(password) < 10:
        raise CaseworkError("a password has at least 10 characters")
    with store.session() as session, session.begin():
        user = session.scalar(select(WebUser).where(WebUser.name == name))
        if user is None:
            user = WebUser(name=name, password_hash="", role=role, active=True)
            session.add(user)
        user.password_hash = _hasher.hash(password)
        user.role = role
        user.active = True
        if address is not None:
            user.email = address
        session.flush()
        return _user_info(user)


def set_email(store: Store, name: str, email: str | None) -> UserInfo:
    """The user's notice address (checked, `checked_email`), or None for no notices."""
    address = checked_email(email) if email is not None else None
    with store.session() as session, session.begin():
        user = session.scalar(select(WebUser).where(WebUser.name == name))
        if user is None:
            raise CaseworkError(f"no user {name!r}")
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
    so the response time does not tell which names exist."""
    with store.session() as session, session.begin():
        user = session.scalar(select(WebUser).where(WebUser.name == name))
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None or not user.active:
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.last_login_at = utc_now()
        return _user_info(user)


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
