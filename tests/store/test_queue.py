"""The work queue: every mail claimed by one worker, abandoned claims taken back."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.sources import SourceMail
from bot.store import Store, queue
from bot.triage import TriageContext
from tests.conftest import maildir_service, make_mail


def source_mail(n: int) -> SourceMail:
    return SourceMail(
        key=f"imap:test/INBOX:1:{n}",
        raw=make_mail(f"Mail nummer {n}."),
        folder="INBOX",
        uidvalidity=1,
        uid=n,
        received_at=datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
    )


def test_concurrent_workers_never_claim_the_same_mail(store: Store) -> None:
    for n in range(40):
        assert queue.enqueue(store, "test", source_mail(n), may_reply=True)
    claimed: dict[str, list[int]] = {}

    def worker(name: str) -> None:
        mine = claimed.setdefault(name, [])
        while batch := queue.claim(store, f"elsewhere:{name}", limit=3):
            mine.extend(mail.id for mail in batch)

    threads = [threading.Thread(target=worker, args=(str(n),)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = [mail_id for ids in claimed.values() for mail_id in ids]
    assert len(every) == len(set(every)) == 40


def test_new_mail_is_claimed_before_a_queued_backlog(store: Store) -> None:
    for n in range(1, 6):
        assert queue.enqueue(store, "test", source_mail(n), may_reply=False)  # before cut-off
    queue.enqueue(store, "test", source_mail(6), may_reply=True)  # arrived after the cut-off
    queue.enqueue(store, "test", source_mail(7), may_reply=True)

    (first,) = queue.claim(store, "elsewhere:1")
    assert first.source_key.endswith(":6") and first.may_reply
    taken = queue.claim(store, "elsewhere:1", limit=3)
    assert [m.source_key.rsplit(":", 1)[1] for m in taken] == ["7", "1", "2"]


def test_a_mail_seen_again_is_not_queued_twice(store: Store) -> None:
    assert queue.enqueue(store, "test", source_mail(1), may_reply=True)
    assert not queue.enqueue(store, "test", source_mail(1), may_reply=True)
    assert queue.known_keys(store, ["imap:test/INBOX:1:1", "imap:test/INBOX:1:2"]) == {
        "imap:test/INBOX:1:1"
    }


def test_a_claim_is_taken_back_when_stale_or_when_its_local_process_is_gone(
    store: Store,
) -> None:
    queue.enqueue(store, "test", source_mail(1), may_reply=True)
    (first,) = queue.claim(store, "elsewhere:1")
    assert queue.claim(store, "elsewhere:2") == [], "a fresh claim on another machine holds"
    (again,) = queue.claim(store, "elsewhere:2", stale_after=timedelta(0))
    assert again.id == first.id and again.attempts == 2

    dead_here = f"{socket.gethostname()}:999999999"  # no such process on this machine
    queue.enqueue(store, "test", source_mail(2), may_reply=True)
    (taken,) = queue.claim(store, dead_here)
    (retaken,) = queue.claim(store, "elsewhere:3")
    assert retaken.id == taken.id, "a claim by a dead local process is free at once"


def test_a_mail_that_keeps_stopping_workers_is_filed_unread_with_the_reason(
    tmp_path: Path, context: TriageContext
) -> None:
    service = maildir_service(tmp_path, context, max_attempts=1, claim_timeout=0)
    service.fetcher.try_start()
    queue.enqueue(service.store, service.fetcher.mailbox, source_mail(7), may_reply=True)
    assert queue.claim(service.store, "elsewhere:1")  # … and that worker died on it

    assert service.worker.work_waiting() == 1
    (ticket,) = service.store.tickets()
    _, (mail,), _ = service.store.ticket(ticket.id)  # type: ignore[misc]
    assert mail.error == "not triaged: the worker stopped 1 times on this mail"
    assert ticket.category == "other"
    assert queue.inbound_state(service.store, "imap:test/INBOX:1:7") == "filed"
    service.close()
