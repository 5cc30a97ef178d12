"""`mikrobot serve`: the caseworkers' and admins' pages over the ticket store.

Server-rendered (FastAPI + Jinja2, autoescaped), no front-end build: every control is a
plain link or form, so it works from the keyboard and without JavaScript. Nothing but
the login page and the static files answers without a session; every form that changes
something carries the session's CSRF token; admin pages need the admin role.

This module only assembles the site: the shared parts (`bot.web.pages.Web`), the error
pages, and the routers of `bot.web.routes`.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Final
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.reply_review import waiting_count
from bot.requirements import load_requirements
from bot.settings import Settings
from bot.store import Store
from bot.store.accounts import last_audit_id, session_for, unlocks_after
from bot.web.i18n import LANGUAGE_NAMES, format_date, format_datetime
from bot.web.pages import (
    LoginRequiredError,
    Web,
    back_after_login,
    never_an_id,
    path_with_query,
    row_ids,
)
from bot.web.routes import (
    admin,
    files,
    login,
    previews,
    queue,
    replies,
    teamwork,
    tickets,
    tuning,
    users,
)
from bot.web.security import SESSION_COOKIE, LoginFormTokens, add_security_headers
from bot.web.throttle import login_throttle

log = logging.getLogger(__name__)
HERE: Final = Path(__file__).parent


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The web application on `store` (opened from the settings when not given)."""
    store = store or Store.open(settings.database, settings.raw_mail_dir)
    secret = settings.web.secret_key.get_secret_value() if settings.web.secret_key else None
    if not secret:
        log.warning("MIKROBOT_WEB__SECRET_KEY is not set: login forms are valid until restart")
        secret = secrets.token_urlsafe(32)
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.finalize = never_an_id
    templates.filters["datetime"] = format_datetime
    templates.filters["date"] = format_date
    templates.globals["replies_waiting"] = lambda: waiting_count(store)
    templates.globals["languages"] = LANGUAGE_NAMES
    site = Web(
        settings=settings,
        store=store,
        requirements=load_requirements(settings.requirements_file),
        login_tokens=LoginFormTokens(secret),
        templates=templates,
        mail_limits=settings.limits.mail(),
    )

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, dependencies=[Depends(row_ids)])
    app.state.web = site
    app.state.login_throttle = login_throttle(
        settings.web.login,
        unlocks=lambda after: unlocks_after(store, after),
        unlocks_after=last_audit_id(store),
    )
    app.middleware("http")(add_security_headers)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(LoginRequiredError)
    async def _login_required(request: Request, _error: LoginRequiredError) -> Response:
        """Through the login and back: a page to itself; a form (its session expired while
        it was filled in) to the page it was on. The form is not replayed: its CSRF token
        belonged to the old session."""
        if request.method in ("GET", "HEAD"):
            back = path_with_query(request)
        else:
            back = "/" if request.url.path == "/logout" else back_after_login(request)
        return RedirectResponse(f"/login?next={quote(back, safe='')}", status_code=303)

    def error_page(request: Request, status: int, message_key: str, **values: str) -> Response:
        _recognise_viewer(site, request)
        return site.render(
            request,
            "error.html",
            status=status,
            message_key=message_key,
            message_values=values,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        key = ERROR_MESSAGES.get(error.status_code, "bad_request")
        return error_page(request, error.status_code, key)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        """A parameter that does not fit (`?page=0`, `/tickets/abc`): our own page, never
        FastAPI's JSON. A bad path names no page (404); a bad query or form is refused (400)."""
        places = [str(e.get("loc", ("",))[0]) for e in error.errors()]
        if "path" in places:
            return error_page(request, 404, "not_found")
        names = sorted({str(e["loc"][-1]) for e in error.errors() if len(e.get("loc", ())) > 1})
        return error_page(request, 400, "invalid_request", fields=", ".join(names))

    for part in (login, queue, tickets, replies, teamwork, files, previews, admin, tuning, users):
        app.include_router(part.router)
    return app


ERROR_MESSAGES: Final = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def _recognise_viewer(site: Web, request: Request) -> None:
    """On an error page the header shows who is logged in, as on every other page, even
    when the error came before the handler looked at the session (an unknown URL)."""
    if getattr(request.state, "session", None) is not None:
        return
    token = request.cookies.get(SESSION_COOKIE)
    try:
        request.state.session = session_for(site.store, token) if token else None
    except SQLAlchemyError:  # the error page must render even when the store cannot answer
        request.state.session = None
