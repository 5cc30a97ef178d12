"""Cookies, CSRF tokens and the headers every response carries.

A logged-in form carries its session's CSRF token (kept server-side with the session).
The login form has no session yet: it carries a signed copy of a random nonce that is
also set as a cookie, and both must agree (a signed double submit), so another site
cannot log a caseworker in to an account of its choosing.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Final

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE: Final = "mikrobot_session"
LOGIN_COOKIE: Final = "mikrobot_login"
LANGUAGE_COOKIE: Final = "mikrobot_lang"
LOGIN_FORM_SECONDS: Final = 3600

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
"""No inline script or style anywhere: a payload that slipped into the page cannot run."""

SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes Chromium send `Origin: null`
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class LoginFormTokens:
    """The login form's CSRF token: the cookie's nonce, signed and dated."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="mikrobot-login")

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(24)

    def token_for(self, nonce: str) -> str:
        return self._serializer.dumps(nonce)

    def valid(self, token: str, nonce: str | None) -> bool:
        if not token or not nonce:
            return False
        try:
            signed = self._serializer.loads(token, max_age=LOGIN_FORM_SECONDS)
        except BadSignature:
            return False
        return isinstance(signed, str) and secrets.compare_digest(signed, nonce)


def same_token(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected.encode(), (given or "").encode())


def same_origin(request: Request) -> bool:
    """A state-changing request from our own pages: Origin (when sent) names this host."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    own = f"{request.url.scheme}://{request.url.netloc}"
    return origin == own


def secure_cookies(request: Request, configured: bool | None) -> bool:
    """Secure cookies behind TLS: as configured, or when this request came over https."""
    return configured if configured is not None else request.url.scheme == "https"


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a path on this site only (no `//host`, no scheme)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


Handler = Callable[[Request], Awaitable[Response]]


async def add_security_headers(request: Request, call_next: Handler) -> Response:
    """Every response: CSP, no framing, no sniffing; pages with case data are not cached."""
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response
