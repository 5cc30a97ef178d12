"""Two `mikrobot run --workers 2` processes, one PostgreSQL, one Dovecot: the scaled-out shape.

One process fetches the mailbox (it holds the advisory lock), the other stands by; the
workers of both claim mail with `FOR UPDATE SKIP LOCKED`. Killing the fetcher hands the
mailbox to the standby within seconds, and through it all every mail is filed once and
every reply delivered once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import (
    Bot,
    Deployment,
    Recorder,
    append_all,
    applicant_mail,
    folder_counts,
    message_id,
    source_url,
    wait_until,
)
from tests.sources.dovecot import Account, DovecotServer
from tests.store.conftest import _postgres_url, postgres_admin  # noqa: F401 - a fixture

FIRST, LATER = 80, 40


@pytest.fixture
def deployment(tmp_path: Path, postgres_admin: sa.Engine) -> Iterator[Deployment]:  # noqa: F811
    """The e2e deployment, on a fresh PostgreSQL database instead of SQLite."""
    for url in _postgres_url(postgres_admin):
        yield Deployment(tmp_path, tmp_path / "unused.db", url=url)


def fetcher_pid(deployment: Deployment) -> int | None:
    rows = deployment.query("SELECT fetcher FROM mailboxes")
    return int(str(rows[0][0]).rsplit(":", 1)[1]) if rows and rows[0][0] else None


def filed_everything(deployment: Deployment, count: int) -> bool:
    outbox = deployment.outbox()
    return (
        sum(deployment.mails_per_message_id().values()) >= count
        and len(outbox) >= count
        and set(outbox.values()) == {"sent"}
        and deployment.confirmed_replies() >= count
    )


def test_two_processes_on_one_postgres_file_each_mail_once_and_the_standby_takes_over(
    dovecot: DovecotServer,
    account: Account,
    smtp: tuple[Recorder, int],
    deployment: Deployment,
    start_bot: Callable[..., Bot],
) -> None:
    recorder, port = smtp
    recorder.deliver_copies_to(dovecot, account)
    append_all(dovecot, account, [applicant_mail(n) for n in range(FIRST)])
    url = source_url(dovecot, account)
    first, second = start_bot(url, port, idle="true"), start_bot(url, port, idle="true")
    first.start("--workers", "2")
    second.start("--workers", "2")
    wait_until(
        lambda: len(deployment.mails_per_message_id()) >= FIRST // 2,
        60,
        "half the mails filed",
        detail=lambda: first.log_tail() + "\n---\n" + second.log_tail(),
    )

    leader = fetcher_pid(deployment)
    assert first.process is not None and second.process is not None
    fetching, standing_by = (first, second) if leader == first.process.pid else (second, first)
    assert leader == fetching.process.pid  # type: ignore[union-attr]
    fetching.kill()  # SIGKILL: its database session, and the advisory lock, end with it
    killed_at = time.monotonic()
    append_all(dovecot, account, [applicant_mail(n) for n in range(FIRST, FIRST + LATER)])
    wait_until(
        lambda: fetcher_pid(deployment) == standing_by.process.pid,  # type: ignore[union-attr]
        15,
        "the standby to take the mailbox over",
        detail=standing_by.log_tail,
    )
    takeover = time.monotonic() - killed_at

    wait_until(
        lambda: filed_everything(deployment, FIRST + LATER) or not standing_by.running,
        120,
        "every mail filed, answered and its copy matched",
        detail=standing_by.log_tail,
    )
    assert standing_by.terminate(timeout=30) == 0, standing_by.log_tail()

    expected = {message_id(n): 1 for n in range(FIRST + LATER)}
    assert deployment.mails_per_message_id() == expected
    assert recorder.replies_per_mail() == expected
    assert recorder.reply_ids() == dict.fromkeys(deployment.outbox(), 1)
    claimers = deployment.query("SELECT DISTINCT claimed_by FROM inbound")
    runs = {str(claimer).rsplit("-of-", 1)[1] for (claimer,) in claimers}
    assert runs == {str(first.process.pid), str(second.process.pid)}, "both runs' workers triaged"
    assert folder_counts(dovecot, account)["INBOX"] == 0
    print(f"\nstandby took the mailbox over {takeover:.1f} s after the fetcher was killed")
    assert takeover < 10
