"""What every page handler shares: the `Web` object (store, settings, templates) that
`create_app` puts on the app, the page renderer, and who may do what (session, CSRF, admin).

Handlers live in `bot.web.routes`, one module a part of the site; they reach all of this
through FastAPI dependencies, so none of them builds its own store or template engine.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Final
from urllib.parse import urlsplit

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from markupsafe import Markup

from bot.requirements import Requirement
from bot.settings import Settings
from bot.store import Store
from bot.store.accounts import SessionInfo, session_for
from bot.store.errors import CaseworkError
from bot.store.tickets import MAX_ID
from bot.web.i18n import Translator, format_datetime, format_decimal, format_percent, language_of
from bot.web.security import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    LoginFormTokens,
    safe_next,
    same_origin,
    same_token,
)
from parsers.mail import MailLimits
from parsers.national_id import mask_national_ids

log = logging.getLogger(__name__)


class LoginRequiredError(Exception):
    """No live session: pages send the browser to the login form, anything else gets 401."""


@dataclass(frozen=True)
class Web:
    """The site's shared parts, built once by `create_app`."""

    settings: Settings
    store: Store
    requirements: tuple[Requirement, ...]
    login_tokens: LoginFormTokens
    templates: Environment
    mail_limits: MailLimits

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """Template `name` in the reader's language, with the session's user and CSRF token."""
        language = language_of(request.cookies.get(LANGUAGE_COOKIE))
        info: SessionInfo | None = getattr(request.state, "session", None)
        html = self.templates.get_template(name).render(
            t=Translator(language),
            lang=language,
            user=info.user if info else None,
            csrf_token=info.csrf_token if info else "",
            here=path_with_query(request),
            pct=lambda v: format_percent(float(v), language),
            dec=lambda v: format_decimal(float(v), language),
            **context,
        )
        return HTMLResponse(html, status_code=status)


def web(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


def viewer(request: Request) -> SessionInfo:
    """The logged-in user of this request, or LoginRequiredError."""
    token = request.cookies.get(SESSION_COOKIE)
    info = session_for(web(request).store, token) if token else None
    if info is None:
        raise LoginRequiredError()
    request.state.session = info
    return info


def actor(
    request: Request,
    info: Annotated[SessionInfo, Depends(viewer)],
    csrf_token: Annotated[str, Form()] = "",
) -> SessionInfo:
    """The user of a form that changes something: the session's CSRF token, our Origin."""
    if not same_origin(request) or not same_token(info.csrf_token, csrf_token):
        raise HTTPException(403, "CSRF token missing or wrong")
    return info


def admin(info: Annotated[SessionInfo, Depends(viewer)]) -> SessionInfo:
    if not info.user.is_admin:
        raise HTTPException(403, "admins only")
    return info


Site = Annotated[Web, Depends(web)]
SignedIn = Annotated[SessionInfo, Depends(viewer)]
Acting = Annotated[SessionInfo, Depends(actor)]
AdminOnly = Annotated[SessionInfo, Depends(admin)]


def never_an_id(value: Any) -> Any:
    """Every value a template writes passes here (Jinja's `finalize`): a national ID never
    reaches a page, whatever way it came in — a subject filed before masking, a history
    detail, a form's error. The mail's own text is masked where it is read (`mailview`)."""
    if isinstance(value, Markup):
        return Markup(mask_national_ids(str(value)))
    if isinstance(value, str):
        return mask_national_ids(value)
    return value


def path_with_query(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


_ROW_ID: Final = re.compile(r"[0-9]{1,10}")
_TICKET_PAGE: Final = re.compile(r"/tickets/[0-9]{1,10}")


def row_ids(request: Request) -> None:
    """Every id in a path (`{ticket_id}`, `{mail_id}`, …) names a row: a number the store can
    hold (1 … 2³¹−1). Anything else — `abc`, `0`, `2**70` — names no page, so 404, before any
    handler or the database sees it. An app-wide dependency: new routes are covered too."""
    for name, value in request.path_params.items():
        if name == "id" or name.endswith("_id"):
            text = str(value)
            if not _ROW_ID.fullmatch(text) or not 1 <= int(text) <= MAX_ID:
                raise HTTPException(404)


def back_after_login(request: Request) -> str:
    """Where a form posted without a live session (it expired) sends the browser after the
    login: the page the form was on, when the Referer is one of our pages; else the ticket
    the form acted on, or the queue."""
    referer = urlsplit(request.headers.get("referer", ""))
    own = urlsplit(str(request.base_url))
    if (referer.scheme, referer.netloc) == (own.scheme, own.netloc) and referer.path:
        page = referer.path + (f"?{referer.query}" if referer.query else "")
        if safe_next(page) == page and not page.startswith("/login"):
            return page
    ticket = _TICKET_PAGE.match(request.url.path)
    return ticket.group(0) if ticket else "/"


def refusal_text(request: Request, error: CaseworkError) -> str:
    """A refused action in the reader's language: the words `error.words + error.key`,
    filled with its values (times as local times). An error without a key (a store or
    library message) gets plain words; its English text goes to the log, not the page."""
    t = Translator(language_of(request.cookies.get(LANGUAGE_COOKIE)))
    if not error.key:
        log.info("refused: %s", error)
        return t("refused_other")
    values = {
        name: format_datetime(value) if isinstance(value, datetime) else value
        for name, value in error.values.items()
    }
    key = f"{error.words}{error.key}"
    if key == "reply_refused_not_waiting":
        values["status"] = t.optional("reply_", str(values.get("status", "")))
    return t(key, **values)
