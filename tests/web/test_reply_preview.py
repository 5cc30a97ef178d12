"""The ticket page's preview, `mikrobot reply-preview` and the reply the bot sent are one
reply: the same decision (`reply_policy.plan`) and the same composer made all three."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from bot.casework import preview_message, reply_preview
from bot.replies.render import as_text
from bot.service import Service
from bot.settings import Settings, WebSettings
from bot.store.accounts import add_user
from bot.triage import TriageContext
from bot.web import create_app
from tests.conftest import maildir_service, make_mail
from tests.network import free_port
from tests.store.test_store import FORM
from tests.test_service import deliver
from tests.web.conftest import LiveServer, _log_in

MIKROBOT = Path(sys.executable).with_name("mikrobot")
_NEW_IN_EVERY_REPLY = re.compile(r"(?m)^(?:Date|Message-ID): .*\n")
USER = ("kari", "kari-passord-123")


@pytest.fixture
def answered(tmp_path: Path, context: TriageContext) -> Iterator[tuple[Service, int, bytes]]:
    """A service that filed one application lacking two items and sent its reply."""
    service = maildir_service(
        tmp_path,
        context,
        web=WebSettings(secret_key="test-secret-key", secure_cookies=False),  # type: ignore[arg-type]
    )
    deliver(service, make_mail("Vedlagt er søknaden vår om tilgang til mikrodata.",
                               attachments=[FORM]))  # fmt: skip
    service.run(once=True)
    (ticket,) = service.store.tickets()
    (reply,) = service.store.outbox(ticket.id)
    yield service, ticket.id, reply.raw
    service.close()


def read(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_the_preview_is_byte_for_byte_the_reply_that_was_sent(
    answered: tuple[Service, int, bytes],
) -> None:
    service, ticket_id, raw = answered
    sent = read(raw)
    again = preview_message(
        service.store,
        service.settings,
        ticket_id,
        now=parsedate_to_datetime(str(sent["Date"])),
        message_id=str(sent["Message-ID"]),
    )
    assert isinstance(again, EmailMessage)
    assert bytes(again) == raw


def test_the_web_page_and_the_cli_show_the_reply_that_was_sent(
    answered: tuple[Service, int, bytes],
) -> None:
    service, ticket_id, raw = answered
    settings: Settings = service.settings
    expected = _NEW_IN_EVERY_REPLY.sub("", as_text(read(raw))).replace("\r\n", "\n")
    assert "Før vi kan behandle den" in expected

    assert (
        _NEW_IN_EVERY_REPLY.sub("", reply_preview(service.store, settings, ticket_id)) == expected
    )

    add_user(service.store, *USER, "caseworker")
    port = free_port()
    server = LiveServer(create_app(settings, service.store), port)
    server.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20) as client:
            page = _log_in(client, USER).get(f"/tickets/{ticket_id}").text
    finally:
        server.stop()
    shown = re.search(r'<pre [^>]*data-testid="preview">(.*?)</pre>', page, re.S)
    assert shown is not None, page[:500]
    assert _NEW_IN_EVERY_REPLY.sub("", html.unescape(shown.group(1))) == expected

    env = {k: v for k, v in os.environ.items() if not k.startswith("MIKROBOT_")}
    env.update(
        MIKROBOT_DATABASE=settings.database,
        MIKROBOT_RAW_MAIL_DIR=str(settings.raw_mail_dir),
        MIKROBOT_CONFIG=str(Path(settings.raw_mail_dir) / "no-such.toml"),
    )
    cli = subprocess.run(
        [str(MIKROBOT), "reply-preview", str(ticket_id)],
        env=env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert _NEW_IN_EVERY_REPLY.sub("", cli.stdout.decode()) == expected
