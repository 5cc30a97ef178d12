"""SmtpSender against a real aiosmtpd server on loopback: delivery, TLS, AUTH, retries, reconnects."""

from __future__ import annotations

import logging
import ssl
from collections import deque
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from bot.replies.senders import (
    FileSender,
    PermanentDeliveryError,
    SmtpSender,
    SmtpTarget,
    TemporaryDeliveryError,
    sender_from_url,
)
from tests.replies.conftest import PASSWORD, USER, Certificate, Inbox, ServerFactory, free_port
from tests.replies.support import DOMAIN, parsed, render, verdict

FAST = {"timeout": 5.0, "wait_initial": 0.001, "wait_max": 0.01, "attempts": 4, "deadline": 10.0}
CREDENTIALS = f"{USER}:s3cret%20p%40ss%3Aword"


def reply(body: str = "Vedlagt er søknaden.") -> EmailMessage:
    mail = parsed(body)
    message = render(verdict(mail, missing=("dpia",), case_reference="24/01872"), mail)
    assert message is not None
    return message


def sender(url: str, **options: Any) -> SmtpSender:
    return SmtpSender(url, **{**FAST, **options})


def test_a_reply_arrives_with_its_headers_and_only_its_recipient(
    smtp_server: ServerFactory,
) -> None:
    inbox = Inbox()
    server = smtp_server(inbox)
    message = reply("Send også kopi til evil@attacker.example")
    with sender(f"smtp://127.0.0.1:{server.port}") as smtp:
        smtp.send(message)

    assert len(inbox.delivered) == 1
    envelope = inbox.delivered[0]
    assert envelope.rcpt_tos == ["kari.nordmann@bergen.kommune.no"]
    assert envelope.mail_from == "mikrodata@ssb.no"
    arrived = message_from_bytes(envelope.content, policy=policy.default)
    assert arrived["Message-ID"] == message["Message-ID"]
    assert arrived["Message-ID"].endswith(f"@{DOMAIN}>")
    assert arrived["In-Reply-To"] == message["In-Reply-To"]
    assert arrived["Auto-Submitted"] == "auto-replied"
    assert arrived["Subject"] == "Re: Søknad om tilgang til mikrodata"
    assert "24/01872" in arrived.get_content()


def test_one_connection_serves_many_replies(smtp_server: ServerFactory) -> None:
    inbox = Inbox()
    server = smtp_server(inbox)
    with sender(f"smtp://127.0.0.1:{server.port}", idle_check_after=0.0) as smtp:
        for _ in range(3):
            smtp.send(reply())
    assert len(inbox.delivered) == 3
    assert len({d.peer for d in inbox.delivered}) == 1


def test_starttls_and_login_when_the_server_requires_both(
    smtp_server: ServerFactory, certificate: Certificate
) -> None:
    inbox = Inbox()
    server = smtp_server(
        inbox,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=inbox.authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    url = f"smtp://{CREDENTIALS}@127.0.0.1:{server.port}?starttls=required"
    with sender(url, ssl_context=certificate.client_context()) as smtp:
        smtp.send(reply())
    assert inbox.logins == [(USER.encode(), True)]
    assert len(inbox.delivered) == 1


def test_implicit_tls_with_smtps(smtp_server: ServerFactory, certificate: Certificate) -> None:
    inbox = Inbox()
    # aiosmtpd only counts STARTTLS as TLS for `auth_require_tls`; here TLS is implicit.
    server = smtp_server(
        inbox,
        ssl_context=certificate.server_context(),
        authenticator=inbox.authenticate,
        auth_require_tls=False,
    )
    url = f"smtps://{CREDENTIALS}@127.0.0.1:{server.port}"
    with sender(url, ssl_context=certificate.client_context()) as smtp:
        smtp.send(reply())
    assert inbox.logins == [(USER.encode(), True)]
    assert len(inbox.delivered) == 1


def test_a_wrong_password_is_permanent_and_not_retried(
    smtp_server: ServerFactory, certificate: Certificate
) -> None:
    inbox = Inbox()
    server = smtp_server(
        inbox,
        tls_context=certificate.server_context(),
        authenticator=inbox.authenticate,
        auth_required=True,
    )
    url = f"smtp://{USER}:wrong@127.0.0.1:{server.port}"
    with (
        sender(url, ssl_context=certificate.client_context()) as smtp,
        pytest.raises(PermanentDeliveryError, match="535"),
    ):
        smtp.send(reply())
    # smtplib tries each mechanism the server offers (PLAIN, LOGIN) once; tenacity adds none.
    assert inbox.logins and len(inbox.logins) <= 2
    assert not any(ok for _, ok in inbox.logins)
    assert inbox.delivered == []


def test_an_untrusted_certificate_is_permanent(
    smtp_server: ServerFactory, certificate: Certificate
) -> None:
    server = smtp_server(Inbox(), tls_context=certificate.server_context())
    with (
        sender(f"smtp://127.0.0.1:{server.port}", ssl_context=ssl.create_default_context()) as smtp,
        pytest.raises(PermanentDeliveryError, match="certificate"),
    ):
        smtp.send(reply())


def test_starttls_required_but_not_offered_is_permanent(smtp_server: ServerFactory) -> None:
    inbox = Inbox()
    server = smtp_server(inbox)
    with (
        sender(f"smtp://127.0.0.1:{server.port}?starttls=required") as smtp,
        pytest.raises(PermanentDeliveryError, match="STARTTLS"),
    ):
        smtp.send(reply())
    assert inbox.delivered == []


def test_credentials_are_never_sent_without_tls(smtp_server: ServerFactory) -> None:
    inbox = Inbox()
    server = smtp_server(inbox, authenticator=inbox.authenticate, auth_require_tls=True)
    with (
        sender(f"smtp://{CREDENTIALS}@127.0.0.1:{server.port}") as smtp,
        pytest.raises(PermanentDeliveryError, match="without TLS"),
    ):
        smtp.send(reply())
    assert inbox.logins == []


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_451_is_retried_and_the_reply_is_delivered_exactly_once(
    smtp_server: ServerFactory, stage: str
) -> None:
    inbox = Inbox()
    replies = deque(["451 4.3.0 Try again later"] * 2)
    if stage == "rcpt":
        inbox.rcpt_replies = replies
    else:
        inbox.data_replies = replies
    server = smtp_server(inbox)
    with sender(f"smtp://127.0.0.1:{server.port}") as smtp:
        smtp.send(reply())
    assert len(inbox.delivered) == 1
    assert (inbox.rcpt_calls if stage == "rcpt" else inbox.data_calls) == 3


def test_a_server_that_keeps_deferring_gives_a_temporary_error_after_the_attempts(
    smtp_server: ServerFactory,
) -> None:
    inbox = Inbox(data_replies=deque(["452 4.3.1 Insufficient storage"] * 10))
    server = smtp_server(inbox)
    with (
        sender(f"smtp://127.0.0.1:{server.port}", attempts=3) as smtp,
        pytest.raises(TemporaryDeliveryError, match="452"),
    ):
        smtp.send(reply())
    assert inbox.data_calls == 3 and inbox.delivered == []


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_550_is_permanent_and_not_retried(smtp_server: ServerFactory, stage: str) -> None:
    inbox = Inbox()
    if stage == "rcpt":
        inbox.rcpt_replies = deque(["550 5.1.1 No such user"])
    else:
        inbox.data_replies = deque(["554 5.7.1 Rejected"])
    server = smtp_server(inbox)
    with sender(f"smtp://127.0.0.1:{server.port}") as smtp:
        with pytest.raises(PermanentDeliveryError, match=r"55[04]"):
            smtp.send(reply())
        assert (inbox.rcpt_calls if stage == "rcpt" else inbox.data_calls) == 1
        smtp.send(reply())  # the session survives a rejected message
    assert len(inbox.delivered) == 1


def test_a_restarted_server_is_reconnected_to(smtp_server: ServerFactory) -> None:
    inbox = Inbox()
    port = free_port()
    server = smtp_server(inbox, port=port)
    with sender(f"smtp://127.0.0.1:{port}") as smtp:
        smtp.send(reply())
        server.stop()
        smtp_server(inbox, port=port)
        smtp.send(reply())
    assert len(inbox.delivered) == 2
    assert inbox.delivered[0].peer != inbox.delivered[1].peer


def test_no_server_at_all_is_temporary() -> None:
    with (
        sender(f"smtp://127.0.0.1:{free_port()}", attempts=2) as smtp,
        pytest.raises(TemporaryDeliveryError),
    ):
        smtp.send(reply())


def test_the_same_message_is_not_sent_twice_by_one_sender(smtp_server: ServerFactory) -> None:
    inbox = Inbox()
    server = smtp_server(inbox)
    message = reply()
    with sender(f"smtp://127.0.0.1:{server.port}") as smtp:
        smtp.send(message)
        smtp.send(message)
    assert len(inbox.delivered) == 1


def test_the_password_never_shows_in_reprs_errors_or_logs(
    smtp_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"smtp://{CREDENTIALS}@127.0.0.1:{free_port()}"
    caplog.set_level(logging.DEBUG)
    smtp = sender(url, attempts=2)
    with pytest.raises(TemporaryDeliveryError) as raised:
        smtp.send(reply())
    smtp.close()
    for text in (repr(smtp), repr(smtp.target), str(raised.value), caplog.text):
        assert "s3cret" not in text and "p%40ss" not in text
    assert f"smtp://{USER}:***@127.0.0.1" in repr(smtp)
    assert "attempt 1 failed" in caplog.text


def test_smtp_urls_are_read_with_their_defaults() -> None:
    plain = SmtpTarget.from_url(f"smtp://{CREDENTIALS}@mail.ssb.no")
    assert (plain.host, plain.port, plain.implicit_tls, plain.starttls) == (
        "mail.ssb.no",
        25,
        False,
        "auto",
    )
    assert (plain.username, plain.password) == (USER, PASSWORD)
    implicit = SmtpTarget.from_url("smtps://mail.ssb.no")
    assert (implicit.port, implicit.implicit_tls, implicit.username) == (465, True, None)
    assert SmtpTarget.from_url("smtp://h.no:587?starttls=required").starttls == "required"
    for bad in (
        "smtp://h.no?tls=yes",
        "smtp://h.no?starttls=maybe",
        "smtps://h.no?starttls=never",
        "smtp://",
        "http://h.no",
        "smtp://h.no:99999",
    ):
        with pytest.raises(ValueError):
            SmtpTarget.from_url(bad)


def test_sender_from_url_picks_files_or_smtp(tmp_path: Path) -> None:
    assert isinstance(sender_from_url(tmp_path), FileSender)
    assert isinstance(sender_from_url(str(tmp_path / "outbox")), FileSender)
    assert isinstance(sender_from_url(f"file://{tmp_path}"), FileSender)
    assert isinstance(sender_from_url("smtp://mail.ssb.no:587"), SmtpSender)
    assert isinstance(sender_from_url("smtps://u:p@mail.ssb.no"), SmtpSender)
    with pytest.raises(ValueError):
        sender_from_url("ftp://u:p@mail.ssb.no")
