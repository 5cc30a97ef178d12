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

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.requirements import load_requirements
from bot.settings import Settings
from bot.store import Store
from bot.web.i18n import format_date, format_datetime
from bot.web.pages import LoginRequiredError, Web, never_an_id, path_with_query
from bot.web.routes import admin, files, login, queue, tickets, users
from bot.web.security import LoginFormTokens, add_security_headers
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
    site = Web(
        settings=settings,
        store=store,
        requirements=load_requirements(settings.requirements_file),
        login_tokens=LoginFormTokens(secret),
        templates=templates,
        mail_limits=settings.limits.mail(),
    )

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = site
    app.state.login_throttle = login_throttle(settings.web.login)
    app.middleware("http")(add_security_headers)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(LoginRequiredError)
    async def _login_required(request: Request, _error: LoginRequiredError) -> Response:
        if request.method in ("GET", "HEAD"):
            target = quote(path_with_query(request), safe="")
            return RedirectResponse(f"/login?next={target}", status_code=303)
        return Response("login required", status_code=401, media_type="text/plain")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        key = {403: "forbidden", 404: "not_found"}.get(error.status_code, "bad_request")
        return site.render(request, "error.html", status=error.status_code, message_key=key)

    for part in (login, queue, tickets, files, admin, users):
        app.include_router(part.router)
    return app
