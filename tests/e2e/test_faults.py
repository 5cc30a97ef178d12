"""Faults injected into a running `mikrobot run`: each ends with every mail filed once and
every reply delivered once (or, for SIGKILL, once plus the resends the kills provably caused).
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable

from tests.e2e.conftest import (
    Bot,
    Deployment,
    Recorder,
    all_done,
    append_all,
    applicant_mail,
    assert_each_mail_filed_and_answered_once,
    folder_counts,
    message_id,
    run_to_completion,
    source_url,
    wait_for_filed,
    wait_until,
)
from tests.sources.dovecot import Account, DovecotServer

KILL_MAILS = 200
"""The issue's number. Measured here (2 cores): ~16 ms to file a mail, ~25 ms to send its
reply and commit `mark_sent`, ~1.1 s to start the bot; the whole test takes 15–30 s."""
KILL_SEED = int(os.environ.get("E2E_KILL_SEED", "20261127"))
"""Printed with the statistics; set E2E_KILL_SEED to replay or vary the kill schedule."""
MAX_KILLS = 30


def test_sigkill_at_random_points_loses_nothing_and_resends_only_replies_caught_mid_send(
    dovecot: DovecotServer,
    account: Account,
    smtp: tuple[Recorder, int],
    deployment: Deployment,
    start_bot: Callable[..., Bot],
) -> None:
    """SIGKILL at seeded random moments, restart after each, until all 200 mails are done.

    Filing is exactly once (the source key is unique and a filed mail still in the inbox
    is only moved). Delivery is at least once: a kill after the SMTP server accepted a
    reply and before `mark_sent` committed leaves it pending, and the next run sends it
    again. Such kills are counted exactly — a reply that arrived during the killed run
    while its outbox row still says pending once the process is dead — and each reply must
    have arrived once plus the kills that caught it there; anything more is a duplicate
    the service caused, and fails the test.
    """
    recorder, port = smtp
    append_all(dovecot, account, [applicant_mail(n) for n in range(KILL_MAILS)])
    bot = start_bot(source_url(dovecot, account), port, idle="true")
    rng = random.Random(KILL_SEED)
    caught_mid_send: Counter[str] = Counter()
    kills = kills_while_sending = 0
    started = time.monotonic()

    while kills < MAX_KILLS and not all_done(deployment, KILL_MAILS):
        arrived_before = recorder.reply_ids()
        bot.start()
        time.sleep(rng.uniform(0.0, 2.0))
        bot.kill()
        kills += 1
        pending = {mid for mid, status in deployment.outbox().items() if status == "pending"}
        if pending and recorder.delivered:
            kills_while_sending += 1  # the delivery phase had begun and was not over
        arrived_now = recorder.reply_ids()
        for reply_id in pending:
            if arrived_now[reply_id] > arrived_before[reply_id]:  # sent by this run, unmarked
                caught_mid_send[reply_id] += 1
    run_to_completion(bot, deployment, KILL_MAILS, timeout=60)
    elapsed = time.monotonic() - started

    expected_mails = {message_id(n): 1 for n in range(KILL_MAILS)}
    assert deployment.mails_per_message_id() == expected_mails
    assert set(deployment.outbox().values()) == {"sent"}
    assert set(recorder.replies_per_mail()) == set(expected_mails)
    arrived = recorder.reply_ids()
    assert dict(arrived) == {rid: 1 + caught_mid_send[rid] for rid in deployment.outbox()}
    duplicates = sum(arrived.values()) - len(arrived)
    print(
        f"\nSIGKILL (seed {KILL_SEED}): {kills} kills over {KILL_MAILS} mails in {elapsed:.1f} s, "
        f"{kills_while_sending} after delivery had begun with replies pending; "
        f"{sum(caught_mid_send.values())} caught a reply between SMTP accept and mark_sent; "
        f"{duplicates} duplicate replies delivered (same Message-ID as the first copy)"
    )
    assert folder_counts(dovecot, account)["INBOX"] == 0


def test_dovecot_stopped_and_started_mid_run_the_bot_reconnects_and_finishes(
    own_dovecot: DovecotServer,
    smtp: tuple[Recorder, int],
    deployment: Deployment,
    start_bot: Callable[..., Bot],
) -> None:
    """The IMAP server goes away while mail is being filed; nothing is lost or doubled.

    The server is killed (its whole process group) after the first mails are filed and
    started again on the same ports and maildir after 2 s; mail appended after the restart
    must be picked up too, so the bot's IDLE really came back.
    """
    recorder, port = smtp
    account = own_dovecot.add_account()
    first, later = 100, 20
    append_all(own_dovecot, account, [applicant_mail(n) for n in range(first)])
    bot = start_bot(source_url(own_dovecot, account), port, idle="true")
    bot.start()
    wait_for_filed(bot, deployment, at_least=10)
    own_dovecot.stop()
    filed_when_stopped = sum(deployment.mails_per_message_id().values())
    time.sleep(2.0)
    assert bot.running, bot.log_tail()
    own_dovecot.start()
    append_all(own_dovecot, account, [applicant_mail(n) for n in range(first, first + later)])

    run_to_completion(bot, deployment, first + later, timeout=60)
    assert filed_when_stopped < first, "the server must go away mid-run, not after it"
    assert_each_mail_filed_and_answered_once(deployment, recorder, first + later)
    assert folder_counts(own_dovecot, account)["INBOX"] == 0


def test_smtp_refusing_with_451_for_a_while_delays_every_reply_but_delivers_it_once(
    dovecot: DovecotServer,
    account: Account,
    smtp: tuple[Recorder, int],
    deployment: Deployment,
    start_bot: Callable[..., Bot],
) -> None:
    """A greylisting or overloaded relay: 451 at DATA until the sender has given up once.

    Both retry layers run: the sender's own back-off (5 attempts, ~16 s) and then the
    outbox's (the reply stays pending with its error and goes in a later round). Filing
    never waits on SMTP, and once the relay accepts, every reply arrives exactly once.
    """
    recorder, port = smtp
    count = 12
    recorder.refusing = True
    append_all(dovecot, account, [applicant_mail(n) for n in range(count)])
    bot = start_bot(source_url(dovecot, account), port, idle="true")
    bot.start()
    wait_until(
        lambda: "not sent yet" in bot.log_text() or not bot.running,
        40,
        "the sender to give up on its first round",
        detail=bot.log_tail,
    )
    assert recorder.delivered == []
    assert sum(deployment.mails_per_message_id().values()) == count
    with contextlib.closing(sqlite3.connect(deployment.database, timeout=10)) as db:
        attempts, error = db.execute(
            "SELECT attempts, last_error FROM outbox ORDER BY id LIMIT 1"
        ).fetchone()
    assert attempts == 1 and "451" in error
    recorder.refusing = False

    run_to_completion(bot, deployment, count, timeout=60)
    assert_each_mail_filed_and_answered_once(deployment, recorder, count)
    assert recorder.refused >= 5


def test_database_locked_for_two_seconds_mid_run_stalls_filing_without_losing_or_doubling(
    dovecot: DovecotServer,
    account: Account,
    smtp: tuple[Recorder, int],
    deployment: Deployment,
    start_bot: Callable[..., Bot],
) -> None:
    """Another process (a backup, a caseworker's tool) holds `BEGIN EXCLUSIVE` for 2 s while
    the bot files mail: the bot waits for the lock (SQLite busy timeout) and goes on."""
    recorder, port = smtp
    count = 100
    append_all(dovecot, account, [applicant_mail(n) for n in range(count)])
    bot = start_bot(source_url(dovecot, account), port, idle="true")
    bot.start()
    wait_for_filed(bot, deployment, at_least=10)
    with contextlib.closing(
        sqlite3.connect(deployment.database, timeout=10, isolation_level=None)
    ) as locker:
        locker.execute("BEGIN EXCLUSIVE")
        (filed_at_lock,) = locker.execute("SELECT count(*) FROM mails").fetchone()
        time.sleep(2.0)
        (filed_during_lock,) = locker.execute("SELECT count(*) FROM mails").fetchone()
        locker.execute("COMMIT")
    assert filed_at_lock == filed_during_lock < count, "the lock must land mid-run"
    assert bot.running, bot.log_tail()

    run_to_completion(bot, deployment, count, timeout=60)
    assert_each_mail_filed_and_answered_once(deployment, recorder, count)
    assert "Traceback" not in bot.log_text()


def test_sigterm_while_the_relay_refuses_exits_cleanly_and_the_next_run_sends_the_reply(
    dovecot: DovecotServer,
    account: Account,
    smtp: tuple[Recorder, int],
    deployment: Deployment,
    start_bot: Callable[..., Bot],
) -> None:
    """Stopping during SMTP retries must neither lose the reply nor hang the shutdown.

    Regression: `SmtpSender.send` used to sleep through its tenacity back-off (~16 s here,
    up to its 120 s deadline), so SIGTERM waited it out; the wait is now interruptible.
    """
    recorder, port = smtp
    count = 3
    recorder.refusing = True
    append_all(dovecot, account, [applicant_mail(n) for n in range(count)])
    bot = start_bot(source_url(dovecot, account), port, idle="true")
    bot.start()
    wait_until(lambda: recorder.refused >= 1, 20, "the first refused reply", detail=bot.log_tail)
    started = time.monotonic()
    assert bot.terminate(timeout=30) == 0, bot.log_tail()
    stopped_after = time.monotonic() - started
    print(f"\nSIGTERM during SMTP retries: exited after {stopped_after:.1f} s")
    assert recorder.delivered == []
    assert set(deployment.outbox().values()) == {"pending"}

    recorder.refusing = False
    run_to_completion(bot, deployment, count, timeout=60)
    assert_each_mail_filed_and_answered_once(deployment, recorder, count)
    assert stopped_after < 5, f"SIGTERM waited {stopped_after:.1f} s for the SMTP back-off"
