"""One IMAP session that survives the network: connect, log in, select, and reconnect.

Its single job is keeping a logged-in, folder-selected imapclient connection available to
`imap.py`. `create_client` is the one place a connection is opened (tests point it at
loopback or swap it for a stand-in). `ImapSession.run` runs an operation on the
connection and, when the connection is lost, times out or the server restarts, drops it
and tries again on a fresh one with tenacity's exponential back-off. A refused login, a
missing capability, an untrusted certificate or a server "NO" fail at once instead.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError
from tenacity import Retrying, retry_if_exception, stop_after_delay, stop_never, wait_exponential

from bot.sources import (
    Backoff,
    SourceAuthError,
    SourceError,
    SourceStoppedError,
    SourceUnavailableError,
)
from bot.sources.imap_endpoint import ImapEndpoint, Security
from bot.sources.stopping import StopFlag

log = logging.getLogger(__name__)

T = TypeVar("T")


class ClientFactory(Protocol):
    """Opens a connection (TLS done, not logged in): the seam tests replace."""

    def __call__(
        self,
        host: str,
        port: int,
        *,
        security: Security,
        ssl_context: ssl.SSLContext | None,
        timeout: float,
    ) -> Any: ...


def create_client(
    host: str,
    port: int,
    *,
    security: Security,
    ssl_context: ssl.SSLContext | None,
    timeout: float,
) -> Any:
    """An `IMAPClient` connected to host:port, with TLS or STARTTLS done, not logged in.

    imaplib's protocol trace is switched off: imapclient sets it to level 5, which formats
    every line (message bodies included) for its debug logger — about 4× the cost of a fetch.
    Times are kept timezone-aware, as the server sent them.
    """
    client = IMAPClient(
        host, port=port, ssl=security == "tls", ssl_context=ssl_context, timeout=timeout
    )
    client._imap.debug = 0
    client.normalise_times = False
    if security == "starttls":
        try:
            client.starttls(ssl_context)
        except BaseException:
            client.shutdown()
            raise
    return client


def is_transient(error: BaseException) -> bool:
    """Worth a reconnect: lost connections, timeouts, TLS hiccups, a server going down.

    Not an untrusted certificate, a refused login (unless the server says `[UNAVAILABLE]`,
    RFC 5530's "try again later", which Dovecot sends while its auth service restarts),
    a missing capability, or a command the server answered with NO or BAD.
    """
    if isinstance(error, ssl.SSLCertVerificationError):
        return False
    if isinstance(error, LoginError):
        return "[UNAVAILABLE]" in str(error)
    return isinstance(error, IMAPClientAbortError | OSError)


class ImapSession:
    """A connection to one folder, opened on first use and re-opened after a failure."""

    def __init__(
        self,
        endpoint: ImapEndpoint,
        *,
        backoff: Backoff,
        stop: StopFlag,
        factory: ClientFactory = create_client,
    ) -> None:
        self.endpoint = endpoint
        self._backoff = backoff
        self._stop = stop
        self._factory = factory
        self._client: Any = None
        self.generation = 0
        """Counts successful connects, so a waiter can tell that a reconnect happened."""
        self.uidvalidity: int | None = None
        self.capabilities: frozenset[str] = frozenset()
        self.delimiter = "/"
        self._failures = 0
        self._failing_since = 0.0

    def run(self, operation: Callable[[Any], T], what: str) -> T:
        """`operation(client)` on a live connection, reconnecting and retrying while transient.

        The operation must be safe to repeat: it may run again on a new connection.
        """
        wait = wait_exponential(multiplier=self._backoff.initial, max=self._backoff.cap)
        give_up = self._backoff.give_up_after
        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            wait=wait,
            stop=stop_never if give_up is None else stop_after_delay(give_up),
            sleep=self._sleep,
            before_sleep=lambda state: self._note_failure(what, state.outcome),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    result = self._attempt(operation)
        except SourceStoppedError:
            raise
        except Exception as error:
            if not is_transient(error):
                raise
            log.error(
                "IMAP %s: gave up on %s after %d attempts", self.endpoint, what, 1 + self._failures
            )
            raise SourceUnavailableError(f"IMAP {self.endpoint} unreachable: {error}") from error
        if self._failures:
            elapsed = time.monotonic() - self._failing_since
            log.info(
                "IMAP %s: connection restored after %d failed attempts in %.1f s",
                self.endpoint,
                self._failures,
                elapsed,
            )
            self._failures = 0
        return result

    def folder_on_server(self, folder: str) -> str:
        """A configured folder name (`/` between levels) with the server's separator."""
        return folder.replace("/", self.delimiter) if self.delimiter else folder

    def close(self) -> None:
        """Log out politely; a dead connection is just closed."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:
            _shutdown(client)

    def _attempt(self, operation: Callable[[Any], T]) -> T:
        client = self._client if self._client is not None else self._connect()
        try:
            result = operation(client)
        except BaseException:
            self._drop()
            raise
        _forget_unsolicited(client)
        return result

    def _connect(self) -> Any:
        endpoint = self.endpoint
        try:
            client = self._factory(
                endpoint.host,
                endpoint.port,
                security=endpoint.security,
                ssl_context=endpoint.ssl_context,
                timeout=endpoint.timeout,
            )
        except ssl.SSLCertVerificationError as error:
            raise SourceError(
                f"IMAP {endpoint}: server certificate not trusted: {error}"
            ) from error
        try:
            self._login(client)
            self.capabilities = frozenset(
                c.decode("ascii", "replace").upper() for c in client.capabilities()
            )
            listing = client.list_folders("", "")
            self.delimiter = _delimiter(listing, self.delimiter)
            selected = client.select_folder(self.folder_on_server(endpoint.folder))
        except BaseException as error:
            _shutdown(client)
            if isinstance(error, IMAPClientError) and not is_transient(error):
                raise SourceError(f"IMAP {endpoint}: cannot open the folder: {error}") from error
            raise
        uidvalidity = int(selected[b"UIDVALIDITY"])
        if self.uidvalidity is not None and uidvalidity != self.uidvalidity:
            log.warning(
                "IMAP %s: UIDVALIDITY changed from %d to %d; all mail in the folder counts as new",
                endpoint,
                self.uidvalidity,
                uidvalidity,
            )
        self.uidvalidity = uidvalidity
        self.generation += 1
        self._client = client
        return client

    def _login(self, client: Any) -> None:
        endpoint = self.endpoint
        token = endpoint.access_token()
        try:
            if token is not None:
                client.oauth2_login(endpoint.username, token)
            else:
                client.login(endpoint.username, endpoint.password or "")
        except LoginError as error:
            if is_transient(error):
                raise
            how = "XOAUTH2" if token is not None else "password"
            raise SourceAuthError(
                f"IMAP {endpoint}: login as {endpoint.username!r} ({how}) refused: {error}"
            ) from None

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _shutdown(client)

    def _sleep(self, seconds: float) -> None:
        if self._stop.sleep(seconds):
            raise SourceStoppedError(f"IMAP {self.endpoint}: stopped while waiting to reconnect")

    def _note_failure(self, what: str, outcome: Any) -> None:
        """Logs the first failure of a streak as a warning and the rest at debug level."""
        error = outcome.exception() if outcome is not None else None
        self._failures += 1
        if self._failures == 1:
            self._failing_since = time.monotonic()
            log.warning(
                "IMAP %s: %s failed (%s: %s); reconnecting with back-off up to %.0f s",
                self.endpoint,
                what,
                type(error).__name__,
                error,
                self._backoff.cap,
            )
        else:
            log.debug("IMAP %s: attempt %d failed: %r", self.endpoint, self._failures, error)


def _delimiter(listing: Any, fallback: str) -> str:
    """The hierarchy separator from `LIST "" ""`; a flat server (NIL) keeps names as they are."""
    for _flags, delimiter, _name in listing or ():
        if delimiter is None:
            return ""
        return delimiter.decode() if isinstance(delimiter, bytes) else str(delimiter)
    return fallback


def _forget_unsolicited(client: Any) -> None:
    """Clears untagged responses no command claimed (EXISTS, EXPUNGE, FETCH …).

    imaplib keeps them in a dict that only grows while a connection lives; a bot that keeps
    one connection for weeks would hold every one. They are stale once a command is done.
    """
    responses = getattr(getattr(client, "_imap", None), "untagged_responses", None)
    if isinstance(responses, dict):
        responses.clear()


def _shutdown(client: Any) -> None:
    try:
        client.shutdown()
    except Exception as error:
        log.debug("closing an IMAP connection failed: %r", error)
