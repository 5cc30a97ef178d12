"""End to end: `mikrobot run` as a real process against a private Dovecot and aiosmtpd.

The bot is started exactly as an operator would start it (`.venv/bin/mikrobot run`, env
vars only), talks to loopback servers the tests own, files into SQLite in a temporary
folder, and is stopped with SIGTERM (or killed with SIGKILL). Every wait is bounded and
every process a test starts is killed in a finalizer.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.conftest import REPO, make_mail
from tests.network import free_port
from tests.replies.conftest import Delivered
from tests.sources.conftest import (  # the fixtures `account` and `dovecot` are re-exported
    account,  # noqa: F401
    dovecot,  # noqa: F401
    imap_url,
    private_dovecot,
)
from tests.sources.dovecot import Account, DovecotServer
from tests.store.test_store import DPIA, FORM, SCRIPT

MIKROBOT = Path(sys.executable).with_name("mikrobot")
"""The console script of the virtualenv running the tests: what `pip install` puts there."""


# -- the mails ------------------------------------------------------------------------------


def applicant_mail(n: int) -> bytes:
    """Mail number `n`: one of four kinds that are all answered, from its own sender.

    Each has its own sender (the per-sender daily reply limit never interferes), its own
    Message-ID (the key the SMTP side counts replies by) and its own case reference (no
    two mails join one thread).
    """
    sender = f"Kari Nordmann {n} <kari.nordmann.{n}@bergen.kommune.no>"
    reference = f"24/{10000 + n:05d}"
    kind = n % 4
    if kind == 0:
        raw = make_mail(
            "Vedlagt følger vår søknad om tilgang til mikrodata.",
            sender=sender,
            attachments=[FORM, SCRIPT],
        )
    elif kind == 1:
        raw = make_mail(
            "Vedlagt følger vår søknad om tilgang til mikrodata.",
            sender=sender,
            attachments=[FORM, SCRIPT, DPIA],
        )
    elif kind == 2:
        raw = make_mail(
            f"Vi ønsker å endre prosjektet vårt med saksnummer {reference}: vi trenger en ny "
            "variabel og forlenget prosjektperiode.",
            subject=f"Endringssøknad {reference}",
            sender=sender,
        )
    else:
        raw = make_mail(
            f"Vi bekrefter at dataene i prosjekt {reference} er slettet 12.02.2025.",
            subject=f"Bekreftelse på sletting {reference}",
            sender=sender,
        )
    message = email.message_from_bytes(raw, policy=email.policy.default)
    message.replace_header("Message-ID", message_id(n))
    return message.as_bytes(policy=email.policy.SMTP)


def message_id(n: int) -> str:
    return f"<e2e-{n}@bergen.kommune.no>"


# -- the SMTP side --------------------------------------------------------------------------


@dataclass
class Recorder:
    """An aiosmtpd handler that records every accepted message; 451 while `refusing`."""

    delivered: list[Delivered] = field(default_factory=list)
    refusing: bool = False
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.refusing:
            with self._lock:
                self.refused += 1
            return "451 4.3.0 Try again later"
        with self._lock:
            self.delivered.append(
                Delivered(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    envelope.original_content or b"",
                    session.peer,
                )
            )
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            contents = [d.content for d in self.delivered]
        parsed = [email.message_from_bytes(c, policy=email.policy.default) for c in contents]
        return [m for m in parsed if isinstance(m, EmailMessage)]

    def replies_per_mail(self) -> Counter[str]:
        """How many replies arrived for each mail, by the reply's In-Reply-To."""
        return Counter(str(m["In-Reply-To"]) for m in self.messages())

    def reply_ids(self) -> Counter[str]:
        """How often each reply (by its own Message-ID) arrived."""
        return Counter(str(m["Message-ID"]) for m in self.messages())


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    """A plain SMTP server on loopback and what it received; stopped after the test."""
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


# -- the bot process --------------------------------------------------------------------------


class Bot:
    """`mikrobot run` as a child process; each start appends its stderr to one log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, *args: str) -> None:
        """Start `mikrobot run` and return once it can be stopped cleanly."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        with self.log.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [str(MIKROBOT), "run", *args],
                env=self.env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        """Until this start has installed its SIGTERM handler (the first thing `run` does);
        before that SIGTERM still has its default action (see `handles_sigterm`)."""
        wait_until(
            lambda: self.handles_sigterm() or not self.running,
            timeout,
            "the bot to start",
            detail=self.log_tail,
        )
        assert self.running, self.log_tail()

    def handles_sigterm(self) -> bool:
        """Whether the process catches SIGTERM: its bit in SigCgt of /proc/PID/status.

        Exact where log lines are not: `mikrobot run` installs the handler right after
        `open_service`, and nothing it logs comes after that before the first fetch.
        """
        assert self.process is not None
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return False
        caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
        return bool(int(caught.split()[1], 16) >> (signal.SIGTERM - 1) & 1)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self, timeout: float = 10.0) -> int:
        """SIGTERM, then wait at most `timeout` seconds for the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL: no handler runs, no transaction is finished, nothing is closed."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


@dataclass
class Deployment:
    """Where one bot's state lives: its database, raw mail and log, all in tmp_path."""

    root: Path
    database: Path

    def mails_per_message_id(self) -> Counter[str]:
        """`mails` rows per Message-ID: 1 everywhere means every mail was filed exactly once."""
        if not self.database.exists():
            return Counter()
        with contextlib.closing(sqlite3.connect(self.database, timeout=30)) as db:
            try:
                rows = db.execute("SELECT message_id FROM mails").fetchall()
            except sqlite3.OperationalError:  # no table before the first migration commits
                return Counter()
        return Counter(str(row[0]) for row in rows)

    def outbox(self) -> dict[str, str]:
        """Reply Message-ID → outbox status."""
        if not self.database.exists():
            return {}
        with contextlib.closing(sqlite3.connect(self.database, timeout=30)) as db:
            try:
                rows = db.execute("SELECT message_id, status FROM outbox").fetchall()
            except sqlite3.OperationalError:  # no table before the first migration commits
                return {}
        return {str(mid): str(status) for mid, status in rows}


@pytest.fixture
def deployment(tmp_path: Path) -> Deployment:
    return Deployment(tmp_path, tmp_path / "mikrobot.db")


@pytest.fixture
def start_bot(deployment: Deployment) -> Iterator[Callable[..., Bot]]:
    """Makes bots for a source and an SMTP port; every bot still running is killed after."""
    bots: list[Bot] = []

    def make(source: str, smtp_port: int, **settings: str) -> Bot:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("MIKROBOT_") and key != "CI"
        }
        env.update(
            MIKROBOT_SOURCE=source,
            MIKROBOT_SMTP=f"smtp://127.0.0.1:{smtp_port}",
            MIKROBOT_DATABASE=f"sqlite:///{deployment.database}",
            MIKROBOT_RAW_MAIL_DIR=str(deployment.root / "raw"),
            MIKROBOT_CONFIG=str(deployment.root / "no-such-mikrobot.toml"),
            MIKROBOT_FROM="mikrodata@ssb.no",
            MIKROBOT_POLL_INTERVAL="0.3",
            MIKROBOT_WAIT_TIMEOUT="2",
            PYTHONUNBUFFERED="1",
        )
        env.update({f"MIKROBOT_{name.upper()}": value for name, value in settings.items()})
        bot = Bot(env, deployment.root / f"bot{len(bots)}.log")
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        bot.kill()


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, *, detail: Callable[[], str] = str
) -> None:
    """Polls `condition` every 50 ms; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{detail()}")
        time.sleep(0.05)


# -- a Dovecot a test may stop and start ------------------------------------------------------


@pytest.fixture
def own_dovecot() -> Iterator[DovecotServer]:
    """A private Dovecot for one test, so stopping it disturbs no other test's server."""
    with private_dovecot("mikrobot-e2e-dovecot-") as server:
        yield server


def source_url(server: DovecotServer, user: Account) -> str:
    return imap_url(user, server.imap_port)


def folder_counts(server: DovecotServer, user: Account) -> dict[str, int]:
    """Messages per folder of the account, folder names with '/' as the separator."""
    counts: dict[str, int] = {}
    with server.admin(user) as client:
        for flags, separator, name in client.list_folders():
            if b"\\Noselect" in flags or b"\\NonExistent" in flags:
                continue  # a parent that only exists as a level of the hierarchy
            sep = separator.decode() if isinstance(separator, bytes) else str(separator or "/")
            status: dict[Any, Any] = client.folder_status(name, ["MESSAGES"])
            counts[str(name).replace(sep, "/")] = int(status[b"MESSAGES"])
    return counts


def append_all(server: DovecotServer, user: Account, mails: list[bytes]) -> None:
    """APPENDs every mail over one connection, as a busy delivery agent would."""
    with server.admin(user) as client:
        for raw in mails:
            client.append("INBOX", raw)


def all_done(deployment: Deployment, count: int) -> bool:
    """`count` mails filed, a reply queued for each, and every reply marked sent."""
    outbox = deployment.outbox()
    return (
        sum(deployment.mails_per_message_id().values()) >= count
        and len(outbox) >= count
        and all(status == "sent" for status in outbox.values())
    )


def wait_for_filed(bot: Bot, deployment: Deployment, at_least: int) -> None:
    """Until the bot has filed `at_least` mails: the moment to disturb it mid-run."""
    wait_until(
        lambda: sum(deployment.mails_per_message_id().values()) >= at_least,
        20,
        f"the first {at_least} mails to be filed",
        detail=bot.log_tail,
    )


def run_to_completion(bot: Bot, deployment: Deployment, count: int, timeout: float) -> None:
    """Starts `bot` (unless running), waits until all `count` mails are done, SIGTERMs it."""
    if not bot.running:
        bot.start()
    wait_until(
        lambda: all_done(deployment, count) or not bot.running,
        timeout,
        "every mail filed and answered",
        detail=bot.log_tail,
    )
    assert bot.running, bot.log_tail()
    assert bot.terminate(timeout=10) == 0, bot.log_tail()


def assert_each_mail_filed_and_answered_once(
    deployment: Deployment, recorder: Recorder, count: int
) -> None:
    expected = {message_id(n): 1 for n in range(count)}
    assert deployment.mails_per_message_id() == expected
    assert recorder.replies_per_mail() == expected
    assert set(deployment.outbox().values()) == {"sent"}
