"""End to end: `mikrobot run` as a real process against a private Dovecot and aiosmtpd.

The bot is started exactly as an operator would start it (`.venv/bin/mikrobot run`, env
vars only), talks to loopback servers the tests own, files into SQLite in a temporary
folder, and is stopped with SIGTERM (or killed with SIGKILL). Every wait is bounded and
every process a test starts is killed in a finalizer.
"""

from __future__ import annotations

import asyncio
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
from typing import Any, Literal

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.conftest import EVERY_MAIL_ANSWERED, REPO, make_mail
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

BOT_ADDRESS = "mikrodata@ssb.no"
"""The inbox's own address (`MIKROBOT_FROM`): replies come from it, copies come back to it."""

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
    """An aiosmtpd handler that records every accepted message; 451 while `refusing`.

    With `local_mailbox` set it is also the bot's own mail server: a copy addressed to
    `local_address` is stored there (as an MTA with local delivery would) before the 250.
    """

    delivered: list[Delivered] = field(default_factory=list)
    refusing: bool = False
    refused: int = 0
    local_address: str = BOT_ADDRESS
    local_mailbox: Callable[[bytes], None] | None = None
    stall: Literal["before_accepting", "after_accepting"] | None = None
    """Hold the next DATA without an answer — before or after taking the message — until
    `stall` is set back to None: the moment to kill the bot mid-send."""
    stalled: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.refusing:
            with self._lock:
                self.refused += 1
            return "451 4.3.0 Try again later"
        content = envelope.original_content or b""
        if self.stall == "before_accepting":
            await self._hold()
            return "451 4.4.2 Client went away before the message was taken"
        with self._lock:
            self.delivered.append(
                Delivered(str(envelope.mail_from), list(envelope.rcpt_tos), content, session.peer)
            )
        if self.local_mailbox is not None and self.local_address in envelope.rcpt_tos:
            self.local_mailbox(content)
        if self.stall == "after_accepting":
            await self._hold()
        return "250 Message accepted for delivery"

    async def _hold(self) -> None:
        self.stalled.set()
        while self.stall is not None:
            await asyncio.sleep(0.02)

    def deliver_copies_to(self, server: DovecotServer, user: Account) -> None:
        """Store copies for the bot's own address in `user`'s INBOX, as SSB's relay would."""
        self.local_mailbox = lambda raw: server.append(user, raw)

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


@contextlib.contextmanager
def smtp_server(recorder: Recorder) -> Iterator[int]:
    """`recorder` serving SMTP on a free loopback port (yielded) until the block ends."""
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    """A plain SMTP server on loopback and what it received; stopped after the test."""
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


# -- the bot process --------------------------------------------------------------------------


class Bot:
    """`mikrobot run` as a child process; each start appends its stderr to one log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        # A stop that hangs dumps every thread's stack into the log (`terminate`).
        self.env = {**env, "PYTHONFAULTHANDLER": "1"}
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
        """SIGTERM, then wait at most `timeout` seconds for the exit code. A process that
        does not stop in time gets SIGABRT, so the log says where each thread hung."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)  # faulthandler: every thread's stack
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            raise AssertionError(
                f"no exit {timeout:.0f} s after SIGTERM; where it hung:\n{self.log_tail(120)}"
            ) from None

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
    """Where one bot's state lives: its database, raw mail and log, all in tmp_path.

    The database is the SQLite file `database`, or the PostgreSQL database at `url`.
    """

    root: Path
    database: Path
    url: str | None = None

    @property
    def database_url(self) -> str:
        return self.url or f"sqlite:///{self.database}"

    def mails_per_message_id(self) -> Counter[str]:
        """`mails` rows per Message-ID: 1 everywhere means every mail was filed exactly once."""
        return Counter(str(row[0]) for row in self.query("SELECT message_id FROM mails"))

    def outbox(self) -> dict[str, str]:
        """Reply Message-ID → outbox status."""
        rows = self.query("SELECT message_id, status FROM outbox")
        return {str(mid): str(status) for mid, status in rows}

    def confirmed_replies(self) -> int:
        """Replies whose copy came back through the inbox (`outbox.confirmed_at` set)."""
        return len(self.query("SELECT id FROM outbox WHERE confirmed_at IS NOT NULL"))

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of `sql`, or none before the first migration has created the tables."""
        if self.url is not None:
            engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
            try:
                with engine.connect() as connection:
                    return [tuple(row) for row in connection.execute(sa.text(sql))]
            except sa.exc.ProgrammingError:  # no table before the first migration commits
                return []
            finally:
                engine.dispose()
        if not self.database.exists():
            return []
        with contextlib.closing(sqlite3.connect(self.database, timeout=30)) as db:
            try:
                return db.execute(sql).fetchall()
            except sqlite3.OperationalError:  # no table before the first migration commits
                return []


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
            MIKROBOT_DATABASE=deployment.database_url,
            MIKROBOT_RAW_MAIL_DIR=str(deployment.root / "raw"),
            MIKROBOT_CONFIG=str(deployment.root / "no-such-mikrobot.toml"),
            MIKROBOT_FROM=BOT_ADDRESS,
            MIKROBOT_DELIVERY_COPY_WAIT="5",
            MIKROBOT_REPLY_CUTOFF=EVERY_MAIL_ANSWERED,
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


def run_to_completion(
    bot: Bot, deployment: Deployment, count: int, timeout: float, *, copies_back: bool = False
) -> None:
    """Starts `bot` (unless running), waits until all `count` mails are done, SIGTERMs it.

    With `copies_back`, done also means every reply's copy came back and was matched.
    """
    if not bot.running:
        bot.start()

    def done() -> bool:
        return all_done(deployment, count) and (
            not copies_back or deployment.confirmed_replies() >= count
        )

    wait_until(
        lambda: done() or not bot.running,
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
