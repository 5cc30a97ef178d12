"""Faults injected into a running `mikrobot run`: each ends with every mail filed once and
every reply delivered once.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import time
from collections.abc import Callable
from typing import Literal

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
MAX_KILLS = 20


def test_sigkill_at_random_points_files_every_mail_once_and_delivers_every_reply_once(
    dovecot: DovecotServer,
    account: Account,
    smtp: tuple[Recorder, int],
    deployment: Deployment,
    start_bot: Callable[..., Bot],
) -> None:
    """SIGKILL at seeded random moments, restart after each, until all 200 mails are done.

    Filing is exactly once: the source key is unique, and a filed mail still in the inbox
    is only moved. Delivery is exactly once too. Each attempt is committed before it
    starts; a kill after the relay accepted a reply but before `mark_sent` committed leaves
    it pending with that mark, and the relay's copy to the bot's own inbox (as SSB's
    relay delivers mail for mikrodata@ssb.no) shows on restart that it went out. A reply
    whose attempt was cut off before the relay took it has no copy, and is sent after
    `delivery_copy_wait` (5 s here). The SMTP side counts every reply by its Message-ID.
    """
    recorder, port = smtp
    recorder.deliver_copies_to(dovecot, account)
    append_all(dovecot, account, [applicant_mail(n) for n in range(KILL_MAILS)])
    bot = start_bot(source_url(dovecot, account), port, idle="true")
    rng = random.Random(KILL_SEED)
    kills = cut_off_mid_send = 0
    started = time.monotonic()

    while kills < MAX_KILLS and not all_done(deployment, KILL_MAILS):
        bot.start()
        time.sleep(rng.uniform(0.5, 3.5))
        bot.kill()
        kills += 1
        cut_off_mid_send += len(
            deployment.query("SELECT id FROM outbox WHERE sending_since IS NOT NULL")
        )
    # A hang guard, not a speed target: two test processes share the two cores.
    run_to_completion(bot, deployment, KILL_MAILS, timeout=240, copies_back=True)
    elapsed = time.monotonic() - started

    expected_mails = {message_id(n): 1 for n in range(KILL_MAILS)}
    assert deployment.mails_per_message_id() == expected_mails
    assert set(deployment.outbox().values()) == {"sent"}
    assert recorder.replies_per_mail() == expected_mails
    assert recorder.reply_ids() == dict.fromkeys(deployment.outbox(), 1)
    recovered = deployment.query(
        "SELECT id FROM ticket_events WHERE action = 'reply_confirmed' AND detail LIKE '%recovered%'"
    )
    print(
        f"\nSIGKILL (seed {KILL_SEED}): {kills} kills over {KILL_MAILS} mails in {elapsed:.1f} s; "
        f"{cut_off_mid_send} cut a send off; {len(recovered)} of those had reached the relay "
        f"and were confirmed by their copy instead of sent again; 0 duplicate replies"
    )
    assert kills >= 10, "the schedule must interrupt the run many times"
    assert folder_counts(dovecot, account)["INBOX"] == 0
    assert deployment.confirmed_replies() == KILL_MAILS, "every copy came back and was matched"


def kill_mid_send(
    bot: Bot,
    recorder: Recorder,
    dovecot: DovecotServer,
    account: Account,
    stall: Literal["before_accepting", "after_accepting"],
) -> None:
    """One application in, the bot started, and SIGKILL while the relay holds its reply."""
    recorder.deliver_copies_to(dovecot, account)
    recorder.stall = stall
    dovecot.append(account, applicant_mail(0))
    bot.start()
    assert recorder.stalled.wait(30), bot.log_tail()
    bot.kill()
    recorder.stall = None


def test_killed_after_the_relay_took_the_reply_the_copy_proves_it_and_it_is_not_sent_again(
    dovecot: DovecotServer,
    account: Account,
    smtp: tuple[Recorder, int],
    deployment: Deployment,
    start_bot: Callable[..., Bot],
) -> None:
    """The window SMTP cannot close by itself: the relay has the reply, the 250 is on its
    way, the bot dies before `mark_sent`. The copy in the inbox settles it on restart."""
    recorder, port = smtp
    bot = start_bot(source_url(dovecot, account), port, idle="true", delivery_copy_wait="600")
    kill_mid_send(bot, recorder, dovecot, account, "after_accepting")
    assert deployment.query("SELECT status, sending_since IS NOT NULL FROM outbox") == [
        ("pending", 1)
    ]

    run_to_completion(bot, deployment, 1, timeout=30, copies_back=True)
    assert recorder.reply_ids() == dict.fromkeys(deployment.outbox(), 1)
    assert (
        len(deployment.query("SELECT id FROM ticket_events WHERE detail LIKE '%recovered%'")) == 1
    )
    assert "sending it again" not in bot.log_text()


def test_killed_before_the_relay_took_the_reply_it_is_sent_once_after_the_copy_wait(
    dovecot: DovecotServer,
    account: Account,
    smtp: tuple[Recorder, int],
    deployment: Deployment,
    start_bot: Callable[..., Bot],
) -> None:
    """Cut off before the relay took it: no copy can come back, so after `delivery_copy_wait`
    (5 s here) the reply is sent again — and arrives once."""
    recorder, port = smtp
    bot = start_bot(source_url(dovecot, account), port, idle="true")
    kill_mid_send(bot, recorder, dovecot, account, "before_accepting")
    cut_off = time.monotonic()
    assert recorder.delivered == []

    run_to_completion(bot, deployment, 1, timeout=30, copies_back=True)
    assert time.monotonic() - cut_off >= 5.0, "it waited for a copy before sending again"
    assert recorder.reply_ids() == dict.fromkeys(deployment.outbox(), 1)
    assert "no copy came back; sending it again" in bot.log_text()


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
