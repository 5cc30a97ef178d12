"""Connecting and logging in: TLS, STARTTLS, failing fast, retrying the transient, XOAUTH2."""

from __future__ import annotations

import imaplib
import logging
import socket
import ssl
import threading
import time
from typing import Any

import pytest
from imapclient.exceptions import CapabilityError, IMAPClientAbortError, LoginError

from bot.sources import (
    Backoff,
    SourceAuthError,
    SourceError,
    SourceStoppedError,
    SourceUnavailableError,
    open_source,
)
from bot.sources.imap import ImapSource
from bot.sources.imap_connection import create_client, is_transient
from bot.sources.imap_endpoint import ImapEndpoint
from tests.sources.conftest import FAST_BACKOFF, imap_url
from tests.sources.dovecot import HOST, make_message


def test_implicit_tls_with_the_servers_self_signed_certificate(dovecot, account, open_imap):
    dovecot.append(account, make_message("Søknad over TLS"))
    url = imap_url(account, dovecot.imaps_port, scheme="imaps")
    source = open_imap(url, ssl_context=dovecot.ssl_context())
    [mail] = source.fetch_new()
    assert b"TLS" in mail.raw


def test_starttls_on_the_plain_port(dovecot, account, open_imap):
    dovecot.append(account, make_message("Søknad over STARTTLS"))
    url = imap_url(account, dovecot.imap_port) + "?starttls=1"
    source = open_imap(url, ssl_context=dovecot.ssl_context())
    assert len(source.fetch_new()) == 1


def test_starttls_really_encrypts_the_connection(dovecot):
    client = create_client(
        HOST, dovecot.imap_port, security="starttls", ssl_context=dovecot.ssl_context(), timeout=5
    )
    try:
        assert isinstance(client.socket(), ssl.SSLSocket)
    finally:
        client.shutdown()


def test_untrusted_certificate_fails_fast_without_retrying(dovecot, account):
    url = imap_url(account, dovecot.imaps_port, scheme="imaps")
    source = open_source(url, backoff=Backoff(initial=5, cap=5), timeout=5)  # system CAs only
    started = time.monotonic()
    with pytest.raises(SourceError, match="certificate not trusted"):
        source.fetch_new()
    assert time.monotonic() - started < 4
    source.close()


def test_wrong_password_fails_fast_with_a_clear_error_and_one_attempt(dovecot, account):
    connects = []

    def counting_factory(*args: Any, **kwargs: Any) -> Any:
        connects.append(args)
        return create_client(*args, **kwargs)

    endpoint = ImapEndpoint(HOST, dovecot.imap_port, account.user, "wrong", security="plain")
    source = ImapSource(endpoint, backoff=Backoff(initial=5, cap=5), factory=counting_factory)
    started = time.monotonic()
    with pytest.raises(SourceAuthError, match=rf"login as '{account.user}' \(password\) refused"):
        source.fetch_new()
    assert time.monotonic() - started < 4
    assert len(connects) == 1
    source.close()


def test_password_never_appears_in_errors_logs_or_reprs(dovecot, account, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "hemmelig passord 123"
    source = open_source(
        f"imap://{account.user}:{secret.replace(' ', '%20')}@{HOST}:{dovecot.imap_port}/INBOX"
    )
    with pytest.raises(SourceAuthError) as raised:
        source.fetch_new()
    source.close()
    shown = [str(raised.value), repr(raised.value), repr(source), caplog.text]
    assert not [text for text in shown if "hemmelig" in text]


def test_unknown_folder_is_a_clear_error_not_a_retry_loop(dovecot, account):
    url = imap_url(account, dovecot.imap_port, folder="No such folder")
    source = open_source(url, backoff=Backoff(initial=5, cap=5))
    with pytest.raises(SourceError, match="cannot open the folder"):
        source.fetch_new()
    source.close()


def test_protocol_trace_is_off_so_fetched_bodies_are_not_formatted_for_logging(
    dovecot, account, open_imap, caplog
):
    caplog.set_level(logging.DEBUG, logger="imapclient")
    dovecot.append(account, make_message("Søknad", body="KJENNETEGN-I-TEKSTEN\n"))
    [mail] = open_imap().fetch_new()
    assert b"KJENNETEGN" in mail.raw
    assert "KJENNETEGN" not in caplog.text


def test_unreachable_server_gives_up_after_the_deadline(dovecot):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    endpoint = ImapEndpoint(HOST, port, "someone", "pw", security="plain", timeout=1)
    source = ImapSource(endpoint, backoff=Backoff(initial=0.05, cap=0.2, give_up_after=1.0))
    started = time.monotonic()
    with pytest.raises(SourceUnavailableError):
        source.fetch_new()
    assert 0.9 < time.monotonic() - started < 5


def test_stop_ends_a_reconnect_back_off(dovecot):
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    endpoint = ImapEndpoint(HOST, port, "someone", "pw", security="plain", timeout=1)
    source = ImapSource(endpoint, backoff=Backoff(initial=30, cap=30))
    threading.Timer(0.5, source.stop).start()
    started = time.monotonic()
    with pytest.raises(SourceStoppedError):
        source.fetch_new()
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionResetError(), True),
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (ssl.SSLError("bad record mac"), True),
        (IMAPClientAbortError("socket error: EOF"), True),
        (LoginError("b'[UNAVAILABLE] Temporary authentication failure.'"), True),
        (LoginError("b'[AUTHENTICATIONFAILED] Authentication failed.'"), False),
        (CapabilityError("Server does not support IDLE"), False),
        (imaplib.IMAP4.error("select failed: Mailbox doesn't exist"), False),
        (ssl.SSLCertVerificationError("certificate verify failed"), False),
        (ValueError("a bug"), False),
    ],
)
def test_what_counts_as_transient(error, transient):
    assert is_transient(error) is transient


class FakeOAuthServer:
    """Stands in for imapclient on the one path Dovecot does not test here: XOAUTH2."""

    def __init__(self) -> None:
        self.logins: list[tuple[str, ...]] = []

    def __call__(self, host: str, port: int, **_: Any) -> FakeOAuthServer:
        return self

    def oauth2_login(self, user: str, token: str) -> None:
        self.logins.append(("xoauth2", user, token))

    def login(self, user: str, password: str) -> None:
        self.logins.append(("login", user, password))

    def capabilities(self) -> tuple[bytes, ...]:
        return (b"IMAP4REV1", b"IDLE", b"MOVE")

    def list_folders(self, directory: str, pattern: str) -> list[Any]:
        return [((b"\\Noselect",), b"/", "")]

    def select_folder(self, folder: str) -> dict[bytes, int]:
        return {b"UIDVALIDITY": 7, b"EXISTS": 0}

    def noop(self) -> tuple[bytes, list[Any]]:
        return b"OK", []

    def search(self, criteria: Any) -> list[int]:
        return []

    def shutdown(self) -> None:
        self.logins.append(("shutdown",))

    def logout(self) -> None:
        pass


def test_oauth2_token_logs_in_with_xoauth2_and_asks_the_provider_at_every_login():
    server = FakeOAuthServer()
    tokens = iter(["token-1", "token-2"])
    endpoint = ImapEndpoint(
        "imap.example.no", 993, "mikrodata@ssb.no", oauth2_token=lambda: next(tokens)
    )
    source = ImapSource(endpoint, backoff=FAST_BACKOFF, factory=server)

    assert source.fetch_new() == []
    source._session._drop()  # as a lost connection would
    assert source.fetch_new() == []

    assert server.logins == [
        ("xoauth2", "mikrodata@ssb.no", "token-1"),
        ("shutdown",),
        ("xoauth2", "mikrodata@ssb.no", "token-2"),
    ]


def test_open_source_passes_the_oauth2_token_and_needs_no_password():
    source = open_source("imaps://mikrodata%40ssb.no@imap.example.no/INBOX", oauth2_token="tok3n")
    assert isinstance(source, ImapSource)
    assert source._endpoint.access_token() == "tok3n"
    assert "tok3n" not in repr(source._endpoint) + repr(source)


def test_open_source_refuses_imap_without_password_or_token():
    with pytest.raises(ValueError, match="no password"):
        open_source("imaps://mikrodata@imap.example.no/INBOX")
