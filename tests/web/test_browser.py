"""A caseworker's day in a real browser (headless Debian Chromium): log in, the queue, a
ticket filed from a fixture mail, reclassify, mark an item received, close. Also: a
hostile mail renders inert, the English switch, the admin page, keyboard use.

The queue and ticket screenshots in `docs/` are taken here.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from bot.store.tickets import corrections, ticket_detail
from tests.conftest import REPO
from tests.web.conftest import (
    ADMIN,
    CASEWORKER,
    HOSTILE_FILENAME,
    OTHER_CASEWORKER,
    Web,
    csrf_token_in,
    log_in,
    logged_in_client,
)

DOCS = REPO / "docs"
CATEGORY_NB = {
    "new_application": "Ny søknad",
    "change_request": "Endringssøknad",
    "signed_offer": "Signert tilbud",
    "deletion_confirmation": "Bekreftet sletting",
    "other": "Annet",
}


def test_a_caseworker_reclassifies_resolves_and_closes_a_ticket(page: Any, web: Web) -> None:
    log_in(page, CASEWORKER)
    expect(page.get_by_role("heading", level=1)).to_have_text("Innboks")
    expect(page.get_by_test_id("user-name")).to_have_text(CASEWORKER[0])
    tickets = [t for t in web.store.tickets(limit=1000) if t.status != "closed"]  # open work
    expect(page.get_by_test_id("total")).to_have_text(f"{len(tickets)} saker")
    expect(page.get_by_test_id("ticket-row")).to_have_count(min(len(tickets), 25))
    for category, label in CATEGORY_NB.items():
        count = sum(t.category == category for t in tickets)
        expect(page.get_by_test_id(f"tab-{category}")).to_have_text(f"{label} {count}")
    newest_first = [int(row) for row in page.get_by_test_id("ticket-row").evaluate_all(
        "rows => rows.map(r => r.dataset.ticket)")]  # fmt: skip
    assert newest_first[0] == max(tickets, key=lambda t: (t.updated_at, t.id)).id
    page.get_by_label("Har mangler").check()
    page.get_by_role("button", name="Vis").click()
    page.wait_for_url(re.compile(r"missing=1"))
    expect(page.get_by_test_id("total")).to_have_text(
        f"{sum(bool(t.missing) for t in tickets)} saker"
    )
    for row in page.get_by_test_id("ticket-row").all():
        expect(row.locator("td.missing li").first).to_be_visible()
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "queue.png"))

    ticket_id = web.tickets_with_missing[0]
    detail = ticket_detail(web.store, ticket_id)
    assert detail is not None
    before = detail.ticket
    page.get_by_role("link", name=before.reference, exact=True).click()
    page.wait_for_url(f"**/tickets/{ticket_id}")
    expect(page.get_by_test_id("category")).to_have_text(CATEGORY_NB[before.category])
    expect(page.get_by_test_id("confidence")).to_have_text(re.compile(r"^\d{1,3}\u00a0%$"))
    rules = detail.mails[-1].verdict["evidence"]["rules"]
    if rules:
        expect(page.get_by_test_id("evidence-rules")).to_contain_text(rules[0])
    expect(page.get_by_test_id("mail")).to_have_count(len(detail.mails))
    attachments = sum(len(m.verdict["attachments"]) for m in detail.mails)
    expect(page.get_by_test_id("download")).to_have_count(attachments)
    expect(page.get_by_test_id("missing").locator("li")).to_have_count(len(before.missing))
    expect(page.get_by_test_id("preview")).to_contain_text(before.reference)
    page.screenshot(path=str(DOCS / "ticket.png"))

    target = "change_request" if before.category == "new_application" else "new_application"
    page.get_by_label("Endre kategori").select_option(target)
    page.get_by_role("button", name="Endre", exact=True).click()
    expect(page.get_by_test_id("done")).to_contain_text("Kategorien er endret")
    expect(page.get_by_test_id("category")).to_have_text(CATEGORY_NB[target])
    changed = page.get_by_test_id("history").locator('tr[data-action="category_changed"]')
    expect(changed).to_contain_text(CASEWORKER[0])
    expect(changed).to_contain_text(re.compile(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}"))
    (correction,) = [c for c in corrections(web.store) if c.ticket_id == ticket_id]
    assert (correction.category, correction.corrected_by) == (target, CASEWORKER[0])

    items = page.get_by_test_id("missing").locator("li")
    missing = items.evaluate_all("items => items.map(i => i.dataset.item)")
    assert missing, "the new category should ask for something"
    items.first.get_by_role("button", name="Mottatt").click()
    expect(page.get_by_test_id("done")).to_contain_text("Mangellisten er oppdatert")
    if len(missing) == 1:
        expect(page.get_by_test_id("nothing-missing")).to_be_visible()
    else:
        expect(page.get_by_test_id("missing").locator("li")).to_have_count(len(missing) - 1)
    expect(page.locator(f'li[data-item="{missing[0]}"]')).to_have_count(0)
    expect(
        page.get_by_test_id("history").locator('tr[data-action="item_received"]')
    ).to_contain_text(CASEWORKER[0])

    page.once("dialog", lambda dialog: dialog.accept())  # our own "are you sure?"
    page.get_by_role("button", name="Lukk saken").click()
    expect(page.get_by_test_id("status")).to_have_text("Lukket")
    expect(page.get_by_role("button", name="Gjenåpne saken")).to_be_visible()
    after = ticket_detail(web.store, ticket_id)
    assert after is not None and after.ticket.status == "closed"
    assert after.ticket.category == target and missing[0] not in after.ticket.missing
    assert [e.action for e in after.events if e.actor == CASEWORKER[0]] == [
        "category_changed",
        "item_received",
        "closed",
    ]


def test_a_hostile_mail_renders_inert(page: Any, web: Web) -> None:
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, CASEWORKER)
    page.goto(f"/tickets/{web.hostile_ticket}")
    expect(page.get_by_test_id("mail-subject")).to_contain_text("<script>window.__xss")
    expect(page.get_by_test_id("mail-text")).to_contain_text("<script>window.__xss='text'</script>")
    expect(page.get_by_test_id("attachment")).to_contain_text(HOSTILE_FILENAME)
    page.get_by_text("HTML-versjon").click()
    frame_element = page.get_by_test_id("mail-html")
    expect(frame_element).to_be_visible()
    srcdoc = frame_element.get_attribute("srcdoc") or ""
    assert "vedlagt" in srcdoc
    for active in (
        "<script",
        "onerror",
        "onload",
        "javascript:",
        "<iframe",
        "<img",
        "<form",
        web.tracker,
    ):
        assert active not in srcdoc.lower(), active
    assert frame_element.get_attribute("sandbox") == ""
    expect(frame_element.content_frame.locator("b")).to_have_text("vedlagt")
    frame = frame_element.element_handle().content_frame()
    page.wait_for_timeout(300)  # give any handler that slipped through the time to fire

    assert page.evaluate("() => window.__xss") is None
    assert frame.evaluate("() => window.__xss") is None
    assert dialogs == []
    assert all(url.startswith(web.url) for url in requests), requests
    scripts = page.evaluate(
        "() => [...document.querySelectorAll('script')].map(s => [s.getAttribute('src'), s.text])"
    )
    assert sorted(scripts) == [["/static/app.js", ""], ["/static/shortcuts.js", ""]]  # ours only


def test_the_english_switch_and_norwegian_dates(page: Any, web: Web) -> None:
    log_in(page, OTHER_CASEWORKER)
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    first = page.get_by_test_id("ticket-row").first
    expect(first.locator("td").last).to_have_text(re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}$"))
    page.get_by_role("link", name="Bokmål").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Innboks")


def test_the_login_and_the_queue_work_from_the_keyboard(page: Any, web: Web) -> None:
    page.goto("/")
    expect(page.get_by_label("Brukernavn")).to_be_focused()  # autofocus: type at once
    page.keyboard.type(OTHER_CASEWORKER[0])
    page.keyboard.press("Tab")
    page.keyboard.type(OTHER_CASEWORKER[1])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Innboks")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Hopp til innholdet")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.get_by_label("Søk").focus()
    ticket = web.store.tickets(status="new", limit=1)[0]
    page.keyboard.type(ticket.reference)
    page.keyboard.press("Enter")  # an exact reference opens its ticket
    page.wait_for_url(f"**/tickets/{ticket.id}")
    page.get_by_role("button", name="Ta saken").focus()
    assert page.evaluate("() => document.activeElement.tagName") == "BUTTON"


def test_the_admin_page_shows_figures_corrections_rules_and_users(page: Any, web: Web) -> None:
    ticket = web.tickets_with_missing[1]
    with logged_in_client(web, OTHER_CASEWORKER) as client:
        token = csrf_token_in(client.get(f"/tickets/{ticket}").text)
        response = client.post(
            f"/tickets/{ticket}/category", data={"csrf_token": token, "category": "other"}
        )
        assert response.status_code == 303
    log_in(page, ADMIN)
    page.get_by_role("link", name="Administrasjon").click()
    expect(page.get_by_test_id("figures")).to_contain_text("Makro-F1")
    expect(page.get_by_test_id("figures").locator("tbody tr")).to_have_count(6)
    confusion = page.get_by_test_id("confusion")
    expect(confusion).to_be_visible()
    assert confusion.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.get_by_test_id("corrections")).to_contain_text(OTHER_CASEWORKER[0])
    page.get_by_text("rules.toml").last.click()
    expect(page.get_by_test_id("rules")).to_contain_text("threshold")
    for name in (CASEWORKER[0], OTHER_CASEWORKER[0], ADMIN[0]):
        expect(page.get_by_test_id("users")).to_contain_text(name)
