"""Working together in a real browser (headless Debian Chromium, issue #12): a note in the
timeline, a ticket given to a colleague (who gets a notice), two tickets closed at once
from the queue, the queue and ticket from the keyboard (j/k, Enter, x, n, ?), and
"next ticket". The tickets are this module's own, filed into the suite's store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from bot.replies.notice import NOTICE_ACTION
from bot.store.accounts import add_user
from bot.store.models import OutboxMessage
from bot.store.tickets import next_ticket, ticket_detail
from bot.triage import TriageContext
from tests.conftest import make_mail
from tests.store.test_store import FORM, file
from tests.web.conftest import CASEWORKER, Web, log_in

COLLEAGUE = ("siri", "siri-passord-123", "siri@ssb.example")


@pytest.fixture(scope="module")
def tickets(web: Web, context: TriageContext) -> Iterator[list[int]]:
    """Four applications of this module's own, and a colleague with a notice address."""
    add_user(web.store, *COLLEAGUE[:2], "caseworker", email=COLLEAGUE[2])
    filed = []
    for number in range(4):
        raw = make_mail(
            f"Vedlagt er søknaden vår, nummer {number}.",
            subject=f"Teamarbeid {number}",
            sender=f"Ola Nordmann <ola{number}@team.example>",
            attachments=[FORM],
        )
        filed.append(file(web.store, context, raw, f"teamwork:{number}")[1])
    yield filed


def ticket_page(page: Any, ticket_id: int) -> None:
    page.goto(f"/tickets/{ticket_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"MB-{ticket_id:06d}")


def test_a_note_stands_escaped_in_the_timeline(page: Any, web: Web, tickets: list[int]) -> None:
    log_in(page, CASEWORKER)
    ticket_page(page, tickets[0])
    typed = "Ringte søker, ny frist fredag.\n<b>Ikke</b> <script>window.__xss=1</script>purre."
    page.get_by_label("Nytt notat").fill(typed)
    page.get_by_role("button", name="Lagre notatet").click()
    expect(page.get_by_test_id("done")).to_have_text("Notatet er lagret.")
    row = page.get_by_test_id("history").locator('tr[data-action="note"]')
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("note")).to_have_text(typed)  # the text, not markup
    expect(row.locator("td").nth(1)).to_have_text(CASEWORKER[0])
    expect(row.locator("td").first).to_have_text(re.compile(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}"))
    expect(row.locator("b, script")).to_have_count(0)
    assert page.evaluate("() => window.__xss") is None
    first = page.get_by_test_id("history").locator("tbody tr").first
    expect(first).to_have_attribute("data-action", "note")  # the newest event, on top

    page.get_by_role("button", name="Lagre notatet").click()  # empty: the browser says no
    expect(page.get_by_test_id("history").locator('tr[data-action="note"]')).to_have_count(1)
    page.get_by_label("Nytt notat").fill("x" * 3990 + " " + "y" * 9)
    page.get_by_label("Nytt notat").press("End")
    page.get_by_label("Nytt notat").press("z")  # past the 4000 characters the field allows
    assert len(page.get_by_label("Nytt notat").input_value()) == 4000


def test_a_ticket_given_to_a_colleague_sends_them_a_notice(
    page: Any, web: Web, tickets: list[int]
) -> None:
    log_in(page, CASEWORKER)
    ticket_page(page, tickets[1])
    expect(page.get_by_test_id("assigned")).to_have_text("–")
    page.get_by_label("Tildel til").select_option(COLLEAGUE[0])
    page.get_by_role("button", name="Tildel", exact=True).click()
    expect(page.get_by_test_id("done")).to_have_text("Saken er tildelt.")
    expect(page.get_by_test_id("assigned")).to_have_text(COLLEAGUE[0])
    assigned = page.get_by_test_id("history").locator('tr[data-action="assigned"]')
    expect(assigned).to_contain_text(
        f"Til: {COLLEAGUE[0]}"
    )  # in plain words; codes behind the toggle
    with web.store.session() as session:
        (notice,) = session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.ticket_id == tickets[1], OutboxMessage.action == NOTICE_ACTION
            )
        ).all()
    assert notice.recipient == COLLEAGUE[2]
    expect(assigned).to_contain_text(f"outbox_id={notice.id}")

    page.get_by_role("button", name="Fjern tildelingen").click()
    expect(page.get_by_test_id("done")).to_have_text("Ingen har saken nå.")
    expect(page.get_by_test_id("assigned")).to_have_text("–")
    expect(page.get_by_role("button", name="Fjern tildelingen")).to_have_count(0)


def test_two_tickets_are_closed_at_once_from_the_queue(
    page: Any, web: Web, tickets: list[int]
) -> None:
    log_in(page, CASEWORKER)
    page.goto("/?q=Teamarbeid")
    expect(page.get_by_test_id("ticket-row")).to_have_count(len(tickets))
    chosen = tickets[2:4]
    for ticket_id in chosen:
        page.get_by_label(f"Merk MB-{ticket_id:06d}").check()
    page.once("dialog", lambda dialog: dialog.accept())  # "close the ticked tickets?"
    page.get_by_role("button", name="Lukk merkede saker").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Masseendring")
    expect(page.get_by_test_id("bulk-summary")).to_have_text("2 av 2 saker lukket.")
    outcomes = page.get_by_test_id("bulk-outcomes").locator("tbody tr")
    found = outcomes.evaluate_all("rows => rows.map(r => [+r.dataset.ticket, r.dataset.outcome])")
    assert sorted(found) == [[ticket_id, "changed"] for ticket_id in chosen]  # in queue order
    for ticket_id in chosen:
        detail = ticket_detail(web.store, ticket_id)
        assert detail is not None and detail.ticket.status == "closed"
        closing = [e for e in detail.events if e.action == "closed"]
        assert [(e.actor, e.detail["bulk"]) for e in closing] == [(CASEWORKER[0], True)]
    page.get_by_role("link", name="Tilbake til innboksen").click()
    page.wait_for_url(re.compile(r"/\?q=Teamarbeid$"))  # the queue as it was filtered


def test_the_queue_and_the_help_from_the_keyboard(page: Any, web: Web, tickets: list[int]) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, CASEWORKER)
    page.goto("/?q=Teamarbeid")
    rows = page.get_by_test_id("ticket-row")
    expect(rows.first).to_be_visible()
    order = [int(r) for r in rows.evaluate_all("rows => rows.map(r => r.dataset.ticket)")]
    assert len(order) >= 2  # two closed by the test before may be left out of the queue

    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    expect(rows.nth(0).get_by_role("link")).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bselected\b"))
    expect(rows.nth(0)).not_to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("x")
    expect(rows.nth(1).get_by_test_id("pick")).to_be_checked()
    page.keyboard.press("x")
    expect(rows.nth(1).get_by_test_id("pick")).not_to_be_checked()

    page.keyboard.press("?")
    help_panel = page.get_by_test_id("shortcuts")
    expect(help_panel.get_by_role("table")).to_be_visible()
    expect(help_panel).to_contain_text("Innboks: neste / forrige sak")
    page.keyboard.press("Escape")
    expect(help_panel.get_by_role("table")).to_be_hidden()
    help_panel.locator("summary").click()  # also without the keyboard
    expect(help_panel.get_by_role("table")).to_be_visible()
    help_panel.locator("summary").click()

    search = page.get_by_label("Søk")
    search.fill("")
    search.press("j")  # typing in a field: no shortcut
    expect(search).to_have_value("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bselected\b"))

    rows.nth(1).get_by_role("link").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/tickets/{order[1]}")
    assert errors == []


def test_next_ticket_by_link_and_by_key(page: Any, web: Web, tickets: list[int]) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, CASEWORKER)
    start = tickets[0]
    ticket_page(page, start)
    expected = next_ticket(web.store, start, CASEWORKER[0])
    assert expected is not None and expected != start
    page.get_by_label("Nytt notat").press("n")  # typing: stays
    assert page.url.endswith(f"/tickets/{start}")
    page.get_by_label("Nytt notat").fill("")
    page.locator("main").focus()
    page.keyboard.press("c")  # no composer on this page: nothing happens
    assert page.url.endswith(f"/tickets/{start}")
    page.keyboard.press("n")
    page.wait_for_url(f"**/tickets/{expected}")
    after = next_ticket(web.store, expected, CASEWORKER[0])
    page.get_by_test_id("next-ticket").click()
    page.wait_for_url(f"**/tickets/{after}")
    assert errors == []
