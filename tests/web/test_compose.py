"""Compose and approve in a real browser (headless Debian Chromium): a caseworker edits
the bot's draft and sends it (the .eml the FileSender writes has the edited words and the
thread's headers, once, however often the button is clicked); in `reply_mode = review`
the "Til godkjenning" queue approves, edits and discards; a second reminder within
`resend_guard_minutes` is refused with a message.

The composer and review queue screenshots in `docs/` are taken here.
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from bot.replies.senders import FileSender, eml_name
from bot.reply_policy import ReplyMode
from bot.service import Service
from bot.settings import Settings
from bot.sources import open_source
from bot.store import Store
from bot.store.accounts import add_user
from bot.store.models import CASEWORKER_REPLY_ACTION, Mail, OutboxMessage
from bot.store.tickets import ticket_detail
from bot.triage import TriageContext
from bot.web import create_app
from bot.worker import Worker
from tests.conftest import REPO, make_mail
from tests.network import free_port
from tests.store.test_store import FORM
from tests.web.conftest import (
    CASEWORKER,
    OTHER_CASEWORKER,
    LiveServer,
    Web,
    csrf_token_in,
    log_in,
    logged_in_client,
    site_settings,
)

DOCS = REPO / "docs"


def send_queued(store: Store, settings: Settings, context: TriageContext) -> None:
    """One round of the service's sender: the outbox's pending replies as .eml files."""
    Worker(settings, context, store, FileSender(settings.smtp), "test-sender").deliver_replies()


def sent_file(settings: Settings, message_id: str) -> Path:
    return Path(settings.smtp) / eml_name(message_id)


def read(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    return str(message.get_content()).replace("\r\n", "\n")


def replies_of(store: Store, ticket_id: int) -> list[OutboxMessage]:
    return store.outbox(ticket_id)


# --- compose, edit and send (the shared site, reply_mode = auto) ----------------------


def test_a_caseworker_edits_the_bots_draft_and_sends_it_once(
    page: Any, web: Web, context: TriageContext
) -> None:
    ticket_id = web.tickets_with_missing[-1]
    detail = ticket_detail(web.store, ticket_id)
    assert detail is not None
    answered = next(m for m in reversed(detail.mails) if not m.stranger)
    before = {r.id for r in replies_of(web.store, ticket_id)}

    log_in(page, CASEWORKER)
    page.goto(f"/tickets/{ticket_id}")
    preview = page.get_by_test_id("preview").inner_text()
    page.get_by_test_id("compose-draft").click()
    page.wait_for_url(f"**/tickets/{ticket_id}/reply")
    expect(page.get_by_test_id("compose-to")).to_have_text(answered.sender or "")
    body = page.get_by_label("Tekst")
    draft = body.input_value()
    assert draft.strip() and draft.strip() in preview.replace("\r\n", "\n")  # the preview's text
    assert page.get_by_label("Emne").input_value() in preview
    edited = f"Takk for praten i dag!\n\n{draft}\nRing oss gjerne på 21 09 00 00.\n"
    body.fill(edited)
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "composer.png"), full_page=True)
    page.get_by_test_id("compose-send").dblclick()  # a double click sends one reply
    page.wait_for_url(re.compile(rf"/tickets/{ticket_id}\?done=written"))
    expect(page.get_by_test_id("done")).to_contain_text("Svaret er lagt i utboksen")
    written = page.get_by_test_id("history").locator('tr[data-action="reply_written"]')
    expect(written).to_have_count(1)
    expect(written).to_contain_text(CASEWORKER[0])

    new = [r for r in replies_of(web.store, ticket_id) if r.id not in before]
    assert [(r.action, r.decided_by) for r in new] == [(CASEWORKER_REPLY_ACTION, CASEWORKER[0])]
    send_queued(web.store, web.settings, context)
    message = read(sent_file(web.settings, new[0].message_id))
    assert (
        text_of(message)
        == f"Takk for praten i dag!\n\n{draft.strip()}\n\nRing oss gjerne på 21 09 00 00.\n"
    )
    assert message["To"] == answered.sender
    assert message["In-Reply-To"] == answered.message_id
    assert str(answered.message_id) in str(message["References"])
    assert message["Auto-Submitted"] is None  # a person wrote it
    page.reload()
    expect(page.get_by_test_id("decided-by").first).to_contain_text(CASEWORKER[0])


def test_a_reply_of_ones_own_starts_blank_and_a_refused_text_is_kept(page: Any, web: Web) -> None:
    ticket_id = web.tickets_with_missing[-2]
    log_in(page, CASEWORKER)
    page.goto(f"/tickets/{ticket_id}")
    page.get_by_test_id("compose-own").click()
    page.wait_for_url(f"**/tickets/{ticket_id}/reply?start=blank")
    expect(page.get_by_label("Tekst")).to_have_value("")
    typed = "Hei,\nfødselsnummeret er 010190 10046, takk.\n"
    page.get_by_label("Tekst").fill(typed)
    page.get_by_test_id("compose-send").click()
    expect(page.get_by_test_id("error")).to_contain_text("fødselsnummer")
    expect(page.get_by_label("Tekst")).to_have_value(re.compile(r"^Hei,\nfødselsnummeret er"))
    assert "10046" not in page.get_by_label("Tekst").input_value()  # never shown again
    assert all(r.action != CASEWORKER_REPLY_ACTION for r in replies_of(web.store, ticket_id))


def test_c_on_the_ticket_opens_the_composer_and_on_the_composer_focuses_the_text(
    page: Any, web: Web
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    ticket_id = web.tickets_with_missing[0]
    log_in(page, CASEWORKER)
    page.goto(f"/tickets/{ticket_id}")
    page.locator("main").focus()
    page.keyboard.press("c")
    page.wait_for_url(f"**/tickets/{ticket_id}/reply")
    body = page.get_by_label("Tekst")
    draft = body.input_value()
    expect(body).not_to_be_focused()
    page.locator("main").focus()
    page.keyboard.press("c")
    expect(body).to_be_focused()
    expect(body).to_have_value(draft)  # the key focused the text; it typed nothing
    page.keyboard.press("?")  # in the text: a question mark, no help panel
    expect(page.get_by_test_id("shortcuts").get_by_role("table")).to_be_hidden()
    page.locator("main").focus()
    page.keyboard.press("?")
    help_panel = page.get_by_test_id("shortcuts")
    expect(help_panel).to_contain_text("Svarskjema: gå til svarteksten")
    assert errors == []


def test_a_second_reminder_within_the_guard_is_refused_with_a_message(page: Any, web: Web) -> None:
    ticket_id = web.tickets_with_missing[-3]
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    with web.store.session() as session, session.begin():  # the bot asked two hours ago
        session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.ticket_id == ticket_id)
            .values(created_at=two_hours_ago, sent_at=two_hours_ago)
        )
    count = len(replies_of(web.store, ticket_id))
    log_in(page, CASEWORKER)
    page.goto(f"/tickets/{ticket_id}")
    page.get_by_role("button", name="Send purring om mangler igjen").click()
    expect(page.get_by_test_id("done")).to_have_text("Purringen er lagt i utboksen.")
    page.get_by_role("button", name="Send purring om mangler igjen").click()
    expect(page.get_by_test_id("error")).to_contain_text("Purringen ble ikke sendt")
    expect(page.get_by_test_id("error")).to_contain_text("En ny purring kan sendes fra")
    assert len(replies_of(web.store, ticket_id)) == count + 1


def test_the_composer_and_the_review_queue_refuse_anonymous_and_forged_requests(
    web: Web,
) -> None:
    ticket_id = web.tickets_with_missing[-1]
    reply = f"/tickets/{ticket_id}/reply"
    pages = [f"{reply}", f"{reply}?start=blank", "/review", "/review/1/edit"]
    forms = [reply, "/review/1/approve", "/review/1/edit", "/review/1/discard"]
    with httpx.Client(base_url=web.url, follow_redirects=False) as anonymous:
        for path in pages:
            response = anonymous.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next="), path
        for path in forms:
            # A form posted without a session goes through the login, and is not carried out.
            posted = anonymous.post(path, data={"body": "x"})
            assert posted.status_code == 303, path
            assert posted.headers["location"].startswith("/login?next="), path
    before = len(replies_of(web.store, ticket_id))
    with logged_in_client(web, OTHER_CASEWORKER) as client:
        page = client.get(reply)
        assert page.status_code == 200
        key = re.search(r'name="compose_key" value="([^"]+)"', page.text)
        assert key is not None
        form = {"subject": "Re: x", "body": "Hei", "compose_key": key.group(1)}
        for token in ("", csrf_token_in(page.text)[:-2] + "xx"):
            assert client.post(reply, data={**form, "csrf_token": token}).status_code == 403
        foreign = client.post(
            reply,
            data={**form, "csrf_token": csrf_token_in(page.text)},
            headers={"Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
    assert len(replies_of(web.store, ticket_id)) == before


# --- reply_mode = review -------------------------------------------------------------


@dataclass
class ReviewSite:
    url: str
    settings: Settings
    store: Store
    context: TriageContext

    def ticket_of(self, message_id: str) -> int:
        with self.store.session() as session:
            return session.scalars(
                sa.select(Mail.ticket_id).where(Mail.message_id == message_id)
            ).one()

    def held(self, ticket_id: int) -> OutboxMessage:
        (row,) = [r for r in self.store.outbox(ticket_id) if r.status == "held"]
        return row


APPLICANTS = ("kari", "ola", "per")


@pytest.fixture(scope="module")
def review(
    tmp_path_factory: pytest.TempPathFactory, context: TriageContext
) -> Iterator[ReviewSite]:
    """Three applications filed by the service in review mode: three replies waiting."""
    root = tmp_path_factory.mktemp("review")
    settings = site_settings(root).model_copy(update={"reply_mode": ReplyMode.REVIEW})
    inbox = mailbox.Maildir(settings.source, create=True)
    for name in APPLICANTS:
        inbox.add(mailbox.MaildirMessage(make_mail(
            f"Vedlagt er søknaden vår om tilgang til mikrodata.\n\nHilsen {name.title()}",
            sender=f"{name.title()} <{name}@bergen.kommune.no>",
            attachments=[FORM],
            message_id=f"<soknad-{name}@bergen.kommune.no>",
        )))  # fmt: skip
    store = Store.open(settings.database, settings.raw_mail_dir)
    service = Service(
        settings, context, open_source(settings.source), store, FileSender(settings.smtp)
    )
    service.run(once=True)
    service.source.close()
    for name, password in (CASEWORKER, OTHER_CASEWORKER):
        add_user(store, name, password, "caseworker")
    port = free_port()
    server = LiveServer(create_app(settings, store), port)
    server.start()
    yield ReviewSite(f"http://127.0.0.1:{port}", settings, store, context)
    server.stop()
    store.engine.dispose()


@pytest.fixture
def review_page(browser: Any, review: ReviewSite) -> Iterator[Any]:
    context = browser.new_context(
        base_url=review.url, viewport={"width": 1366, "height": 800}, locale="nb-NO"
    )
    context.set_default_timeout(10_000)
    opened = context.new_page()
    log_in(opened, CASEWORKER)
    yield opened
    context.close()


def waiting_card(page: Any, ticket_id: int) -> Any:
    return page.locator(f'[data-testid="waiting-reply"][data-ticket="{ticket_id}"]')


def test_review_mode_holds_every_reply_and_an_approved_one_is_sent_once(
    review_page: Any, review: ReviewSite
) -> None:
    page = review_page
    assert not list(Path(review.settings.smtp).glob("*.eml"))  # nothing went by itself
    ticket_id = review.ticket_of("<soknad-kari@bergen.kommune.no>")
    held = review.held(ticket_id)
    waiting = int(page.get_by_test_id("nav-review-count").inner_text())
    assert waiting >= 1
    page.get_by_test_id("nav-review").click()
    page.wait_for_url("**/review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Til godkjenning")
    card = waiting_card(page, ticket_id)
    expect(card.get_by_test_id("hold-reason")).to_have_text("Alle svar godkjennes før de sendes.")
    expect(card.get_by_test_id("waiting-text")).to_contain_text("Før vi kan behandle den")
    if waiting == len(APPLICANTS):
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / "review.png"), full_page=True)

    card.get_by_test_id("approve").click()
    expect(page.get_by_test_id("done")).to_have_text("Svaret er godkjent og sendes straks.")
    expect(waiting_card(page, ticket_id)).to_have_count(0)
    expect(page.get_by_test_id("nav-review")).to_contain_text(
        str(waiting - 1) if waiting > 1 else ""
    )
    send_queued(review.store, review.settings, review.context)
    send_queued(review.store, review.settings, review.context)
    assert [p.name for p in Path(review.settings.smtp).glob("*.eml")] == [eml_name(held.message_id)]
    sent = read(sent_file(review.settings, held.message_id))
    assert sent["In-Reply-To"] == "<soknad-kari@bergen.kommune.no>"
    (row,) = review.store.outbox(ticket_id)
    assert (row.status, row.decided_by) == ("sent", CASEWORKER[0])
    detail = ticket_detail(review.store, ticket_id)
    assert detail is not None
    assert [(e.actor, e.action) for e in detail.events if e.action.startswith("reply_")] == [
        ("mikrobot", "reply_held"),
        (CASEWORKER[0], "reply_approved"),
        ("mikrobot", "reply_sent"),
    ]


def test_review_mode_edits_a_waiting_reply_before_it_goes(
    review_page: Any, review: ReviewSite
) -> None:
    page = review_page
    ticket_id = review.ticket_of("<soknad-ola@bergen.kommune.no>")
    held = review.held(ticket_id)
    page.goto("/review")
    waiting_card(page, ticket_id).get_by_test_id("edit").click()
    page.wait_for_url(f"**/review/{held.id}/edit")
    expect(page.get_by_test_id("compose-to")).to_have_text("ola@bergen.kommune.no")
    body = page.get_by_label("Tekst")
    body.fill("Hei Ola,\n\nvi trenger variabellisten og DPIA-en før vi kan gå videre.\n")
    page.get_by_role("button", name="Send det redigerte svaret").click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket_id}\?done=edited"))
    expect(page.get_by_test_id("done")).to_contain_text("Det redigerte svaret")
    send_queued(review.store, review.settings, review.context)
    sent = read(sent_file(review.settings, held.message_id))
    assert text_of(sent) == (
        "Hei Ola,\n\nvi trenger variabellisten og DPIA-en før vi kan gå videre.\n"
    )
    assert sent["To"] == "ola@bergen.kommune.no"
    assert sent["In-Reply-To"] == "<soknad-ola@bergen.kommune.no>"
    edited = page.get_by_test_id("history").locator('tr[data-action="reply_edited"]')
    expect(edited).to_contain_text(CASEWORKER[0])


def test_review_mode_discards_a_waiting_reply_from_the_ticket_page(
    review_page: Any, review: ReviewSite
) -> None:
    page = review_page
    ticket_id = review.ticket_of("<soknad-per@bergen.kommune.no>")
    held = review.held(ticket_id)
    page.goto(f"/tickets/{ticket_id}")
    expect(page.get_by_test_id("reply")).to_contain_text("Venter på godkjenning")
    page.get_by_label("Begrunnelse (valgfri)").fill("Per har ringt og fått svar på telefon")
    page.once("dialog", lambda dialog: dialog.accept())  # our own "are you sure?"
    page.get_by_test_id("discard").click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket_id}\?done=discarded"))
    expect(page.get_by_test_id("reply")).to_contain_text("Forkastet")
    expect(page.get_by_test_id("decided-by")).to_contain_text(f"Forkastet av {CASEWORKER[0]}")
    discarded = page.get_by_test_id("history").locator('tr[data-action="reply_discarded"]')
    expect(discarded).to_contain_text(CASEWORKER[0])
    expect(discarded).to_contain_text("Per har ringt")
    send_queued(review.store, review.settings, review.context)
    assert not sent_file(review.settings, held.message_id).exists()
    page.goto(f"/review/{held.id}/edit")  # decided: no editor, the page says by whom
    expect(page.get_by_test_id("error")).to_contain_text(f"Forkastet ({CASEWORKER[0]})")
