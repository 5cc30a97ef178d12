"""Three mails complete one case on a real Dovecot and a real SMTP server.

An application with only the form is asked for two items; the answer carrying the DPIA is
asked for the one still missing; the answer carrying the variable list hears that the case
is complete. All three stay on one ticket, whether the applicant answers the bot's reply
(In-Reply-To), types the ticket reference into a new mail, or the relay delivers one of
the mails twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from tests.conftest import make_mail
from tests.e2e.conftest import Bot, Deployment, Recorder, source_url, wait_until
from tests.sources.dovecot import Account, DovecotServer
from tests.store.test_store import DPIA, FORM, SCRIPT

KARI = "Kari Nordmann <kari.nordmann@bergen.kommune.no>"


def reply_number(recorder: Recorder, n: int, bot: Bot) -> EmailMessage:
    """The `n`-th reply (1-based) the SMTP server received from the bot."""
    wait_until(
        lambda: len(recorder.messages()) >= n or not bot.running,
        20,
        f"reply {n} at the SMTP server",
        detail=bot.log_tail,
    )
    return recorder.messages()[n - 1]


def asked_for(reply: EmailMessage) -> list[str]:
    """The titles of the numbered items a reply asks for."""
    return re.findall(r"(?m)^\d\. (.+?)\s*$", reply.get_content().replace("\r\n", "\n"))


def follow_up(
    how: str, body: str, attachment: tuple[str, str, bytes], previous: EmailMessage, step: int
) -> bytes:
    """The applicant's next mail: an answer to the bot's reply, or a new mail naming the
    ticket reference the reply asked them to quote."""
    if how == "ticket_reference":
        return make_mail(
            f"{body}\n\nReferanse: {previous['X-Mikrobot-Ticket']}",
            subject=f"Ettersending {previous['X-Mikrobot-Ticket']}",
            sender=KARI,
            attachments=[attachment],
            message_id=f"<step-{step}@bergen.kommune.no>",
        )
    return make_mail(
        body,
        subject=str(previous["Subject"]),
        sender=KARI,
        attachments=[attachment],
        headers={
            "In-Reply-To": str(previous["Message-ID"]),
            "References": str(previous["Message-ID"]),
        },
        message_id=f"<step-{step}@bergen.kommune.no>",
    )


@pytest.mark.parametrize("how", ["in_reply_to", "ticket_reference", "delivered_twice"])
def test_three_mails_complete_one_case_on_one_ticket_with_a_right_reply_at_each_step(
    how: str,
    dovecot: DovecotServer,
    account: Account,
    smtp: tuple[Recorder, int],
    deployment: Deployment,
    start_bot: Callable[..., Bot],
) -> None:
    recorder, port = smtp
    bot = start_bot(source_url(dovecot, account), port)
    bot.start()

    dovecot.append(
        account,
        make_mail(
            "Vedlagt følger vår søknad om tilgang til mikrodata.",
            sender=KARI,
            attachments=[FORM],
            message_id="<step-1@bergen.kommune.no>",
        ),
    )
    first = reply_number(recorder, 1, bot)
    assert first["X-Mikrobot-Action"] == "request_missing"
    assert asked_for(first) == ["Variabellister", "Personvernkonsekvensutredning (DPIA)"]

    second_mail = follow_up("in_reply_to" if how == "delivered_twice" else how,
                            "Hei, her kommer personvernkonsekvensutredningen som manglet.", DPIA, first, 2)  # fmt: skip
    dovecot.append(account, second_mail)
    if how == "delivered_twice":
        dovecot.append(account, second_mail)
    second = reply_number(recorder, 2, bot)
    assert second["X-Mikrobot-Action"] == "request_missing"
    assert second["In-Reply-To"] == "<step-2@bergen.kommune.no>"
    assert asked_for(second) == ["Variabellister"]

    third_mail = follow_up(
        "in_reply_to" if how == "delivered_twice" else how,
        "Hei igjen, her er scriptet som definerer variablene vi trenger.",
        SCRIPT,
        second,
        3,
    )
    dovecot.append(account, third_mail)
    third = reply_number(recorder, 3, bot)
    assert third["X-Mikrobot-Action"] == "acknowledge"
    assert "ser ut til å være med" in third.get_content()

    wait_until(
        lambda: (
            len(deployment.query("SELECT id FROM mails")) == (4 if how == "delivered_twice" else 3)
        ),
        20,
        "every mail filed",
        detail=bot.log_tail,
    )
    assert bot.terminate(timeout=10) == 0, bot.log_tail()
    assert len(recorder.messages()) == 3, "one reply a mail, none for a second delivery"
    assert deployment.query("SELECT count(DISTINCT ticket_id) FROM mails") == [(1,)]
    ((status, missing),) = deployment.query("SELECT status, missing FROM tickets")
    assert status == "ready" and missing in ("[]", [])
    events = [row[0] for row in deployment.query("SELECT action FROM ticket_events")]
    assert events.count("opened") == 1
    assert events.count("delivered_again") == (1 if how == "delivered_twice" else 0)
