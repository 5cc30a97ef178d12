"""An IMAP server that sends a truncated message: the bot neither crashes nor files a fragment.

A proxy in front of the private Dovecot cuts the connection in the middle of the first
FETCH literal — what a server crash or a broken middlebox does. The source reconnects,
fetches again and the mail is filed once, whole. A message that is truncated in the
mailbox itself (the server stored half of it) is filed too, with the defect shown.
"""

# ruff: noqa: F811 - pytest fixtures imported from tests/sources/conftest.py
from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.replies.senders import FileSender
from bot.service import Service
from bot.settings import Settings
from bot.sources import open_source
from bot.store import Store
from bot.triage import TriageContext
from tests.conftest import make_mail
from tests.network import free_port
from tests.sources.conftest import FAST_BACKOFF, account, dovecot, imap_url  # noqa: F401
from tests.sources.dovecot import HOST, Account, DovecotServer
from tests.store.test_store import DPIA, FORM

LITERAL = b"BODY[] {"


class TruncatingProxy:
    """TCP proxy to Dovecot that, `cuts` times, forwards only the start of a FETCH literal
    and then drops both connections."""

    def __init__(self, upstream_port: int, cuts: int = 1) -> None:
        self.upstream_port = upstream_port
        self.cuts_left = cuts
        self.cut = 0
        self.port = free_port()
        self._server = socket.create_server((HOST, self.port))
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection((HOST, self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(
                target=self._pump_cutting, args=(upstream, client), daemon=True
            ).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                target.sendall(chunk)
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def _pump_cutting(self, source: socket.socket, target: socket.socket) -> None:
        seen = b""
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                seen = (seen + chunk)[-4096:]
                at = seen.find(LITERAL)
                if at >= 0 and self._take_a_cut():
                    keep = len(chunk) - (len(seen) - at) + len(LITERAL) + 200
                    target.sendall(chunk[: max(keep, 0)])
                    break  # the connection dies mid-literal
                target.sendall(chunk)
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def _take_a_cut(self) -> bool:
        with self._lock:
            if self.cuts_left <= 0:
                return False
            self.cuts_left -= 1
            self.cut += 1
            return True


@pytest.fixture
def proxied_service(
    tmp_path: Path, context: TriageContext, dovecot: DovecotServer, account: Account
) -> Iterator[tuple[Service, TruncatingProxy]]:
    proxy = TruncatingProxy(dovecot.imap_port)
    settings = Settings(
        source=imap_url(account, proxy.port),
        smtp=str(tmp_path / "outbox"),
        database=f"sqlite:///{tmp_path / 'mikrobot.db'}",
        raw_mail_dir=tmp_path / "mail",
    )
    source = open_source(settings.source, backoff=FAST_BACKOFF, timeout=10.0)
    store = Store.open(settings.database, settings.raw_mail_dir)
    service = Service(settings, context, source, store, FileSender(settings.smtp))
    yield service, proxy
    service.close()
    proxy.close()


def application() -> bytes:
    return make_mail("Vedlagt er søknaden og DPIA.", attachments=[FORM, DPIA])


def test_a_fetch_cut_off_mid_message_is_fetched_again_and_filed_once_and_whole(
    proxied_service: tuple[Service, TruncatingProxy],
    dovecot: DovecotServer,
    account: Account,
) -> None:
    service, proxy = proxied_service
    raw = application()
    dovecot.append(account, raw)

    stats = service.run(once=True)
    assert proxy.cut == 1, "the proxy did cut a FETCH short"
    assert stats.filed == 1
    (ticket,) = service.store.tickets()
    _, (mail,), _ = service.store.ticket(ticket.id)  # type: ignore[misc]
    stored = service.store.raw_mail.get(mail.sha256)
    assert (
        hashlib.sha256(stored.replace(b"\r\n", b"\n")).digest()
        == hashlib.sha256(raw.replace(b"\r\n", b"\n")).digest()
    ), "the whole message was filed, not the fragment"
    assert mail.error is None


def test_a_message_stored_truncated_on_the_server_is_filed_with_its_defect(
    proxied_service: tuple[Service, TruncatingProxy],
    dovecot: DovecotServer,
    account: Account,
) -> None:
    service, proxy = proxied_service
    proxy.cuts_left = 0
    raw = application()
    dovecot.append(account, raw[: len(raw) * 2 // 3])  # cut inside the DPIA's base64

    stats = service.run(once=True)
    assert stats.filed == 1
    (ticket,) = service.store.tickets()
    _, (mail,), _ = service.store.ticket(ticket.id)  # type: ignore[misc]
    verdict = mail.verdict
    problems = [verdict.get("error")] + [a.get("error") for a in verdict["attachments"]]
    defects = [r for r in verdict["evidence"]["rules"] if r.startswith("defect:")]
    assert any(problems) or defects, verdict
