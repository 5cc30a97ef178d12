"""Where an IMAP mailbox is and how to log in: the `imap://` / `imaps://` setting, parsed.

Its single job is turning the `MIKROBOT_SOURCE` URL into an `ImapEndpoint` value and back
into a display form that never shows a secret. It opens no connection and imports no IMAP
library, so settings can be checked without a server.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

Security = Literal["tls", "starttls", "plain"]
"""`tls`: implicit TLS from the first byte (imaps); `starttls`: plain, then upgraded; `plain`."""

DEFAULT_PORTS: dict[Security, int] = {"tls": 993, "starttls": 143, "plain": 143}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_ENCODE_HINT = "percent-encode '/', '?', '#', '@' and ':' in user and password"


@dataclass(frozen=True)
class ImapEndpoint:
    """An IMAP account and folder; secrets are kept out of `repr` and `str`."""

    host: str
    port: int
    username: str
    password: str | None = field(default=None, repr=False)
    folder: str = "INBOX"
    """As configured, with `/` between levels; the server's separator is used on the wire."""
    security: Security = "tls"
    oauth2_token: str | Callable[[], str] | None = field(default=None, repr=False)
    """An XOAUTH2 access token, or a function returning a fresh one at every login."""
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)
    timeout: float = 60.0
    """Seconds for connecting and for each socket read before the connection counts as lost."""

    def __str__(self) -> str:
        scheme = "imaps" if self.security == "tls" else "imap"
        query = "?starttls=1" if self.security == "starttls" else ""
        user = quote(self.username, safe="")
        folder = quote(self.folder, safe="/")
        return f"{scheme}://{user}@{self.host}:{self.port}/{folder}{query}"

    def access_token(self) -> str | None:
        """The token to log in with now: providers are asked each time, as tokens expire."""
        token = self.oauth2_token
        return token() if callable(token) else token


def parse_imap_url(url: str) -> ImapEndpoint | None:
    """The endpoint an `imap://` or `imaps://` URL names; None for anything else (a path).

    Raises ValueError for a malformed IMAP URL, with a message that never quotes the URL,
    since a mistyped one may show part of its password.
    """
    scheme, separator, _ = url.partition("://")
    if not separator or scheme.lower() not in ("imap", "imaps"):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        raise ValueError(f"malformed IMAP URL ({_ENCODE_HINT})") from None
    if not host:
        raise ValueError("IMAP URL has no host")
    if parts.username is None or not parts.username:
        raise ValueError(f"IMAP URL for {host} has no user name")

    implicit_tls = scheme.lower() == "imaps"
    starttls = _starttls_option(parts.query, host)
    if implicit_tls and starttls:
        raise ValueError(f"IMAP URL for {host}: imaps:// is TLS already; drop ?starttls")
    security: Security = "tls" if implicit_tls else "starttls" if starttls else "plain"

    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    folder = unquote(path).strip("/") or "INBOX"
    password = None if parts.password is None else unquote(parts.password)
    return ImapEndpoint(
        host=host,
        port=port if port is not None else DEFAULT_PORTS[security],
        username=unquote(parts.username),
        password=password,
        folder=folder,
        security=security,
    )


def _starttls_option(query: str, host: str) -> bool:
    """The one query option: `starttls=1` (or true/yes/on); anything else is a typo to report."""
    options = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(options) - {"starttls"})
    if unknown:
        raise ValueError(f"IMAP URL for {host}: unknown option(s) {', '.join(unknown)}")
    values = options.get("starttls", [])
    if not values:
        return False
    value = values[-1].strip().lower()
    if value in _TRUE or value == "":
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"IMAP URL for {host}: starttls must be 1 or 0, not {value!r}")
