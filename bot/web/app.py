"""`mikrobot serve`: the caseworkers' and admins' pages over the ticket store.

Server-rendered (FastAPI + Jinja2, autoescaped), no front-end build: every control is a
plain link or form, so it works from the keyboard and without JavaScript. Nothing but
the login page and the static files answers without a session; every form that changes
something carries the session's CSRF token; admin pages need the admin role.
"""

from __future__ import annotations

import email
import email.policy
import logging
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.cases import TicketStatus
from bot.casework import (
    EDITABLE_FIELDS,
    assign,
    change_category,
    close,
    edit_field,
    reopen,
    reply_preview,
    resend_missing,
    resolve_item,
)
from bot.requirements import Requirement, load_requirements
from bot.settings import Settings
from bot.store import Store
from bot.store.accounts import (
    SessionInfo,
    authenticate,
    close_session,
    list_users,
    open_session,
    session_for,
)
from bot.store.errors import CaseworkError
from bot.store.personal_data import delete_personal_data_now
from bot.store.tickets import QueueFilter, corrections, mail_of_ticket, queue, ticket_detail
from bot.verdict import Category
from bot.web.figures import confusion_svg, read_evaluation
from bot.web.i18n import (
    LANGUAGES,
    Translator,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    language_of,
)
from bot.web.mailview import MailView, attachments_of, content_disposition, mail_view
from bot.web.personal_data import (
    REASON_MAX_CHARS,
    Access,
    download_access,
    flag_of,
    holds_personal_data,
    protected_attachments,
    record_download,
)
from bot.web.security import (
    LANGUAGE_COOKIE,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    LoginFormTokens,
    add_security_headers,
    safe_next,
    same_origin,
    same_token,
    secure_cookies,
)
from parsers.national_id import mask_national_ids

log = logging.getLogger(__name__)
HERE: Final = Path(__file__).parent
CATEGORIES: Final = tuple(c.value for c in Category)
STATUSES: Final = tuple(s.value for s in TicketStatus)
PER_PAGE: Final = 25
DONE_MESSAGES: Final = frozenset(
    {"assigned", "category", "field", "item", "resent", "closed", "reopened", "pd_deleted"}
)


class LoginRequiredError(Exception):
    """No live session: pages send the browser to the login form, anything else gets 401."""


@dataclass(frozen=True)
class ThreadMail:
    id: int
    sender: str | None
    subject: str
    received_at: Any
    verdict: dict[str, Any]
    view: MailView | None
    error: str | None
    protected: frozenset[int] = frozenset()
    """Indexes of the attachments that hold national IDs: not for caseworkers to download."""
    holds_ids: bool = False


def viewer(request: Request) -> SessionInfo:
    """The logged-in user of this request, or LoginRequiredError."""
    store: Store = request.app.state.store
    token = request.cookies.get(SESSION_COOKIE)
    info = session_for(store, token) if token else None
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


SignedIn = Annotated[SessionInfo, Depends(viewer)]
Acting = Annotated[SessionInfo, Depends(actor)]
AdminOnly = Annotated[SessionInfo, Depends(admin)]


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The web application on `store` (opened from the settings when not given)."""
    store = store or Store.open(settings.database, settings.raw_mail_dir)
    requirements: tuple[Requirement, ...] = load_requirements(settings.requirements_file)
    secret = settings.web.secret_key.get_secret_value() if settings.web.secret_key else None
    if not secret:
        log.warning("MIKROBOT_WEB__SECRET_KEY is not set: login forms are valid until restart")
        secret = secrets.token_urlsafe(32)
    tokens = LoginFormTokens(secret)
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.finalize = _never_an_id
    templates.filters["datetime"] = format_datetime
    templates.filters["date"] = format_date
    mail_limits = settings.limits.mail()

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    app.middleware("http")(add_security_headers)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    # --- plumbing -------------------------------------------------------------------

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        language = language_of(request.cookies.get(LANGUAGE_COOKIE))
        info: SessionInfo | None = getattr(request.state, "session", None)
        html = templates.get_template(name).render(
            t=Translator(language),
            lang=language,
            user=info.user if info else None,
            csrf_token=info.csrf_token if info else "",
            here=_path_with_query(request),
            pct=lambda v: format_percent(float(v), language),
            dec=lambda v: format_decimal(float(v), language),
            **context,
        )
        return HTMLResponse(html, status_code=status)

    @app.exception_handler(LoginRequiredError)
    async def _login_required(request: Request, _error: LoginRequiredError) -> Response:
        if request.method in ("GET", "HEAD"):
            target = quote(_path_with_query(request), safe="")
            return RedirectResponse(f"/login?next={target}", status_code=303)
        return Response("login required", status_code=401, media_type="text/plain")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        key = {403: "forbidden", 404: "not_found"}.get(error.status_code, "bad_request")
        return render(request, "error.html", status=error.status_code, message_key=key)

    # --- login ------------------------------------------------------------------------

    def login_page(request: Request, next_path: str, error: str | None, status: int) -> Response:
        nonce = LoginFormTokens.new_nonce()
        response = render(
            request,
            "login.html",
            status=status,
            login_token=tokens.token_for(nonce),
            next_path=safe_next(next_path),
            error=error,
        )
        response.set_cookie(
            LOGIN_COOKIE,
            nonce,
            max_age=3600,
            httponly=True,
            samesite="strict",
            secure=secure_cookies(request, settings.web.secure_cookies),
        )
        return response

    @app.get("/login")
    def login_form(request: Request, next: str = "/") -> Response:
        return login_page(request, next, None, 200)

    @app.post("/login")
    def login(
        request: Request,
        name: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        if not same_origin(request) or not tokens.valid(
            csrf_token, request.cookies.get(LOGIN_COOKIE)
        ):
            return login_page(request, next, "login_expired", 403)
        user = authenticate(store, name.strip(), password)
        if user is None:
            log.info("failed login for %r", name[:120])
            return login_page(request, next, "login_failed", 401)
        token = open_session(store, user.id, settings.web.session_hours)
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(settings.web.session_hours * 3600),
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request, settings.web.secure_cookies),
        )
        response.delete_cookie(LOGIN_COOKIE)
        return response

    @app.post("/logout")
    def logout(request: Request, _info: Acting) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            close_session(store, token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/language/{code}")
    def choose_language(code: str, next: str = "/") -> Response:
        """A preference, not a state change worth a form: a cookie and back to the page."""
        response = RedirectResponse(safe_next(next), status_code=303)
        if code in LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE, code, max_age=365 * 86400, samesite="lax", httponly=True
            )
        return response

    # --- the queue --------------------------------------------------------------------

    @app.get("/")
    def queue_page(
        request: Request,
        info: SignedIn,
        category: str = "",
        status: str = "",
        assigned: str = "",
        missing: str = "",
        low: str = "",
        personal_data: str = "",
        q: Annotated[str, Query(max_length=200)] = "",
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> Response:
        params = {
            "category": category if category in CATEGORIES else "",
            "status": status if status in STATUSES else "",
            "assigned": assigned[:120],
            "missing": "1" if missing else "",
            "low": "1" if low else "",
            "personal_data": "1" if personal_data else "",
            "q": q.strip(),
        }
        wanted = QueueFilter(
            category=params["category"] or None,
            status=params["status"] or None,
            assigned_to=info.user.name if assigned == "me" else (params["assigned"] or None),
            has_missing=bool(params["missing"]),
            low_confidence=bool(params["low"]),
            personal_data=bool(params["personal_data"]),
            search=params["q"],
        )
        found = queue(
            store, wanted, threshold=settings.web.low_confidence, page=page, per_page=PER_PAGE
        )

        def url(**changes: str | int) -> str:
            merged: dict[str, str | int] = {**params, "page": found.page, **changes}
            kept = {k: v for k, v in merged.items() if v != "" and not (k == "page" and v == 1)}
            return f"/?{urlencode(kept)}" if kept else "/"

        return render(
            request,
            "queue.html",
            found=found,
            params=params,
            url=url,
            categories=CATEGORIES,
            statuses=STATUSES,
            users=[u.name for u in list_users(store)],
            low_confidence=settings.web.low_confidence,
        )

    # --- one ticket -------------------------------------------------------------------

    def ticket_page(
        request: Request,
        ticket_id: int,
        *,
        done: str | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        detail = ticket_detail(store, ticket_id)
        if detail is None:
            raise HTTPException(404)
        thread = []
        for mail in detail.mails:
            try:
                view: MailView | None = mail_view(
                    store.raw_mail.get(mail.sha256), mail.verdict, mail_limits
                )
                problem = None
            except OSError as failure:
                view, problem = None, f"raw mail unreadable: {failure.strerror or failure}"
            holds_ids = holds_personal_data(mail)
            thread.append(
                ThreadMail(
                    mail.id,
                    mail.sender,
                    mask_national_ids(mail.subject),
                    mail.received_at or mail.created_at,
                    mail.verdict,
                    view,
                    problem or mail.error,
                    protected_attachments(mail.verdict, [a.filename for a in view.attachments])
                    if view is not None and holds_ids
                    else frozenset(),
                    holds_ids,
                )
            )
        latest = detail.mails[-1].verdict if detail.mails else {}
        return render(
            request,
            "ticket.html",
            status=status,
            ticket=detail.ticket,
            thread=thread,
            latest=latest,
            evidence=latest.get("evidence") or {},
            personal_data=[flag_of(m) for m in detail.mails if holds_personal_data(m)],
            events=detail.events,
            replies=[(r, _reply_text(r.raw)) for r in detail.replies],
            corrections=detail.corrections,
            preview=reply_preview(store, settings, ticket_id)
            if detail.ticket.status != TicketStatus.CLOSED.value
            else None,
            field_names=EDITABLE_FIELDS,
            categories=CATEGORIES,
            done=done if done in DONE_MESSAGES else None,
            error=error,
        )

    @app.get("/tickets/{ticket_id}")
    def show_ticket(request: Request, ticket_id: int, _info: SignedIn, done: str = "") -> Response:
        return ticket_page(request, ticket_id, done=done or None)

    def serve_file(
        request: Request,
        info: SessionInfo,
        ticket_id: int,
        mail_id: int,
        index: int | None,
        reason: str | None,
    ) -> Response:
        """An attachment (`index`), or the raw mail (None), under the personal-data rule
        (`bot.web.personal_data`): always a download of opaque bytes, so a hostile HTML or
        SVG attachment never renders in our origin; never the bytes of a file that holds
        national IDs to a caseworker, and to an admin only with a reason, logged."""
        mail = mail_of_ticket(store, ticket_id, mail_id)
        if mail is None:
            raise HTTPException(404)
        deleted = mail.personal_data_deleted_at is not None
        try:
            raw = store.raw_mail.get(mail.sha256)
        except OSError as error:
            if not deleted:
                raise HTTPException(404) from error
            raw = None  # deleted with the personal data: nothing left to download
        holds_ids = holds_personal_data(mail)
        filename, payload = f"mail-{mail.id}.eml", raw
        if index is not None and raw is not None:
            attachments = attachments_of(raw, mail_limits)
            if not 0 <= index < len(attachments):
                raise HTTPException(404)
            filename, payload = attachments[index].filename, attachments[index].payload
            names = [a.filename for a in attachments]
            holds_ids = holds_ids and index in protected_attachments(mail.verdict, names)
        elif index is not None:
            filename = f"#{index + 1}"
        access = (
            Access.DELETED
            if payload is None
            else download_access(
                holds_ids=holds_ids, deleted=deleted, is_admin=info.user.is_admin, reason=reason
            )
        )
        if access is Access.ALLOWED and payload is not None:
            if holds_ids:
                record_download(store, ticket_id, mail.id, info.user.name, filename, reason or "")
            return Response(
                payload,
                media_type="application/octet-stream",
                headers={
                    "Content-Disposition": content_disposition(mask_national_ids(filename)),
                    "X-Content-Type-Options": "nosniff",
                    "Content-Security-Policy": "default-src 'none'; sandbox",
                },
            )
        status = {
            Access.REFUSED: 403,
            Access.DELETED: 410,
            Access.REASON_NEEDED: 200 if reason is None else 400,
        }.get(access, 404)
        return render(
            request,
            "personal_data_file.html",
            status=status,
            access=access.value,
            ticket_id=ticket_id,
            mail_id=mail.id,
            subject=mail.subject,
            filename=filename,
            deleted_at=mail.personal_data_deleted_at,
            action=request.url.path,
            reason=(reason or "")[:REASON_MAX_CHARS],
            failed=reason is not None,
        )

    @app.get("/tickets/{ticket_id}/mails/{mail_id}/attachments/{index}")
    def download(
        request: Request, ticket_id: int, mail_id: int, index: int, info: SignedIn
    ) -> Response:
        return serve_file(request, info, ticket_id, mail_id, index, None)

    @app.post("/tickets/{ticket_id}/mails/{mail_id}/attachments/{index}")
    def download_with_reason(
        request: Request,
        ticket_id: int,
        mail_id: int,
        index: int,
        info: Acting,
        reason: Annotated[str, Form()] = "",
    ) -> Response:
        return serve_file(request, info, ticket_id, mail_id, index, reason)

    @app.get("/tickets/{ticket_id}/mails/{mail_id}/raw")
    def download_raw(request: Request, ticket_id: int, mail_id: int, info: SignedIn) -> Response:
        return serve_file(request, info, ticket_id, mail_id, None, None)

    @app.post("/tickets/{ticket_id}/mails/{mail_id}/raw")
    def download_raw_with_reason(
        request: Request,
        ticket_id: int,
        mail_id: int,
        info: Acting,
        reason: Annotated[str, Form()] = "",
    ) -> Response:
        return serve_file(request, info, ticket_id, mail_id, None, reason)

    def act(request: Request, ticket_id: int, done: str, action: Any, *args: Any) -> Response:
        """Run one caseworker action; back to the ticket (303) or its page with the error."""
        try:
            action(*args)
        except CaseworkError as error:
            return ticket_page(request, ticket_id, error=str(error), status=400)
        return RedirectResponse(f"/tickets/{ticket_id}?done={done}#top", status_code=303)

    @app.post("/tickets/{ticket_id}/assign")
    def assign_ticket(request: Request, ticket_id: int, info: Acting) -> Response:
        return act(request, ticket_id, "assigned", assign, store, ticket_id, info.user.name)

    @app.post("/tickets/{ticket_id}/category")
    def recategorise(
        request: Request, ticket_id: int, info: Acting, category: Annotated[str, Form()] = ""
    ) -> Response:
        return act(
            request,
            ticket_id,
            "category",
            change_category,
            store,
            ticket_id,
            category,
            info.user.name,
            requirements,
        )

    @app.post("/tickets/{ticket_id}/field")
    def set_field(
        request: Request,
        ticket_id: int,
        info: Acting,
        name: Annotated[str, Form()] = "",
        value: Annotated[str, Form(max_length=1000)] = "",
    ) -> Response:
        return act(
            request,
            ticket_id,
            "field",
            edit_field,
            store,
            ticket_id,
            name,
            value,
            info.user.name,
            requirements,
        )

    @app.post("/tickets/{ticket_id}/items/{code}")
    def resolve(
        request: Request, ticket_id: int, code: str, info: Acting, how: Annotated[str, Form()] = ""
    ) -> Response:
        return act(
            request,
            ticket_id,
            "item",
            resolve_item,
            store,
            ticket_id,
            code,
            how,
            info.user.name,
            requirements,
        )

    @app.post("/tickets/{ticket_id}/resend")
    def resend(request: Request, ticket_id: int, info: Acting) -> Response:
        return act(
            request, ticket_id, "resent", resend_missing, store, settings, ticket_id, info.user.name
        )

    @app.post("/tickets/{ticket_id}/personal-data/delete")
    def delete_ticket_personal_data(
        request: Request,
        ticket_id: int,
        info: Acting,
        reason: Annotated[str, Form(max_length=500)] = "",
    ) -> Response:
        """The action "Slett personopplysningene": any caseworker or admin, with a reason."""
        return act(
            request, ticket_id, "pd_deleted", delete_personal_data_now, store, ticket_id,
            info.user.name, reason,
        )  # fmt: skip

    @app.post("/tickets/{ticket_id}/close")
    def close_ticket(request: Request, ticket_id: int, info: Acting) -> Response:
        return act(request, ticket_id, "closed", close, store, ticket_id, info.user.name)

    @app.post("/tickets/{ticket_id}/reopen")
    def reopen_ticket(request: Request, ticket_id: int, info: Acting) -> Response:
        return act(
            request, ticket_id, "reopened", reopen, store, ticket_id, info.user.name, requirements
        )

    # --- admin ------------------------------------------------------------------------

    @app.get("/admin")
    def admin_page(request: Request, _info: AdminOnly) -> Response:
        rules_file = settings.rules_file
        try:
            rules_text = rules_file.read_text(encoding="utf-8")
        except OSError as error:
            rules_text = f"(cannot read {rules_file}: {error.strerror or error})"
        return render(
            request,
            "admin.html",
            evaluation=read_evaluation(settings.web.evaluation_file),
            evaluation_file=str(settings.web.evaluation_file),
            categories=CATEGORIES,
            waiting=corrections(store, waiting_only=True),
            rules_file=str(rules_file),
            rules_text=rules_text,
            threshold=settings.web.low_confidence,
            users=list_users(store),
        )

    @app.get("/admin/confusion.svg")
    def confusion_picture(request: Request, _info: AdminOnly) -> Response:
        evaluation = read_evaluation(settings.web.evaluation_file)
        if evaluation is None:
            raise HTTPException(404)
        t = Translator(language_of(request.cookies.get(LANGUAGE_COOKIE)))
        labels = {c: t.optional("cat_", c) for c in CATEGORIES}
        return Response(confusion_svg(evaluation.confusion, labels), media_type="image/svg+xml")

    return app


def _never_an_id(value: Any) -> Any:
    """Every value a template writes passes here (Jinja's `finalize`): a national ID never
    reaches a page, whatever way it came in — a subject filed before masking, a history
    detail, a form's error. The mail's own text is masked where it is read (`mailview`)."""
    if isinstance(value, Markup):
        return Markup(mask_national_ids(str(value)))
    if isinstance(value, str):
        return mask_national_ids(value)
    return value


def _path_with_query(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _reply_text(raw: bytes) -> str:
    """A queued or sent reply's text, as the applicant reads it."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if isinstance(message, EmailMessage):
            body = message.get_body(("plain",))
            if isinstance(body, EmailMessage):
                return str(body.get_content())
    except Exception as error:  # a reply we wrote ourselves; still, never break the page
        return f"(unreadable: {error})"
    return ""
