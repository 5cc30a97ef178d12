"""A real SMTP server on loopback (aiosmtpd), with a certificate made at test time.

The handler records what arrives and can be told to answer 4xx/5xx first, so the
sender's retry and failure paths run against the same server code production talks to.
"""

from __future__ import annotations

import ssl
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.network import free_port, write_self_signed_certificate

USER = "mikrobot"
PASSWORD = "s3cret p@ss:word"


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    peer: Any


@dataclass
class Inbox:
    """An aiosmtpd handler: collects envelopes; scripted replies go first, then 250."""

    rcpt_replies: deque[str] = field(default_factory=deque)
    data_replies: deque[str] = field(default_factory=deque)
    delivered: list[Delivered] = field(default_factory=list)
    rcpt_calls: int = 0
    data_calls: int = 0
    logins: list[tuple[bytes, bool]] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.rcpt_calls += 1
        if self.rcpt_replies:
            return self.rcpt_replies.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.data_calls += 1
        if self.data_replies:
            return self.data_replies.popleft()
        content = envelope.original_content or b""
        self.delivered.append(
            Delivered(str(envelope.mail_from), list(envelope.rcpt_tos), content, session.peer)
        )
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == USER.encode()
            and data.password == PASSWORD.encode()
        )
        self.logins.append((data.login if isinstance(data, LoginPassword) else b"", ok))
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for one day."""
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    write_self_signed_certificate(cert_path, key_path)
    return Certificate(cert_path, key_path)


ServerFactory = Callable[..., Controller]


@pytest.fixture
def smtp_server() -> Iterator[ServerFactory]:
    """Start aiosmtpd controllers on loopback; every one started is stopped afterwards."""
    started: list[Controller] = []

    def start(handler: Inbox, port: int | None = None, **options: Any) -> Controller:
        controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(), **options)
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        if controller._thread is not None:
            controller.stop()
