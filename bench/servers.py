"""The loopback servers the service benchmarks run against, borrowed from the test suite.

A private Dovecot (`tests/sources/conftest.py::private_dovecot`), the e2e suite's aiosmtpd
`Recorder` (which also delivers the relay's copy of each reply back into the inbox, as
SSB's relay would), and a fresh PostgreSQL database (`tests/store/conftest.py`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.e2e.conftest import Recorder
from tests.e2e.conftest import smtp_server as serve_smtp
from tests.sources.conftest import imap_url, private_dovecot
from tests.sources.dovecot import Account, DovecotServer
from tests.store.conftest import POSTGRES_ADMIN_URL, _postgres_url


@dataclass
class TimedRecorder(Recorder):
    """The e2e `Recorder`, also noting when each reply arrived (by its In-Reply-To)."""

    arrived: dict[str, float] = field(default_factory=dict)

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        now = time.monotonic()
        answer = await super().handle_DATA(server, session, envelope)
        content = envelope.original_content or b""
        head = content.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
        for line in head.splitlines():
            if line.lower().startswith("in-reply-to:"):
                self.arrived.setdefault(line.split(":", 1)[1].strip(), now)
        return answer


@contextmanager
def smtp_server() -> Iterator[tuple[TimedRecorder, int]]:
    recorder = TimedRecorder()
    with serve_smtp(recorder) as port:
        yield recorder, port


@contextmanager
def dovecot(mail_format: str = "maildir") -> Iterator[DovecotServer]:
    with private_dovecot("mikrobot-bench-dovecot-", mail_format) as server:
        yield server


def source_url(server: DovecotServer, account: Account) -> str:
    return imap_url(account, server.imap_port)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database's URL, dropped afterwards."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        urls = _postgres_url(admin)
        url = next(urls)
        try:
            yield url
        finally:
            next(urls, None)
    finally:
        admin.dispose()


def postgres_available() -> bool:
    engine = sa.create_engine(POSTGRES_ADMIN_URL)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()
