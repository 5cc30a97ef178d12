"""`mikrobot run` against a real Dovecot and a real SMTP server, polling and with IDLE."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import pytest

from tests.e2e.conftest import (
    BOT_ADDRESS,
    MIKROBOT,
    Bot,
    Deployment,
    Recorder,
    applicant_mail,
    folder_counts,
    message_id,
    source_url,
    wait_until,
)
from tests.sources.dovecot import Account, DovecotServer


@pytest.mark.parametrize("idle", ["false", "true"], ids=["polling", "idle"])
def test_appended_mail_is_filed_moved_and_answered_in_its_thread_then_sigterm_exits_cleanly(
    idle: str,
    dovecot: DovecotServer,
    account: Account,
    smtp: tuple[Recorder, int],
    deployment: Deployment,
    start_bot: Callable[..., Bot],
) -> None:
    """The whole path with nothing faked: the mail arrives while the bot already waits, and
    `mikrobot tickets` then lists the ticket it filed.

    Both waits are long (60 s) in the other mode, so a reply within seconds proves the mode
    under test noticed the mail: the poll in one case, the IDLE push in the other.
    """
    recorder, port = smtp
    recorder.deliver_copies_to(dovecot, account)
    poll_interval = "0.3" if idle == "false" else "60"
    bot = start_bot(
        source_url(dovecot, account),
        port,
        idle=idle,
        poll_interval=poll_interval,
        wait_timeout="60",
    )
    bot.start()
    time.sleep(1.0)  # past its first fetch of the empty inbox, into the wait under test
    assert bot.running, bot.log_tail()

    dovecot.append(account, applicant_mail(0))
    wait_until(
        lambda: len(recorder.delivered) >= 1 or not bot.running,
        10,
        "the reply at the SMTP server",
        detail=bot.log_tail,
    )
    wait_until(
        lambda: deployment.confirmed_replies() == 1 or not bot.running,
        10,
        "the relay's copy of the reply to come back and confirm it",
        detail=bot.log_tail,
    )
    started = time.monotonic()
    assert bot.terminate(timeout=10) == 0, bot.log_tail()
    assert time.monotonic() - started < 5, "SIGTERM must stop the bot promptly"

    (reply,) = recorder.messages()
    (delivered,) = recorder.delivered
    assert delivered.rcpt_tos == ["kari.nordmann.0@bergen.kommune.no", BOT_ADDRESS]
    assert reply["To"] == "kari.nordmann.0@bergen.kommune.no"
    assert reply["Bcc"] is None and reply["Cc"] is None, "the copy is in the envelope only"
    assert "mikrodata@ssb.no" in str(reply["From"])
    assert reply["In-Reply-To"] == message_id(0)
    assert message_id(0) in str(reply["References"]).split()
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["Subject"] == "Re: Søknad om tilgang til mikrodata"
    assert "Personvernkonsekvens" in reply.get_content() or "DPIA" in reply.get_content()

    assert deployment.mails_per_message_id() == {message_id(0): 1}
    assert list(deployment.outbox().values()) == ["sent"]
    folders = folder_counts(dovecot, account)
    assert folders["INBOX"] == 0
    assert folders["Triaged/new_application"] == 1
    assert folders["Triaged/sent"] == 1, "the copy is put away, not filed as a ticket"

    tickets = subprocess.run(
        [str(MIKROBOT), "tickets"], env=bot.env, capture_output=True, timeout=30, check=True
    )
    assert "MB-000001" in tickets.stdout.decode() and "new_application" in tickets.stdout.decode()
