"""Delivering replies over SMTP: one kept connection, STARTTLS or implicit TLS, login.

Transient failures (connection loss, 4xx) are retried with tenacity; permanent ones
(5xx, bad credentials, untrusted certificates) fail fast, in the spirit of IMAPClient's
error tree. Passwords never appear in logs, errors or reprs.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_random,
)
from tenacity.stop import stop_base

from bot.replies.delivery import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from bot.sources.stopping import StopFlag

log = logging.getLogger(__name__)


StartTls = Literal["auto", "required", "never"]
_STARTTLS_MODES: dict[str, StartTls] = {"auto": "auto", "required": "required", "never": "never"}


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to submit: parsed from `smtp://user:pass@host:port?starttls=required`."""

    host: str
    port: int
    implicit_tls: bool
    starttls: StartTls
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        """`smtp://` (STARTTLS when offered; `?starttls=required|never`) or `smtps://`."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtps"):
            raise ValueError(f"not an smtp:// or smtps:// URL: {without_password(url)}")
        if not parts.hostname:
            raise ValueError(f"no host in {without_password(url)}")
        try:
            port = parts.port
        except ValueError as error:
            raise ValueError(f"bad port in {without_password(url)}") from error
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = set(query) - {"starttls"}
        if unknown:
            raise ValueError(f"unknown SMTP URL option(s): {sorted(unknown)}")
        starttls = _STARTTLS_MODES.get(query.get("starttls", ["auto"])[-1].lower())
        if starttls is None:
            raise ValueError("starttls must be auto, required or never")
        implicit_tls = scheme == "smtps"
        if implicit_tls and "starttls" in query:
            raise ValueError("smtps:// is TLS from the start: starttls does not apply")
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit_tls else 25),
            implicit_tls=implicit_tls,
            starttls="never" if implicit_tls else starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    def display(self) -> str:
        """The URL without the password, for logs and reprs."""
        user = f"{self.username}:***@" if self.username else ""
        query = f"?starttls={self.starttls}" if self.starttls != "auto" else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{user}{host}:{self.port}{query}"


def without_password(url: str) -> str:
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


class _StopWhenFlagSet(stop_base):
    """Stop retrying once `SmtpSender.stop()` has set its flag."""

    def __init__(self, flag: StopFlag) -> None:
        self.flag = flag

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.flag.is_set()


class SmtpSender:
    """Submits messages over one persistent SMTP connection, retrying what is transient.

    The connection is opened on first use, reused while it works, checked with NOOP
    after `idle_check_after` seconds of silence and reopened after a disconnect.
    Retries: exponential back-off from `wait_initial` up to `wait_max`, stopping after
    `attempts` tries or `deadline` seconds, whichever comes first; then the last
    `TemporaryDeliveryError` is raised for the outbox to schedule. Credentials are sent
    only over TLS. One instance serves one thread at a time (sends are serialised).
    """

    def __init__(
        self,
        url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
        attempts: int = 5,
        deadline: float = 120.0,
        wait_initial: float = 1.0,
        wait_max: float = 30.0,
        idle_check_after: float = 30.0,
        local_hostname: str | None = None,
        remember: int = 4_096,
        copy_to: str | None = None,
    ) -> None:
        self.target = SmtpTarget.from_url(url)
        self.copy_to = copy_to
        """An extra envelope recipient (the bot's own inbox, no header names it): the relay
        delivers that copy back, and its arrival proves the reply was accepted."""
        self._ssl_context = ssl_context
        self._timeout = timeout
        self._attempts = attempts
        self._deadline = deadline
        self._wait_initial = wait_initial
        self._wait_max = wait_max
        self._idle_check_after = idle_check_after
        self._local_hostname = local_hostname
        self._remember = remember
        self._connection: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._sent: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._stopping = StopFlag()  # set from a signal handler: a plain flag, no lock

    def __repr__(self) -> str:
        return f"SmtpSender({self.target.display()!r})"

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        message_id = str(message.get("Message-ID") or "")
        with self._lock:
            if message_id and message_id in self._sent:
                log.info("reply %s already sent by this process: not sent again", message_id)
                return
            retrying = Retrying(
                retry=retry_if_exception_type(TemporaryDeliveryError),
                stop=stop_after_attempt(self._attempts)
                | stop_after_delay(self._deadline)
                | _StopWhenFlagSet(self._stopping),
                sleep=self._wait_between_tries,
                wait=wait_exponential(multiplier=self._wait_initial, max=self._wait_max)
                + wait_random(0, self._wait_initial),
                before_sleep=self._log_retry,
                reraise=True,
            )
            retrying(self._send_once, message)
            if message_id:
                self._sent[message_id] = None
                while len(self._sent) > self._remember:
                    self._sent.popitem(last=False)
        log.info("reply %s handed to %s", message_id or "(no Message-ID)", self.target.display())

    def stop(self) -> None:
        """Abandon the retry wait in progress; the reply stays queued for the next run."""
        self._stopping.set()

    def _wait_between_tries(self, seconds: float) -> None:
        self._stopping.sleep(seconds)  # returns within a slice when `stop()` is called

    def close(self) -> None:
        """Say QUIT and drop the connection; the next `send` opens a new one."""
        with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                try:
                    connection.quit()
                except (smtplib.SMTPException, OSError):
                    connection.close()

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "SMTP %s, attempt %d failed (%s): retrying in %.1f s",
            self.target.display(),
            state.attempt_number,
            error,
            wait,
        )

    def _send_once(self, message: EmailMessage) -> None:
        try:
            connection = self._usable_connection()
            refused = connection.send_message(message, to_addrs=self._recipients(message))
        except DeliveryError:
            self._drop()
            raise
        except Exception as error:
            delivery_error, keep_connection = _classify(error)
            if not keep_connection:
                self._drop()
            raise delivery_error from error
        self._last_used = time.monotonic()
        if self.copy_to is not None and self.copy_to in refused:
            log.warning(
                "the relay refused the copy to %s: delivery cannot be confirmed", self.copy_to
            )
            del refused[self.copy_to]
        if refused:
            codes = ", ".join(str(code) for code, _ in refused.values())
            raise PermanentDeliveryError(f"some recipients refused ({codes}); the rest accepted")

    def _recipients(self, message: EmailMessage) -> list[str]:
        """The envelope: the header recipients (`Bcc` never exists on a reply) plus the copy."""
        fields = [str(v) for name in ("To", "Cc") for v in message.get_all(name, [])]
        addresses = [address for _, address in getaddresses(fields) if address]
        if self.copy_to is not None and self.copy_to not in addresses:
            addresses.append(self.copy_to)
        return addresses

    def delivered(self, message_id: str) -> bool | None:
        """SMTP cannot be asked afterwards whether the relay took a message: unknown."""
        return None

    def _usable_connection(self) -> smtplib.SMTP:
        connection = self._connection
        if connection is not None and time.monotonic() - self._last_used > self._idle_check_after:
            try:
                alive = connection.noop()[0] == 250
            except (smtplib.SMTPException, OSError):
                alive = False
            if not alive:
                log.info("SMTP connection to %s went stale: reconnecting", self.target.display())
                self._drop()
                connection = None
        if connection is None:
            connection = self._connect()
            self._connection = connection
            self._last_used = time.monotonic()
        return connection

    def _connect(self) -> smtplib.SMTP:
        target = self.target
        context = self._ssl_context or ssl.create_default_context()
        connection: smtplib.SMTP
        if target.implicit_tls:
            connection = smtplib.SMTP_SSL(
                target.host,
                target.port,
                local_hostname=self._local_hostname,
                timeout=self._timeout,
                context=context,
            )
        else:
            connection = smtplib.SMTP(
                target.host, target.port, local_hostname=self._local_hostname, timeout=self._timeout
            )
        try:
            connection.ehlo_or_helo_if_needed()
            encrypted = target.implicit_tls
            if not encrypted and target.starttls != "never":
                if connection.has_extn("starttls"):
                    connection.starttls(context=context)
                    connection.ehlo()
                    encrypted = True
                elif target.starttls == "required":
                    raise PermanentDeliveryError(
                        f"{target.display()} does not offer STARTTLS, and the URL requires it"
                    )
            if target.username is not None:
                if not encrypted:
                    raise PermanentDeliveryError(
                        f"refusing to send credentials to {target.display()} without TLS"
                    )
                connection.login(target.username, target.password or "")
        except BaseException:
            connection.close()
            raise
        log.info("SMTP connection to %s open", target.display())
        return connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def _classify(error: Exception) -> tuple[DeliveryError, bool]:
    """Map an smtplib/socket error to temporary or permanent, and whether the session lives on.

    5xx is permanent and 4xx temporary, wherever they come (greeting, AUTH, MAIL, RCPT,
    DATA); a lost connection is temporary; a certificate that does not verify, a missing
    extension or auth method is configuration: permanent. After a refused MAIL, RCPT or
    DATA smtplib has reset the session, so the connection is kept (unless the code is 421).
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        text = ", ".join(str(code) for code in codes)
        if codes and all(500 <= code < 600 for code in codes):
            return PermanentDeliveryError(f"recipient refused ({text})"), True
        return TemporaryDeliveryError(f"recipient deferred ({text})"), 421 not in codes
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        detail = error.smtp_error
        reply = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        session_lives = code != 421 and isinstance(
            error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError
        )
        kind = "refused" if 500 <= code < 600 else "deferred"
        text = f"{type(error).__name__}: {kind}, {code} {reply[:200]}"
        if 500 <= code < 600:
            return PermanentDeliveryError(text), session_lives
        return TemporaryDeliveryError(text), session_lives
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return TemporaryDeliveryError(f"connection lost: {error}"), False
    if isinstance(error, smtplib.SMTPException):  # no such extension or auth method
        return PermanentDeliveryError(f"{type(error).__name__}: {error}"), False
    if isinstance(error, ssl.SSLCertVerificationError):
        return PermanentDeliveryError(f"server certificate not trusted: {error}"), False
    if isinstance(error, OSError):  # refused, reset, timed out, TLS handshake broken
        return TemporaryDeliveryError(f"{type(error).__name__}: {error}"), False
    return PermanentDeliveryError(f"unexpected {type(error).__name__}: {error}"), False
