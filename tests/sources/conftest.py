"""Fixtures for the source tests: one private Dovecot per session, an account per test.

Without Dovecot (`apt-get install dovecot-imapd`, done by `make install`) the IMAP tests
skip on a developer's machine and fail on CI (CI=true), so a missing server can never turn
into a silently green build.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from bot.sources import Backoff, MailSource, open_source
from tests.sources.dovecot import HOST, Account, DovecotServer, find_dovecot

FAST_BACKOFF = Backoff(initial=0.05, cap=0.5)
"""Reconnects in tests: quick, but still exponential and capped."""


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Dovecot is needed on CI: {reason}")
    pytest.skip(reason)


@contextlib.contextmanager
def private_dovecot(prefix: str, mail_format: str = "maildir") -> Iterator[DovecotServer]:
    """A started, checked Dovecot of its own, stopped and removed afterwards.

    Fails under CI=true and skips elsewhere when Dovecot cannot be had.
    """
    binary = find_dovecot()
    if binary is None:
        _unavailable("dovecot not installed (Debian: dovecot-imapd)")
    # Not pytest's tmp_path: its parents are private to this user, and Dovecot's mail
    # processes run as an unprivileged user when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix=prefix))
    server = DovecotServer(binary, root, mail_format)
    try:
        server.prepare()
        server.start()
        server.check()
    except Exception as error:
        server.stop()
        log = server.log_tail()
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"could not start a private Dovecot: {error}\n{log}")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    with private_dovecot("mikrobot-dovecot-") as server:
        yield server


@pytest.fixture
def account(dovecot: DovecotServer) -> Account:
    return dovecot.add_account()


def imap_url(
    account: Account, port: int, *, scheme: str = "imap", folder: str = "INBOX", host: str = HOST
) -> str:
    from urllib.parse import quote

    user, password = quote(account.user, safe=""), quote(account.password, safe="")
    return f"{scheme}://{user}:{password}@{host}:{port}/{quote(folder)}"


@pytest.fixture
def open_imap(dovecot: DovecotServer, account: Account) -> Iterator[Callable[..., MailSource]]:
    """Opens IMAP sources for this test's account (plain port unless told); closes them after."""
    opened: list[MailSource] = []

    def opener(url: str | None = None, **options: Any) -> MailSource:
        options.setdefault("backoff", FAST_BACKOFF)
        options.setdefault("timeout", 10.0)
        source = open_source(url or imap_url(account, dovecot.imap_port), **options)
        opened.append(source)
        return source

    yield opener
    for source in opened:
        source.close()
