"""Accounts in the web: every user changes their own password (`/account`); admins add,
disable, enable and reset users (`/admin/users`), as `mikrobot users …` does.

Every change goes through `bot.store.accounts` with the same password rule as the CLI.
A new password ends the user's other sessions; disabling a user ends all of them. Each
POST carries the session's CSRF token and ends in a 303 back to its page, or the page
again with the error in the reader's language and what was typed (never a password).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.passwords import MAX_LENGTH, MIN_LENGTH
from bot.store.accounts import (
    AccountError,
    LockKind,
    add_user,
    change_password,
    list_users,
    record_unlock,
    reset_password,
    set_active,
)
from bot.store.models import UserRole
from bot.web.pages import Acting, AdminOnly, SignedIn, Site, Web
from bot.web.security import SESSION_COOKIE
from bot.web.throttle import Throttle, client_address, throttle_of

log = logging.getLogger(__name__)
router = APIRouter()
ROLES: Final = tuple(r.value for r in UserRole)
ACCOUNT_DONE: Final = frozenset({"password_changed"})
USERS_DONE: Final = frozenset(
    {"user_added", "user_disabled", "user_enabled", "user_reset", "login_unlocked"}
)
LOCK_KINDS: Final[dict[str, LockKind]] = {"account": "account", "address": "address"}
PASSWORD_LIMITS: Final = {"min": MIN_LENGTH, "max": MAX_LENGTH}
"""Every error's words may name the password rule's limits."""


# --- one's own account -------------------------------------------------------------------


def account_page(
    site: Web,
    request: Request,
    *,
    done: str | None = None,
    error: str | None = None,
    error_values: dict[str, object] | None = None,
    status: int = 200,
) -> Response:
    return site.render(
        request,
        "account.html",
        status=status,
        done=done if done in ACCOUNT_DONE else None,
        error=error,
        error_values={**PASSWORD_LIMITS, **(error_values or {})},
        limits=PASSWORD_LIMITS,
    )


@router.get("/account")
def show_account(request: Request, site: Site, _info: SignedIn, done: str = "") -> Response:
    return account_page(site, request, done=done or None)


@router.post("/account/password")
def change_own_password(
    request: Request,
    site: Site,
    info: Acting,
    throttle: Throttle,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    new_password_again: Annotated[str, Form()] = "",
) -> Response:
    """The current password is checked like a login, and throttled like one: a session
    left open on a shared machine does not let anyone guess it, then change it."""
    if new_password != new_password_again:
        return account_page(site, request, error="account_mismatch", status=400)
    address = client_address(request)
    refused = throttle.admit(info.user.name, address)
    if refused is not None:
        key, values = refused.words
        response = account_page(site, request, error=key, error_values=values, status=429)
        response.headers["Retry-After"] = str(refused.seconds)
        return response
    try:
        ended = change_password(
            site.store,
            info.user.id,
            current_password,
            new_password,
            keep_token=request.cookies.get(SESSION_COOKIE),
        )
    except AccountError as error:
        if error.key != "wrong_password":
            throttle.succeeded(info.user.name, address)
        return account_page(site, request, error=f"account_{error.key}", status=400)
    throttle.succeeded(info.user.name, address)
    log.info("%s changed their password; %d other sessions ended", info.user.name, ended)
    return RedirectResponse("/account?done=password_changed", status_code=303)


# --- the admins' page of users ---------------------------------------------------------------


def users_page(
    site: Web,
    request: Request,
    *,
    done: str | None = None,
    done_name: str = "",
    error: str | None = None,
    typed_name: str = "",
    typed_role: str = "caseworker",
    status: int = 200,
) -> Response:
    return site.render(
        request,
        "admin_users.html",
        status=status,
        users=list_users(site.store),
        locks=throttle_of(request).locks(),
        roles=ROLES,
        done=done if done in USERS_DONE else None,
        done_name=done_name,
        error=error,
        error_values=PASSWORD_LIMITS,
        typed_name=typed_name,
        typed_role=typed_role if typed_role in ROLES else "caseworker",
        limits=PASSWORD_LIMITS,
    )


@router.get("/admin/users")
def show_users(
    request: Request, site: Site, _info: AdminOnly, done: str = "", name: str = ""
) -> Response:
    return users_page(site, request, done=done or None, done_name=name[:120])


def act(
    site: Web, request: Request, done: str, name: str, action: Callable[[], object]
) -> Response:
    """Run one admin action on the user `name`: back to the page (303) with `done`, or the
    page with the error (400)."""
    try:
        action()
    except AccountError as error:
        return users_page(site, request, error=f"account_{error.key}", status=400)
    return done_page(done, name)


def done_page(done: str, name: str) -> Response:
    query = urlencode({"done": done, "name": name})
    return RedirectResponse(f"/admin/users?{query}", status_code=303)


def same_twice(password: str, again: str) -> None:
    if password != again:
        raise AccountError("mismatch", "the two passwords differ")


@router.post("/admin/users")
def add_user_in_web(
    request: Request,
    site: Site,
    info: Acting,
    _admin: AdminOnly,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "caseworker",
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
) -> Response:
    name = name.strip()
    try:
        same_twice(password, password_again)
        user = add_user(site.store, name, password, role, replace=False, by=info.user.name)
    except AccountError as error:
        return users_page(
            site, request, error=f"account_{error.key}", typed_name=name[:120],
            typed_role=role, status=400,
        )  # fmt: skip
    log.info("%s added the user %s (%s)", info.user.name, user.name, user.role)
    return done_page("user_added", user.name)


@router.post("/admin/users/{name}/disable")
def disable_user(
    request: Request, name: str, site: Site, info: Acting, _admin: AdminOnly
) -> Response:
    """No more logins for `name`, and every session of theirs ends (not one's own)."""

    def disable() -> None:
        if name == info.user.name:
            raise AccountError("own_account", "an admin cannot disable themselves")
        ended = set_active(site.store, name, False, by=info.user.name)
        log.info("%s disabled the user %s; %d sessions ended", info.user.name, name, ended)

    return act(site, request, "user_disabled", name, disable)


@router.post("/admin/users/{name}/enable")
def enable_user(
    request: Request, name: str, site: Site, info: Acting, _admin: AdminOnly
) -> Response:
    def enable() -> None:
        set_active(site.store, name, True, by=info.user.name)
        log.info("%s enabled the user %s", info.user.name, name)

    return act(site, request, "user_enabled", name, enable)


@router.post("/admin/users/{name}/password")
def reset_user_password(
    request: Request,
    name: str,
    site: Site,
    info: Acting,
    _admin: AdminOnly,
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
) -> Response:
    """An admin's new password for someone who forgot theirs; all their sessions end.
    Their own password an admin changes on their account page, which asks for the
    current one and keeps their session."""

    def reset() -> None:
        if name == info.user.name:
            raise AccountError("own_password", "an admin changes their own on /account")
        same_twice(password, password_again)
        ended = reset_password(site.store, name, password, by=info.user.name)
        log.info("%s set a new password for %s; %d sessions ended", info.user.name, name, ended)

    return act(site, request, "user_reset", name, reset)


@router.post("/admin/users/unlock")
def unlock_login(
    request: Request,
    site: Site,
    info: Acting,
    _admin: AdminOnly,
    throttle: Throttle,
    kind: Annotated[str, Form()] = "",
    key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Lift a login lock: recorded in the audit log (which tells every server process),
    applied in this one at once."""

    def unlock() -> None:
        if kind not in LOCK_KINDS:
            raise AccountError("bad_unlock", f"unknown kind of lock {kind!r}")
        record_unlock(site.store, LOCK_KINDS[kind], key, by=info.user.name)
        throttle.apply_unlocks(force=True)
        log.info("%s lifted the login lock of %s %r", info.user.name, kind, key)

    return act(site, request, "login_unlocked", key, unlock)
