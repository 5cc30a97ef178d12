"""The fetcher on a real Dovecot: filed mail moved in batches, and the UID watermark.

A backlog must cost the same per mail at any size (issue #13): one UID MOVE per target
folder per batch instead of one per mail, and a fetch that asks only for the UIDs above
the highest one already queued. The commands are counted on the real imapclient
connection (a wrapper that passes every call through), never timed.
"""

# ruff: noqa: F811 - pytest fixtures imported from tests/sources/conftest.py
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.fetcher import Fetcher
from bot.settings import Settings
from bot.sources import Watermark
from bot.sources.imap import ImapSource
from bot.sources.imap_connection import create_client
from bot.sources.imap_endpoint import ImapEndpoint
from bot.store import Store, queue
from bot.store.models import InboundMail
from tests.sources.conftest import FAST_BACKOFF, account, dovecot, imap_url  # noqa: F401
from tests.sources.dovecot import HOST, Account, DovecotServer, make_message

CATEGORIES = ("new_application", "signed_offer", "other")


class CountingClient:
    """The real imapclient connection, counting the commands that matter here."""

    def __init__(self, client: Any, counts: Counter[str], searches: list[list[Any]]) -> None:
        self._client = client
        self._counts = counts
        self._searches = searches

    def move(self, messages: Any, folder: str) -> Any:
        self._counts["move"] += 1
        return self._client.move(messages, folder)

    def copy(self, messages: Any, folder: str) -> Any:
        self._counts["copy"] += 1
        return self._client.copy(messages, folder)

    def uid_expunge(self, messages: Any) -> Any:
        self._counts["uid_expunge"] += 1
        return self._client.uid_expunge(messages)

    def search(self, criteria: Any) -> Any:
        self._searches.append(list(criteria))
        return self._client.search(criteria)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class Bot:
    """One start of the bot's fetcher: its own IMAP connection, the store kept across."""

    def __init__(self, tmp_path: Path, url: str, endpoint: ImapEndpoint) -> None:
        self.counts: Counter[str] = Counter()
        self.searches: list[list[Any]] = []
        self.asked: list[str] = []
        """Source keys the fetcher's `known` callback was asked about."""

        def factory(*args: Any, **kwargs: Any) -> CountingClient:
            return CountingClient(create_client(*args, **kwargs), self.counts, self.searches)

        self.settings = Settings(
            source=url,
            smtp=str(tmp_path / "outbox"),
            database=f"sqlite:///{tmp_path / 'mikrobot.db'}",
            raw_mail_dir=tmp_path / "mail",
            reply_cutoff=None,
        )
        self.store = Store.open(self.settings.database, self.settings.raw_mail_dir)
        self.source = ImapSource(endpoint, backoff=FAST_BACKOFF, factory=factory)
        self.fetcher = Fetcher(self.settings, self.source, self.store)
        known = self.fetcher._queued_already

        def spy(keys: list[str]) -> set[str]:
            self.asked.extend(keys)
            return known(keys)

        self.fetcher._queued_already = spy  # type: ignore[method-assign]

    def fetch_all(self, batch: int = 100) -> int:
        taken = 0
        while fetched := self.fetcher.fetch_waiting(batch):
            taken += fetched
        return taken

    def file_all(self) -> None:
        """What the workers do, minus triage: every queued mail filed, categories in turn."""
        claimed = queue.claim(self.store, "test-worker", limit=10_000)
        for n, mail in enumerate(claimed):
            queue.mark_filed(self.store, mail.id, CATEGORIES[n % len(CATEGORIES)])

    def rows(self) -> list[InboundMail]:
        with self.store.session() as session:
            return list(session.scalars(select(InboundMail).order_by(InboundMail.id)))

    def close(self) -> None:
        self.fetcher.release()
        self.source.close()
        self.store.engine.dispose()


@pytest.fixture
def start_bot(
    tmp_path: Path, dovecot: DovecotServer, account: Account
) -> Iterator[Callable[..., Bot]]:
    started: list[Bot] = []

    def start(folder: str = "INBOX", host: str = HOST, port: int | None = None) -> Bot:
        if started:
            started[-1].close()  # a restart: the one before is gone
        port = port or dovecot.imap_port
        url = imap_url(account, port, folder=folder, host=host)
        endpoint = ImapEndpoint(
            host, port, account.user, account.password, folder=folder, security="plain"
        )
        bot = Bot(tmp_path, url, endpoint)
        started.append(bot)
        return bot

    yield start
    if started:
        started[-1].close()


def folders(dovecot: DovecotServer, account: Account) -> dict[str, list[int]]:
    """UIDs per selectable folder, seen from another connection (`/` between levels)."""
    with dovecot.admin(account) as client:
        found = {}
        for flags, delimiter, name in client.list_folders():
            if b"\\Noselect" not in flags:
                client.select_folder(name, readonly=True)
                found[name.replace(delimiter.decode(), "/")] = sorted(client.search(["ALL"]))
        return found


def test_filed_mail_is_moved_with_one_uid_move_per_folder_and_each_new_uid_recorded(
    dovecot: DovecotServer, account: Account, start_bot: Callable[..., Bot]
) -> None:
    for n in range(30):
        dovecot.append(account, make_message(f"Søknad {n}"))
    bot = start_bot()
    assert bot.fetch_all() == 30
    bot.file_all()

    assert bot.fetcher.move_filed() == 30

    assert bot.counts["move"] == len(CATEGORIES)
    where = folders(dovecot, account)
    assert where["INBOX"] == []
    rows = bot.rows()
    assert all(row.done_at is not None for row in rows)
    for category in CATEGORIES:
        folder = f"Triaged/{category}"
        recorded = sorted(row.moved_uid for row in rows if row.moved_folder == folder)  # type: ignore[type-var]
        assert len(recorded) == 10 and recorded == where[folder]


def test_without_move_a_batch_is_copied_flagged_and_expunged_by_uid_once_per_folder(
    dovecot: DovecotServer, account: Account, start_bot: Callable[..., Bot]
) -> None:
    if dovecot.limited_port is None:
        pytest.skip("127.0.0.2 cannot be bound here")
    someone_elses = dovecot.append(account, make_message("Slettet av saksbehandler"))
    with dovecot.admin(account) as client:  # \Deleted by a person, not expunged
        client.select_folder("INBOX")
        client.add_flags([someone_elses], [b"\\Deleted"])
    for n in range(9):
        dovecot.append(account, make_message(f"Søknad {n}"))
    bot = start_bot(host="127.0.0.2", port=dovecot.limited_port)
    assert bot.fetch_all() == 9
    bot.file_all()

    assert bot.fetcher.move_filed() == 9

    assert (bot.counts["move"], bot.counts["copy"], bot.counts["uid_expunge"]) == (0, 3, 3)
    where = folders(dovecot, account)
    assert where["INBOX"] == [someone_elses]
    assert sum(len(where[f"Triaged/{c}"]) for c in CATEGORIES) == 9
    assert {row.moved_uid for row in bot.rows()} >= set(where["Triaged/other"])


def test_a_crash_between_the_move_and_its_recording_moves_nothing_twice(
    dovecot: DovecotServer, account: Account, start_bot: Callable[..., Bot]
) -> None:
    for n in range(6):
        dovecot.append(account, make_message(f"Søknad {n}"))
    bot = start_bot()
    bot.fetch_all()
    bot.file_all()
    done = queue.done_at_source(bot.store, bot.fetcher.mailbox)
    bot.source.mark_done_many([(item.mail, item.category) for item in done])  # then "crash"
    moved = bot.counts["move"]

    bot = start_bot()
    assert bot.fetcher.try_start()
    assert bot.fetcher.move_filed() == 6

    assert bot.counts["move"] == 0 and moved == len(CATEGORIES)
    assert all(row.done_at is not None for row in bot.rows())
    where = folders(dovecot, account)
    assert where["INBOX"] == [] and sum(map(len, where.values())) == 6
    assert queue.done_at_source(bot.store, bot.fetcher.mailbox) == []


def test_the_uid_watermark_survives_a_restart_so_queued_mail_is_never_listed_again(
    dovecot: DovecotServer, account: Account, start_bot: Callable[..., Bot]
) -> None:
    first = [dovecot.append(account, make_message(f"Søknad {n}")) for n in range(5)]
    bot = start_bot()
    assert bot.fetch_all(batch=2) == 5  # queued, not filed: all five stay in the INBOX
    with dovecot.admin(account) as client:
        uidvalidity = client.select_folder("INBOX")[b"UIDVALIDITY"]
    assert queue.fetch_mark(bot.store, bot.fetcher.mailbox) == Watermark(uidvalidity, first[-1])

    later = [dovecot.append(account, make_message(f"Ny søknad {n}")) for n in range(2)]
    bot = start_bot()
    assert bot.fetch_all() == 2

    assert [row.uid for row in bot.rows()] == first + later  # nothing lost, nothing twice
    assert not any(key.endswith(f":{uid}") for key in bot.asked for uid in first)
    uid_ranges = [c[c.index("UID") + 1] for c in bot.searches if "UID" in c]
    assert uid_ranges[0] == f"{first[-1] + 1}:*"  # from the stored mark, then from its own
    assert all(int(r.split(":")[0]) > first[-1] for r in uid_ranges)
    assert queue.fetch_mark(bot.store, bot.fetcher.mailbox) == Watermark(uidvalidity, later[-1])


def test_a_new_uidvalidity_resets_the_watermark_and_every_mail_in_the_folder_is_fetched(
    dovecot: DovecotServer, account: Account, start_bot: Callable[..., Bot]
) -> None:
    with dovecot.admin(account) as client:
        client.create_folder("Applications")
    old = [make_message(f"Søknad {n}") for n in range(3)]
    for raw in old:
        dovecot.append(account, raw, folder="Applications")
    bot = start_bot(folder="Applications")
    assert bot.fetch_all() == 3
    before = queue.fetch_mark(bot.store, bot.fetcher.mailbox)
    assert before is not None and before.uid == 3
    bot.close()

    with dovecot.admin(account) as client:  # recreated: Dovecot gives it a new UIDVALIDITY
        client.delete_folder("Applications")
        client.create_folder("Applications")
    again = [*old[:2], make_message("Ny søknad")]  # two restored, one new: UIDs 1, 2, 3
    for raw in again:
        dovecot.append(account, raw, folder="Applications")
    bot = start_bot(folder="Applications")

    assert bot.fetch_all() == 3  # below the old mark's UID 3, yet none is skipped
    after = queue.fetch_mark(bot.store, bot.fetcher.mailbox)
    assert after is not None and after.uidvalidity != before.uidvalidity and after.uid == 3
    keys = [row.source_key for row in bot.rows()]
    assert len(keys) == len(set(keys)) == 6  # the old keys once each, the new keys once each

    bot = start_bot(folder="Applications")
    assert bot.fetch_all() == 0 and len(bot.rows()) == 6
