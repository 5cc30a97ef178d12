"""Open work first, and errors that stay on our pages (issue #12, parts 2 and 8).

A site of its own: tickets filed through the real store with known arrival times (minutes,
hours, days and weeks old, some closed) and one subject of 400 characters without a space.
The queue shows open work by default, each ticket's age in words and the overdue ones
marked; filters and the sort live in the URL. Out-of-range ids, unknown URLs and invalid
parameters get the app's own page; a form posted after the session expired leads through
the login and back. The layout is measured in Chromium at 1280×800.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from bot.casework import close
from bot.store import Store
from bot.store.accounts import add_user
from bot.store.models import Ticket, WebSession, as_utc, utc_now
from bot.triage import TriageContext, triage
from bot.web import create_app
from bot.web.i18n import Translator, age_in_units
from bot.web.security import LANGUAGE_COOKIE
from parsers.mail import parse_mail
from tests.conftest import make_mail
from tests.network import free_port
from tests.store.test_store import FORM, reply_builder
from tests.web.conftest import CASEWORKER, LiveServer, csrf_token_in, log_in, site_settings

LONG_SUBJECT = "Søknad" + "X" * 394
"""400 characters, no space: it must wrap inside its cell, never widen the page."""
SUBJECTS = (
    "Søknad om tilgang til mikrodata for forskningsprosjekt om arbeidsmarkedstilknytning",
    "Endringssøknad: forlenget prosjektperiode og nye prosjektmedarbeidere",
    "Signert tilbud for prosjekt om utdanningsforløp blant innvandrere",
    "Bekreftelse på sletting av data etter avsluttet prosjekt",
    "Spørsmål om behandlingstid for søknaden vår",
)
AGES = {
    "minutes": timedelta(minutes=12),
    "hours": timedelta(hours=5, minutes=10),
    "one_day": timedelta(days=1, hours=2),
    "days": timedelta(days=3, hours=1),
    "late": timedelta(days=20),
    "very_late": timedelta(days=40),
    "closed_late": timedelta(days=30),
}
"""Named tickets and how long ago their first mail arrived (`answer_within_days` is 14)."""
FILLERS = 22
"""More open tickets, up to two weeks old, so the first page is full."""


@dataclass
class QueueSite:
    url: str
    store: Store
    tickets: dict[str, int]
    open_tickets: set[int]

    @contextmanager
    def client(self, language: str = "nb") -> Iterator[httpx.Client]:
        """A caseworker logged in through the real login form."""
        with httpx.Client(
            base_url=self.url,
            follow_redirects=False,
            timeout=20,
            cookies={LANGUAGE_COOKIE: language},
        ) as client:
            form = client.get("/login")
            name, password = CASEWORKER
            token = csrf_token_in(form.text)
            data = {"name": name, "password": password, "csrf_token": token, "next": "/"}
            assert client.post("/login", data=data).status_code == 303
            yield client

    def expire_sessions(self) -> None:
        """As if the caseworker had left the page open past `session_hours`."""
        with self.store.session() as session, session.begin():
            session.execute(sa.update(WebSession).values(expires_at=utc_now() - timedelta(1)))


def file_case(store: Store, context: TriageContext, key: str, subject: str, body: str,
              received: datetime, attachments: list[tuple[str, str, bytes]] | None = None) -> int:  # fmt: skip
    raw = make_mail(body, subject=subject, sender=f"Forsker {key} <{key}@uio.no>",
                    attachments=attachments)  # fmt: skip
    filed = store.file_mail(
        raw=raw,
        source_key=f"maildir:{key}",
        received_at=received,
        verdict=triage(raw, key, context),
        mail=parse_mail(raw),
        requirements=context.requirements,
        build_reply=reply_builder(),
    )
    return filed.ticket_id


@pytest.fixture(scope="module")
def queue_site(
    tmp_path_factory: pytest.TempPathFactory, context: TriageContext
) -> Iterator[QueueSite]:
    root = tmp_path_factory.mktemp("open-work")
    settings = site_settings(root)
    assert settings.web.answer_within_days == 14
    store = Store.open(settings.database, settings.raw_mail_dir)
    add_user(store, *CASEWORKER, "caseworker")
    now = utc_now()
    tickets: dict[str, int] = {}
    for n in range(FILLERS):
        received = now - timedelta(days=13, hours=20) + timedelta(hours=14 * n)
        tickets[f"filler{n}"] = file_case(
            store, context, f"filler{n}", SUBJECTS[n % len(SUBJECTS)],
            "Vedlagt er søknaden vår om tilgang til mikrodata.", received,
            attachments=[FORM] if n % 3 == 0 else None,
        )  # fmt: skip
    for name, age in sorted(AGES.items(), key=lambda item: -item[1]):
        body = f"Hei, hvor lang er behandlingstiden? Hilsen {name}"
        tickets[name] = file_case(store, context, name, SUBJECTS[4], body, now - age)
    close(store, tickets["closed_late"], "ola")
    tickets["long"] = file_case(
        store, context, "long", LONG_SUBJECT, "Se emnefeltet.", now - timedelta(minutes=2)
    )
    server = LiveServer(create_app(settings, store), free_port())
    server.start()
    open_tickets = set(tickets.values()) - {tickets["closed_late"]}
    yield QueueSite(f"http://127.0.0.1:{server.server.config.port}", store, tickets, open_tickets)
    server.stop()
    store.engine.dispose()


def rows_of(html: str) -> dict[int, str]:
    """The queue's rows in page order: ticket id → the row's HTML."""
    return {int(t): row for t, row in re.findall(r'data-ticket="(\d+)"(.*?)</tr>', html, re.S)}


def all_pages(client: httpx.Client, url: str) -> dict[int, str]:
    found: dict[int, str] = {}
    page = 1
    while True:
        response = client.get(f"{url}{'&' if '?' in url else '?'}page={page}")
        assert response.status_code == 200
        rows = rows_of(response.text)
        found |= rows
        if 'rel="next"' not in response.text:
            return found
        page += 1


# --- the queue -------------------------------------------------------------------------


def test_the_default_queue_is_open_work_with_each_tickets_age_and_the_overdue_marked(
    queue_site: QueueSite,
) -> None:
    site, named = queue_site, queue_site.tickets
    with site.client() as client:
        default = all_pages(client, "/")
        first = client.get("/").text
        everything = all_pages(client, "/?status=all")
        closed = rows_of(client.get("/?status=closed").text)
        overdue = all_pages(client, "/?overdue=1")
    assert set(default) == site.open_tickets, "closed tickets are not in the default queue"
    assert f"{len(site.open_tickets)} saker" in first
    assert '<option value="" selected' not in first and '<option value="">Åpne saker' in first
    assert set(everything) == site.open_tickets | {named["closed_late"]}
    assert set(closed) == {named["closed_late"]}

    def age(ticket: int) -> str:
        found = re.search(r'data-testid="age"><time [^>]*>([^<]+)</time>', default[ticket])
        assert found, default[ticket]
        return found.group(1)

    minutes = re.fullmatch(r"(\d+) minutter", age(named["minutes"]))
    assert minutes and 12 <= int(minutes.group(1)) < 40, "12 minutes, and the time the tests took"
    assert age(named["hours"]) == "5 timer"
    assert age(named["one_day"]) == "1 dag"
    assert age(named["days"]) == "3 dager"
    assert age(named["late"]) == "20 dager"
    marked = {t for t, row in default.items() if 'data-overdue="1"' in row}
    assert marked == {named["late"], named["very_late"]}
    assert all('data-testid="overdue"' in default[t] for t in marked)
    assert set(overdue) == marked, "the overdue filter lists exactly the marked tickets"
    assert 'data-overdue="1"' not in everything[named["closed_late"]], "closed is never late"


def test_ages_and_counts_in_english_take_the_right_plural_form(queue_site: QueueSite) -> None:
    site, named = queue_site, queue_site.tickets
    with site.client("en") as client:
        rows = all_pages(client, "/")
        one = client.get("/", params={"q": "Hilsen days"}).text
        none = client.get("/", params={"q": "no such ticket anywhere"}).text
        many = client.get("/").text
    assert ">1 day</time>" in rows[named["one_day"]] and ">3 days</time>" in rows[named["days"]]
    assert ">5 hours</time>" in rows[named["hours"]]
    assert re.search(r">\d\d minutes</time>", rows[named["minutes"]])
    assert 'data-testid="total">1 ticket</p>' in one
    assert 'data-testid="total">0 tickets</p>' in none
    assert f'data-testid="total">{len(site.open_tickets)} tickets</p>' in many
    with site.client() as client:
        assert 'data-testid="total">1 sak</p>' in client.get("/", params={"q": "Hilsen days"}).text


@pytest.mark.parametrize(
    ("age", "nb", "en"),
    [
        (timedelta(seconds=30), "Under ett minutt", "Less than a minute"),
        (timedelta(minutes=1), "1 minutt", "1 minute"),
        (timedelta(minutes=59, seconds=59), "59 minutter", "59 minutes"),
        (timedelta(hours=1), "1 time", "1 hour"),
        (timedelta(hours=23, minutes=59), "23 timer", "23 hours"),
        (timedelta(days=1), "1 dag", "1 day"),
        (timedelta(days=2, hours=23), "2 dager", "2 days"),
        (timedelta(days=400), "400 dager", "400 days"),
        (timedelta(minutes=-5), "Under ett minutt", "Less than a minute"),
    ],
)
def test_an_age_is_said_in_whole_units_rounded_down(age: timedelta, nb: str, en: str) -> None:
    assert (Translator("nb").age(age), Translator("en").age(age)) == (nb, en)
    assert age_in_units(age)[1] >= 0


def test_the_sort_and_every_filter_live_in_the_url(queue_site: QueueSite) -> None:
    site = queue_site
    with site.client() as client:
        first = client.get("/").text
        assert 'aria-sort="descending" data-testid="sort-updated"' in first
        received_link = re.search(r'data-testid="sort-received"><a href="([^"]+)"', first)
        assert received_link is not None
        newest = received_link.group(1).replace("&amp;", "&")
        assert parse_qs(urlsplit(newest).query) == {"sort": ["received"]}
        page = client.get(newest).text
        arrivals = [received_at(site, t) for t in rows_of(page)]
        assert arrivals == sorted(arrivals, reverse=True)
        oldest_link = re.search(r'data-testid="sort-received"><a href="([^"]+)"', page)
        assert oldest_link is not None
        oldest = oldest_link.group(1).replace("&amp;", "&")
        assert parse_qs(urlsplit(oldest).query) == {"sort": ["received"], "order": ["asc"]}
        page = client.get(oldest).text
        assert 'aria-sort="ascending" data-testid="sort-received"' in page
        arrivals = [received_at(site, t) for t in rows_of(page)]
        assert arrivals == sorted(arrivals) and rows_of(page)
        assert '<input type="hidden" name="sort" value="received">' in page
        assert '<input type="hidden" name="order" value="asc">' in page

        bookmarked = "/?status=all&overdue=1&sort=received&order=asc&missing="
        page = client.get(bookmarked).text
        assert list(rows_of(page)) == [site.tickets["very_late"], site.tickets["late"]]
        assert '<option value="all" selected>' in page
        assert 'name="overdue" value="1" checked' in page
        next_page = re.search(r'href="(/\?[^"]*)" rel="next"', client.get("/").text)
        assert next_page is not None and "page=2" in next_page.group(1)


def received_at(site: QueueSite, ticket_id: int) -> datetime:
    with site.store.session() as session:
        return as_utc(session.get_one(Ticket, ticket_id).received_at)


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/tickets/{2**70}",
        f"/tickets/{2**31}",
        "/tickets/0",
        "/tickets/-1",
        "/tickets/abc",
        "/tickets/1e3",
        "/tickets/%C2%B2",
        "/tickets/999999",
        f"/tickets/1/mails/{2**70}/raw",
        f"/tickets/1/mails/1/attachments/{2**70}",
        "/no/such/page",
        "/tickets",
    ],
)
def test_unknown_pages_and_impossible_ids_get_our_own_404_page(
    queue_site: QueueSite, path: str
) -> None:
    with queue_site.client() as client:
        response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-testid="error-message">Fant ikke siden.' in response.text
    assert f"<strong>{CASEWORKER[0]}</strong>" in response.text, "still logged in"


def test_invalid_parameters_and_methods_get_our_own_error_page(queue_site: QueueSite) -> None:
    with queue_site.client("en") as client:
        for path in ("/?page=0", "/?page=abc", f"/?page={2**70}", "/?q=" + "x" * 201):
            response = client.get(path)
            assert response.status_code == 400, path
            assert response.headers["content-type"].startswith("text/html"), path
            assert "The address has an invalid value: " in response.text, path
        assert "invalid value: page." in client.get("/?page=0").text
        wrong_method = client.get(f"/tickets/{queue_site.tickets['days']}/close")
        assert wrong_method.status_code == 405
        assert "This page cannot be used that way." in wrong_method.text
    with httpx.Client(base_url=queue_site.url) as anonymous:
        unknown = anonymous.get("/no/such/page")
        assert unknown.status_code == 404 and "Fant ikke siden." in unknown.text
        assert "user-name" not in unknown.text


def test_a_form_posted_after_the_session_expired_returns_to_its_page_after_the_login(
    queue_site: QueueSite,
) -> None:
    ticket = queue_site.tickets["days"]
    with queue_site.client() as client:
        form_page = f"{queue_site.url}/tickets/{ticket}?done=field"
        token = csrf_token_in(client.get(f"/tickets/{ticket}").text)
        queue_site.expire_sessions()
        cases = {
            form_page: f"/tickets/{ticket}?done=field",  # the page the form was on
            "https://elsewhere.example/tickets/1": f"/tickets/{ticket}",  # not ours
            f"{queue_site.url}//elsewhere.example/x": f"/tickets/{ticket}",
            f"{queue_site.url}/login?next=/": f"/tickets/{ticket}",
            "": f"/tickets/{ticket}",  # no Referer: the ticket the form acted on
        }
        for referer, back in cases.items():
            headers = {"referer": referer} if referer else {}
            response = client.post(
                f"/tickets/{ticket}/assign", data={"csrf_token": token}, headers=headers
            )
            assert response.status_code == 303, (referer, response.text)
            assert response.headers["location"] == f"/login?next={quote(back, safe='')}", referer
        logout = client.post("/logout", data={"csrf_token": token}, headers={"referer": form_page})
        assert logout.headers["location"] == "/login?next=%2F"

        login = client.get(f"/login?next={quote(cases[form_page], safe='')}")
        assert f'value="{cases[form_page]}"' in login.text
        name, password = CASEWORKER
        data = {"name": name, "password": password, "csrf_token": csrf_token_in(login.text)}
        returned = client.post("/login", data={**data, "next": cases[form_page]})
        assert returned.status_code == 303 and returned.headers["location"] == cases[form_page]
    with queue_site.store.session() as session:
        assigned = session.get_one(Ticket, ticket).assigned_to
    assert assigned is None, "the expired form was not carried out"


@contextmanager
def browser_page(browser: Any, site: QueueSite, width: int = 1280) -> Iterator[Any]:
    """A fresh browser context on this module's site, logged in as the caseworker."""
    context = browser.new_context(
        base_url=site.url, viewport={"width": width, "height": 800}, locale="nb-NO"
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        log_in(page, CASEWORKER)
        yield page
    finally:
        context.close()


def test_in_the_browser_an_expired_session_leads_through_the_login_back_to_the_ticket(
    browser: Any, queue_site: QueueSite
) -> None:
    with browser_page(browser, queue_site) as page:
        expired_form_returns_to_its_ticket(page, queue_site)


def expired_form_returns_to_its_ticket(page: Any, queue_site: QueueSite) -> None:
    ticket = queue_site.tickets["hours"]
    page.goto(f"/tickets/{ticket}")
    queue_site.expire_sessions()
    page.get_by_role("button", name="Ta saken").click()
    page.wait_for_url(re.compile(r"/login\?next="))
    expect(page.get_by_label("Brukernavn")).to_be_visible()
    page.get_by_label("Brukernavn").fill(CASEWORKER[0])
    page.get_by_label("Passord").fill(CASEWORKER[1])
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url(f"{queue_site.url}/tickets/{ticket}")
    expect(page.get_by_test_id("user-name")).to_have_text(CASEWORKER[0])
    page.get_by_role("button", name="Ta saken").click()
    expect(page.get_by_test_id("done")).to_contain_text("Saken er din.")


def test_a_closed_tickets_reference_in_the_search_box_opens_the_ticket(
    browser: Any, queue_site: QueueSite
) -> None:
    closed = queue_site.tickets["closed_late"]
    with browser_page(browser, queue_site) as page:
        page.get_by_label("Søk").fill(f"MB-{closed:06d}")
        page.get_by_label("Søk").press("Enter")
        page.wait_for_url(f"{queue_site.url}/tickets/{closed}")
        expect(page.locator("h1")).to_contain_text(f"MB-{closed:06d}")


@pytest.mark.parametrize("typed", ["MB-{n:06d}", "mb{n}", " MB-{n} "])
def test_an_exact_reference_goes_straight_to_its_ticket_whatever_its_status(
    queue_site: QueueSite, typed: str
) -> None:
    closed = queue_site.tickets["closed_late"]
    with queue_site.client() as client:
        answer = client.get("/", params={"q": typed.format(n=closed)})
        assert answer.status_code == 303 and answer.headers["location"] == f"/tickets/{closed}"


def test_a_reference_to_no_ticket_or_a_plain_number_stays_a_search(
    queue_site: QueueSite,
) -> None:
    closed = queue_site.tickets["closed_late"]
    with queue_site.client() as client:
        missing = client.get("/", params={"q": "MB-999999"})
        assert missing.status_code == 200 and rows_of(missing.text) == {}
        plain = client.get("/", params={"q": str(closed)})
        assert plain.status_code == 200 and rows_of(plain.text) == {}  # open work only


# --- the layout ------------------------------------------------------------------------


def test_at_1280_px_the_queue_fits_with_a_readable_subject_and_a_long_one_wraps(
    browser: Any, queue_site: QueueSite
) -> None:
    with browser_page(browser, queue_site, width=1280) as page:
        measure_the_queue(page, queue_site)


def measure_the_queue(page: Any, queue_site: QueueSite) -> None:
    rows = page.get_by_test_id("ticket-row")
    expect(rows).to_have_count(25)
    long_row = page.locator(f'tr[data-ticket="{queue_site.tickets["long"]}"]')
    expect(long_row.locator("td.subject")).to_contain_text(LONG_SUBJECT)
    measured = page.evaluate(
        """() => {
            const subject = document.querySelector("[data-testid=subject-column]");
            const wrap = document.querySelector(".table-wrap");
            const cells = [...document.querySelectorAll("table.queue td.subject")];
            const brokenWords = [];  // a word of a subject, a missing item or a header split
            const scope = "table.queue td.subject, table.queue td.missing li, table.queue th";
            for (const element of document.querySelectorAll(scope)) {
                const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
                for (let text = walker.nextNode(); text; text = walker.nextNode()) {
                    if (text.data.length > 200) continue;  // the 400-character subject may
                    for (const match of text.data.matchAll(/\\S+/g)) {
                        const range = document.createRange();
                        range.setStart(text, match.index);
                        range.setEnd(text, match.index + match[0].length);
                        const tops = [...range.getClientRects()].map(r => Math.round(r.top));
                        if (new Set(tops).size > 1) brokenWords.push(match[0]);
                    }
                }
            }
            const long = [...cells].find(c => c.textContent.length > 390);
            const spilling = [...document.querySelectorAll("table.queue td, table.queue th")]
                .filter(c => c.scrollWidth > c.clientWidth)
                .map(c => c.textContent.trim().slice(0, 60));
            return {
                subjectWidth: subject.getBoundingClientRect().width,
                scrollWidth: document.documentElement.scrollWidth,
                innerWidth: window.innerWidth,
                wrapScroll: wrap.scrollWidth - wrap.clientWidth,
                longCellOverflow: long.scrollWidth - long.clientWidth,
                longCellRight: long.getBoundingClientRect().right,
                brokenWords,
                normalCells: cells.length - 1,
                spilling,
            };
        }"""
    )
    assert measured["subjectWidth"] >= 250, measured
    assert measured["scrollWidth"] <= measured["innerWidth"], measured
    assert measured["wrapScroll"] == 0, "the table itself does not scroll sideways"
    assert measured["longCellOverflow"] <= 0 and measured["longCellRight"] <= 1280, measured
    assert measured["normalCells"] >= 20 and measured["brokenWords"] == [], measured
    assert measured["spilling"] == [], "no cell's text runs into the next one"
