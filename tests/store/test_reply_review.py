"""Replies a person lets go, on SQLite and PostgreSQL: a reply waiting for approval is
never sent; approved, it is sent once; edited, it keeps its recipient and thread;
discarded, it never goes. A caseworker's own reply is queued once per compose form, and
a second reminder within `resend_guard_minutes` is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.casework import ReplyRefusedError, preview_message, resend_missing
from bot.replies.senders import FileSender
from bot.reply_review import (
    approve,
    discard,
    draft,
    edit_waiting,
    new_compose_key,
    send_written,
    waiting_count,
    waiting_replies,
)
from bot.replying import Answerer
from bot.settings import Settings
from bot.store import Store
from bot.store.models import CASEWORKER_REPLY_ACTION, OutboxStatus
from bot.store.tickets import ticket_detail
from bot.triage import TriageContext, triage
from bot.worker import Worker
from parsers.mail import parse_mail
from tests.conftest import make_mail
from tests.store.test_store import FORM

REVIEW = Settings(reply_mode="review")  # type: ignore[arg-type]
APPLICATION = make_mail(
    "Vedlagt er søknaden vår om tilgang til mikrodata.",
    attachments=[FORM],
    message_id="<soknad-1@bergen.kommune.no>",
    headers={"References": "<tidligere-1@bergen.kommune.no>"},
)


def file_application(
    store: Store, context: TriageContext, settings: Settings = REVIEW
) -> tuple[int, int]:
    """The application (it lacks items), filed by the worker's reply builder: (ticket, outbox)."""
    verdict = triage(APPLICATION, "maildir:1", context)
    filed = store.file_mail(
        raw=APPLICATION,
        source_key="maildir:1",
        received_at=None,
        verdict=verdict,
        mail=parse_mail(APPLICATION),
        requirements=context.requirements,
        build_reply=Answerer(settings, review=True),
    )
    assert filed.outbox_id is not None
    return filed.ticket_id, filed.outbox_id


def deliver(store: Store, context: TriageContext, outbox: Path) -> list[Path]:
    """One round of the worker's sender into `outbox`; the files there afterwards."""
    worker = Worker(REVIEW, context, store, FileSender(outbox), "test-worker")
    worker.deliver_replies()
    return sorted(outbox.glob("*.eml")) if outbox.exists() else []


def read(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    """The body as a person reads it (the bytes on the wire end lines with CRLF)."""
    return str(message.get_content()).replace("\r\n", "\n")


def history(store: Store, ticket_id: int) -> list[tuple[str, str]]:
    detail = ticket_detail(store, ticket_id)
    assert detail is not None
    return [(e.actor, e.action) for e in detail.events]


def test_a_waiting_reply_is_never_sent_and_an_approved_one_is_sent_once(
    store: Store, context: TriageContext, tmp_path: Path
) -> None:
    ticket_id, outbox_id = file_application(store, context)
    (waiting,) = waiting_replies(store)
    assert (waiting.id, waiting.hold, waiting.ticket_id) == (outbox_id, "every_reply", ticket_id)
    assert waiting_count(store) == 1
    assert store.pending_replies() == []
    assert deliver(store, context, tmp_path / "out") == []
    assert ("mikrobot", "reply_held") in history(store, ticket_id)

    approved_at = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)
    assert approve(store, outbox_id, "kari", now=approved_at) == ticket_id
    (sent,) = deliver(store, context, tmp_path / "out")
    assert deliver(store, context, tmp_path / "out") == [sent]
    (row,) = store.outbox(ticket_id)
    assert (row.status, row.decided_by, row.attempts) == ("sent", "kari", 1)
    message = read(sent.read_bytes())
    assert message["Date"] == "Mon, 14 Dec 2026 09:30:00 +0000"
    assert message["In-Reply-To"] == "<soknad-1@bergen.kommune.no>"
    assert message["Auto-Submitted"] == "auto-replied"  # the bot's words, as they were
    assert ("kari", "reply_approved") in history(store, ticket_id)
    with pytest.raises(ReplyRefusedError) as again:
        approve(store, outbox_id, "ola")
    assert again.value.key == "not_waiting" and again.value.values["who"] == "kari"
    assert waiting_count(store) == 0


def test_an_edited_reply_keeps_its_recipient_and_thread_and_carries_the_new_words(
    store: Store, context: TriageContext, tmp_path: Path
) -> None:
    ticket_id, outbox_id = file_application(store, context)
    held = read(store.outbox(ticket_id)[0].raw)
    edit_waiting(store, outbox_id, "ola", subject="Søknaden deres",
                 body="Hei Kari,\r\n\r\nvi mangler DPIA-en.\r\n\r\nHilsen Ola")  # fmt: skip
    (sent,) = deliver(store, context, tmp_path / "out")
    message = read(sent.read_bytes())
    assert text_of(message) == "Hei Kari,\n\nvi mangler DPIA-en.\n\nHilsen Ola\n"
    assert message["Subject"] == "Re: Søknaden deres"
    for name in ("To", "From", "Message-ID", "In-Reply-To", "References", "X-Mikrobot-Ticket"):
        assert message[name] == held[name], name
    assert "<tidligere-1@bergen.kommune.no>" in message["References"]
    assert message["Auto-Submitted"] is None  # a person wrote it
    assert ("ola", "reply_edited") in history(store, ticket_id)


def test_a_discarded_reply_never_goes_and_the_history_says_who_and_why(
    store: Store, context: TriageContext, tmp_path: Path
) -> None:
    ticket_id, outbox_id = file_application(store, context)
    discard(store, outbox_id, "kari", "  Søkeren har  ringt  ")
    assert deliver(store, context, tmp_path / "out") == []
    (row,) = store.outbox(ticket_id)
    assert (row.status, row.decided_by) == (OutboxStatus.DISCARDED.value, "kari")
    detail = ticket_detail(store, ticket_id)
    assert detail is not None
    event = detail.events[-1]
    assert (event.actor, event.action, event.detail["reason"]) == (
        "kari", "reply_discarded", "Søkeren har ringt"
    )  # fmt: skip
    with pytest.raises(ReplyRefusedError):
        approve(store, outbox_id, "ola")


def test_automatic_mode_sends_at_once(store: Store, context: TriageContext) -> None:
    ticket_id, _ = file_application(store, context, Settings())
    assert [r.status for r in store.outbox(ticket_id)] == ["pending"]
    assert waiting_replies(store) == []


def test_a_caseworkers_reply_is_queued_once_per_form_to_the_plans_recipient(
    store: Store, context: TriageContext, tmp_path: Path
) -> None:
    ticket_id, _ = file_application(store, context, Settings())
    key = new_compose_key()
    words = "Hei,\n\ntakk for søknaden. Vi ser på den nå.\n"
    first = send_written(
        store, Settings(), ticket_id, "kari", subject="Søknad", body=words, key=key
    )
    again = send_written(
        store, Settings(), ticket_id, "kari", subject="Søknad", body=words, key=key
    )
    assert first == again
    rows = store.outbox(ticket_id)
    assert [r.action for r in rows] == ["request_missing", CASEWORKER_REPLY_ACTION]
    written = rows[-1]
    assert (written.recipient, written.decided_by) == ("kari.nordmann@bergen.kommune.no", "kari")
    message = read(written.raw)
    assert text_of(message) == words and message["Subject"] == "Re: Søknad"
    assert message["In-Reply-To"] == "<soknad-1@bergen.kommune.no>"
    assert message["Message-ID"] != read(rows[0].raw)["Message-ID"]
    assert history(store, ticket_id)[-1] == ("kari", "reply_written")
    with pytest.raises(ReplyRefusedError) as tampered:
        send_written(store, Settings(), ticket_id, "kari", subject="", body=words, key="x")
    assert tampered.value.key == "form_expired"


def test_the_unedited_draft_is_the_bots_reply_byte_for_byte(
    store: Store, context: TriageContext
) -> None:
    ticket_id, _ = file_application(store, context, Settings())
    made = draft(store, Settings(), ticket_id)
    outbox_id = send_written(store, Settings(), ticket_id, "kari", subject=made.subject,
                             body=made.body.replace("\n", "\r\n"), key=new_compose_key())  # fmt: skip
    (row,) = [r for r in store.outbox(ticket_id) if r.id == outbox_id]
    sent = read(row.raw)
    preview = preview_message(
        store,
        Settings(),
        ticket_id,
        now=datetime.strptime(str(sent["Date"]), "%a, %d %b %Y %H:%M:%S %z"),
        message_id=str(sent["Message-ID"]),
    )
    assert isinstance(preview, EmailMessage) and bytes(preview) == row.raw
    detail = ticket_detail(store, ticket_id)
    assert detail is not None and detail.events[-1].detail["edited"] is False


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("   \r\n  ", "empty"),
        ("Fødselsnummeret hennes er 010190 10046.", "national_id"),
        ("x" * 20_001, "too_long"),
    ],
)
def test_a_text_that_may_not_go_is_refused_with_its_reason(
    store: Store, context: TriageContext, body: str, key: str
) -> None:
    ticket_id, outbox_id = file_application(store, context)
    with pytest.raises(ReplyRefusedError) as refused:
        send_written(store, REVIEW, ticket_id, "kari", subject="", body=body, key=new_compose_key())
    assert refused.value.key == key
    with pytest.raises(ReplyRefusedError):
        edit_waiting(store, outbox_id, "kari", subject="", body=body)
    assert [r.status for r in store.outbox(ticket_id)] == ["held"]


def test_a_second_reminder_within_the_guard_is_refused(
    store: Store, context: TriageContext
) -> None:
    ticket_id, _ = file_application(store, context, Settings())
    guarded = Settings(resend_guard_minutes=30)
    with pytest.raises(ReplyRefusedError) as refused:  # the bot asked a moment ago
        resend_missing(store, guarded, ticket_id, "kari")
    assert refused.value.key == "too_soon"
    allowed = refused.value.values["allowed"]
    assert isinstance(allowed, datetime)
    with store.session() as session, session.begin():  # the bot's request, 31 minutes ago
        session.execute(sa.text("UPDATE outbox SET created_at = :at"),
                        {"at": datetime.now(UTC) - timedelta(minutes=31)})  # fmt: skip
    resend_missing(store, guarded, ticket_id, "kari")
    with pytest.raises(ReplyRefusedError):
        resend_missing(store, guarded, ticket_id, "kari")
    assert [r.action for r in store.outbox(ticket_id)] == [
        "request_missing",
        "request_missing_again",
    ]
    resend_missing(store, Settings(resend_guard_minutes=0), ticket_id, "kari")  # guard off
    assert len(store.outbox(ticket_id)) == 3
