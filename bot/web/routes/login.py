"""Logging in and out, and the page language."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.store.accounts import authenticate, close_session, open_session
from bot.web.i18n import LANGUAGES
from bot.web.pages import Acting, Site, Web
from bot.web.security import (
    LANGUAGE_COOKIE,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    LoginFormTokens,
    safe_next,
    same_origin,
    secure_cookies,
)
from bot.web.throttle import Refusal, Throttle, client_address

log = logging.getLogger(__name__)
router = APIRouter()


def login_page(
    site: Web,
    request: Request,
    next_path: str,
    error: str | None,
    status: int,
    **error_values: object,
) -> Response:
    nonce = LoginFormTokens.new_nonce()
    response = site.render(
        request,
        "login.html",
        status=status,
        login_token=site.login_tokens.token_for(nonce),
        next_path=safe_next(next_path),
        error=error,
        error_values=error_values,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, site.settings.web.secure_cookies),
    )
    return response


@router.get("/login")
def login_form(request: Request, site: Site, next: str = "/") -> Response:
    return login_page(site, request, next, None, 200)


@router.post("/login")
def login(
    request: Request,
    site: Site,
    throttle: Throttle,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Throttled before anything is checked (`bot.web.throttle`); the password is checked
    outside any transaction, and only a right one writes (`accounts.authenticate`)."""
    if not same_origin(request) or not site.login_tokens.valid(
        csrf_token, request.cookies.get(LOGIN_COOKIE)
    ):
        return login_page(site, request, next, "login_expired", 403)
    account, address = name.strip(), client_address(request)
    refused = throttle.admit(account, address)
    if refused is not None:
        log.debug(
            "login refused for %.0f s: %r from %s", refused.retry_after, account[:120], address
        )
        return throttled_page(site, request, next, refused)
    user = authenticate(site.store, account, password)
    if user is None:
        log.info("failed login for %r from %s", account[:120], address)
        return login_page(site, request, next, "login_failed", 401)
    throttle.succeeded(account, address)
    log.info("login: %s from %s", user.name, address)
    token = open_session(site.store, user.id, site.settings.web.session_hours)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(site.settings.web.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, site.settings.web.secure_cookies),
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


def throttled_page(site: Web, request: Request, next_path: str, refused: Refusal) -> Response:
    """429 with `Retry-After`, and the login form saying how long to wait."""
    key, values = refused.words
    response = login_page(site, request, next_path, key, 429, **values)
    response.headers["Retry-After"] = str(refused.seconds)
    return response


@router.post("/logout")
def logout(request: Request, site: Site, _info: Acting) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        close_session(site.store, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/language/{code}")
def choose_language(code: str, next: str = "/") -> Response:
    """A preference, not a state change worth a form: a cookie and back to the page."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 86400, samesite="lax", httponly=True
        )
    return response
