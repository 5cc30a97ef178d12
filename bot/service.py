"""The running bot: source → queue → triage → ticket → reply, and what keeps it running.

Two shapes, one flow. `Service` is the embedded default: one process fetches a batch,
files it, moves it and sends the replies (SQLite, Maildir, `make demo`). `WorkerPool`
is the scaled-out shape (`mikrobot run --workers N`, PostgreSQL): this process is the
mailbox's fetcher — while it holds the mailbox's lock; otherwise it stands by to take over
— and N worker processes claim the queued mail, from this machine or any other.

Each mail is queued durably before anything else happens to it, filed (ticket, history
and reply in one transaction) before it is moved out of the inbox, and each reply is
claimed before it is sent, so a crash at any point loses nothing and doubles nothing.
This module is the only one that knows every stage; none of them know it.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.synchronize
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Protocol

from bot.context import ContextWatch
from bot.fetcher import Fetcher, process_name
from bot.logs import configure_logging
from bot.replies.senders import Sender
from bot.settings import Settings
from bot.sources import MailSource
from bot.sources.stopping import SLICE_SECONDS, StopFlag
from bot.store import Store, queue
from bot.triage import TriageContext
from bot.verdict import Verdict
from bot.worker import Worker

log = logging.getLogger(__name__)

STANDBY_RETRY = 1.0
ARRIVALS_EVERY = 0.25
"""Seconds between the one-process service's looks for new mail while it files a queue:
one look (IMAP NOOP and UID SEARCH, or a Maildir scan) costs a few milliseconds."""
"""Seconds between a standby's tries at the mailbox lock: the takeover delay after a crash."""


@dataclass
class RunStats:
    """What one `run` did, for the summary line (this process's share only)."""

    fetched: int = 0
    filed: int = 0
    duplicates: int = 0
    backlog: int = 0
    replies_sent: int = 0
    replies_confirmed: int = 0
    replies_failed: int = 0
    by_category: dict[str, int] = field(default_factory=dict)


@dataclass
class Service:
    """The whole bot in one process: fetch a batch, file it, move it, send the replies."""

    settings: Settings
    context: TriageContext
    source: MailSource
    store: Store
    sender: Sender
    on_filed: Callable[[str, Verdict], None] | None = None
    """Called with the source key and verdict after each mail is filed (progress display)."""
    _stopping: bool = False
    _arrivals_next: float = 0.0

    def __post_init__(self) -> None:
        self.fetcher = Fetcher(self.settings, self.source, self.store)
        self.worker = Worker(
            self.settings,
            self.context,
            self.store,
            self.sender,
            name=process_name(),
            on_filed=self._filed,
            stopping=lambda: self._stopping,
            watch=ContextWatch(self.settings, self.store),
        )

    @property
    def stats(self) -> RunStats:
        fetched, worked = self.fetcher.stats, self.worker.stats
        return RunStats(
            fetched=fetched.fetched,
            filed=worked.filed,
            duplicates=fetched.duplicates,
            backlog=fetched.backlog,
            replies_sent=worked.replies_sent,
            replies_confirmed=fetched.replies_confirmed,
            replies_failed=worked.replies_failed,
            by_category=dict(worked.by_category),
        )

    def close(self) -> None:
        """Give up the mailbox and close the connections (after `run`, or instead of it)."""
        self.fetcher.release()
        self.source.close()
        self.sender.close()

    def reconfigure(self, settings: Settings) -> None:
        """New limits and addresses for the next mail (source, store and sender stay)."""
        self.settings = self.fetcher.settings = self.worker.settings = settings

    def _filed(self, key: str, verdict: Verdict) -> None:
        if self.on_filed is not None:
            self.on_filed(key, verdict)

    def stop(self) -> None:
        """Finish the mail in hand, then stop (safe from a signal handler)."""
        self._stopping = True
        self.source.stop()
        self.sender.stop()

    def run(self, *, once: bool = False) -> RunStats:
        """Process what is waiting; unless `once`, then wait for more until stopped.

        The inbox is read before the first delivery: copies of replies sent just before a
        crash wait there, and they decide which interrupted replies went out already.
        """
        self.worker.warm_up()
        try:
            while not self._stopping and not self.fetcher.try_start():
                if once:
                    log.warning("another process fetches %s: nothing to do", self.fetcher.mailbox)
                    return self.stats
                time.sleep(STANDBY_RETRY)
            while not self._stopping:
                while self.process_waiting_mail() and not self._stopping:
                    pass
                self.deliver_replies()
                if once or self._stopping:
                    break
                self.source.wait_for_mail(self.settings.wait_timeout)
        finally:
            self.fetcher.release()
        return self.stats

    def process_waiting_mail(self, batch: int = 100) -> int:
        """Queue, file, answer and move what the source holds now; returns how many mails
        it took.

        Everything waiting is queued before the first mail is filed, and between mails the
        source is asked (at most every `ARRIVALS_EVERY` seconds) for mail that arrived
        since: so a new mail is in the queue, ahead of the backlog (`queue.claim`), within
        one mail's triage — not after the whole backlog, and its reply goes out before the
        backlog's filing goes on (`Worker.work_waiting`). Replies go out before the mail is
        moved: the applicant waits on the one, nobody on the other.
        """
        taken = self._queue_waiting(batch)
        self._arrivals_next = time.monotonic() + ARRIVALS_EVERY
        if self.worker.work_waiting(between=lambda: self._take_arrivals(batch)):
            self.worker.deliver_replies()
        self.fetcher.move_filed()
        self.fetcher.tend_personal_data()  # held too long, or asked for (issue #11)
        return taken

    def _queue_waiting(self, batch: int) -> int:
        taken = 0
        while not self._stopping and (fetched := self.fetcher.fetch_waiting(batch)):
            taken += fetched
        return taken

    def _take_arrivals(self, batch: int) -> None:
        """Between two mails: queue what arrived meanwhile; else move what was filed."""
        if time.monotonic() < self._arrivals_next:
            return
        if self.source.wait_for_mail(0) and self._queue_waiting(batch):
            self._arrivals_next = time.monotonic()  # claim the new mail next, move later
            return
        self.fetcher.move_filed()
        self._arrivals_next = time.monotonic() + ARRIVALS_EVERY

    def deliver_replies(self) -> None:
        self.worker.deliver_replies()


class Stoppable(Protocol):
    def stop(self) -> None: ...


@dataclass
class WorkerPool:
    """`mikrobot run --workers N`: this process fetches (or stands by); N processes triage."""

    settings: Settings
    source: MailSource
    store: Store
    workers: int
    _stop: multiprocessing.synchronize.Event = field(
        default_factory=lambda: multiprocessing.get_context("spawn").Event()
    )

    def __post_init__(self) -> None:
        self.fetcher = Fetcher(self.settings, self.source, self.store)
        self._stopping = StopFlag()
        self._processes: list[multiprocessing.process.BaseProcess] = []

    @property
    def stats(self) -> RunStats:
        fetched = self.fetcher.stats
        return RunStats(
            fetched=fetched.fetched,
            duplicates=fetched.duplicates,
            backlog=fetched.backlog,
            replies_confirmed=fetched.replies_confirmed,
        )

    def stop(self) -> None:
        """Stop fetching and tell the workers (safe from a signal handler: it only sets a
        plain flag; the workers' shared event is set by `run`, never here, since setting it
        takes a lock the interrupted main thread may be holding)."""
        self._stopping.set()
        self.source.stop()

    def run(self, *, once: bool = False) -> RunStats:
        context = multiprocessing.get_context("spawn")
        for index in range(self.workers):
            process = context.Process(
                target=run_worker_process,
                args=(self.settings, self._stop, os.getpid(), index),
                name=f"mikrobot-worker-{index}",
            )
            process.start()
            self._processes.append(process)
        try:
            self._fetch_until_stopped(once)
        finally:
            self._stop.set()
            self.source.stop()
            for child in self._processes:
                child.join(timeout=60)
                if child.is_alive():
                    child.kill()
            self.fetcher.release()
        return self.stats

    def _fetch_until_stopped(self, once: bool) -> None:
        standing_by = False
        while not self._stopping.is_set():
            if not self.fetcher.try_start():
                if not standing_by:
                    log.info("another process fetches %s: standing by", self.fetcher.mailbox)
                    standing_by = True
                self._stopping.sleep(STANDBY_RETRY)
                continue
            standing_by = False
            taken = self.fetcher.fetch_waiting()
            moved = self.fetcher.move_filed()
            self.fetcher.tend_personal_data()  # held too long, or asked for (issue #11)
            if taken or moved:
                continue
            busy = queue.queue_depth(self.store) > 0
            if once and not busy and not self.store.pending_replies(limit=1):
                return
            # While workers are busy, look back often to move what they filed.
            self.source.wait_for_mail(0.5 if busy or once else self.settings.wait_timeout)


def run_worker_process(
    settings: Settings, stop: multiprocessing.synchronize.Event, parent: int, index: int
) -> None:
    """One triage worker process: claim, file, deliver, until stopped or orphaned."""
    from bot.context import load_triage_context
    from bot.replies.senders import sender_from_url
    from bot.store import RawMailStore, create_store_engine

    # SIGTERM reaches a worker too when systemd stops the whole unit. Its handler sets a
    # plain flag only: setting the shared event takes a lock this very thread may hold.
    terminated = StopFlag()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, lambda *_: terminated.set())
    configure_logging(logging.INFO, f"%(asctime)s worker-{index} %(message)s")

    def stopping() -> bool:
        # An orphan stops after its mail.
        return terminated.is_set() or stop.is_set() or os.getppid() != parent

    store = Store(create_store_engine(settings.database), RawMailStore(settings.raw_mail_dir))
    copy_to = settings.from_address if settings.delivery_copy else None
    sender = sender_from_url(settings.smtp, copy_to=copy_to)
    worker = Worker(
        settings,
        load_triage_context(settings, store=store),
        store,
        sender,
        name=f"{process_name()}/worker-{index}-of-{parent}",
        stopping=stopping,
        watch=ContextWatch(settings, store),
    )
    worker.warm_up()
    try:
        while not stopping():
            filed = worker.work_waiting()
            worker.deliver_replies()
            if not filed:
                _wait_for_stop(stop, terminated, settings.worker_poll_interval)
    finally:
        sender.close()
        store.engine.dispose()


def _wait_for_stop(
    stop: multiprocessing.synchronize.Event, terminated: StopFlag, seconds: float
) -> None:
    """Wait up to `seconds` for the parent's stop, in slices that also notice a SIGTERM."""
    deadline = time.monotonic() + seconds
    while not terminated.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0 or stop.wait(min(SLICE_SECONDS, remaining)):
            return


class StopOnSignals:
    """SIGTERM and SIGINT stop the service after the mail in hand.

    Installed before anything slow starts (loading the model takes a second), so a stop
    that arrives early is remembered and honoured as soon as the service exists.
    """

    def __init__(self) -> None:
        self.requested = False
        self._service: Stoppable | None = None
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def attach(self, service: Stoppable) -> None:
        self._service = service
        if self.requested:
            service.stop()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        log.warning("signal %s: stopping after the mail in hand", signal.Signals(signum).name)
        self.requested = True
        if self._service is not None:
            self._service.stop()


def open_source_and_store(settings: Settings) -> tuple[MailSource, Store]:
    """The configured source, and the store (migrated on open)."""
    from bot.sources import open_source

    token = settings.oauth2_token.get_secret_value() if settings.oauth2_token else None
    source = open_source(
        settings.source,
        done_action=settings.done_action,
        folder_template=settings.folder_template,
        poll_interval=settings.poll_interval,
        oauth2_token=token,
        idle=settings.idle,
    )
    return source, Store.open(settings.database, settings.raw_mail_dir)


def open_service(settings: Settings, context: TriageContext) -> Service:
    """Wire the configured source, store and sender for the one-process service."""
    from bot.replies.senders import sender_from_url

    source, store = open_source_and_store(settings)
    copy_to = settings.from_address if settings.delivery_copy else None
    return Service(
        settings, context, source, store, sender_from_url(settings.smtp, copy_to=copy_to)
    )
