"""The web pages on a real store: fixture mails filed by the real service, uvicorn on a
loopback port, headless Debian Chromium driven by Playwright (never a downloaded browser).

One filed store and one server for the whole web suite (the mails take seconds to
triage), one browser; each test opens its own browser context (its own cookies).
"""

from __future__ import annotations

import email.policy
import hashlib
import mailbox
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from bot.evaluate import evaluate, read_labels
from bot.replies.senders import FileSender
from bot.service import Service
from bot.settings import Settings, WebSettings
from bot.sources import open_source
from bot.store import Store
from bot.store.accounts import add_user
from bot.store.models import Mail
from bot.triage import TriageContext
from bot.verdict import Verdict
from bot.web import create_app
from bot.web.security import LANGUAGE_COOKIE
from fixtures.seed_maildir import seed
from tests.conftest import REPO
from tests.network import free_port
from tests.store import conftest as store_fixtures

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]
CASEWORKER = ("kari", "kari-passord-123")
ADMIN = ("admin", "admin-passord-123")
OTHER_CASEWORKER = ("ola", "ola-passord-1234")
HOSTILE_SUBJECT = '<script>window.__xss="subject"</script>Søknad <img src=x onerror="window.__xss=\'subject-img\'">'
HOSTILE_FILENAME = "<img src=x onerror=window.__xss=1>.pdf"


def hostile_mail(tracker: str) -> bytes:
    """A mail that tries every way into the page: subject, text, attachment name, HTML."""
    message = EmailMessage()
    message["From"] = "Mallory <mallory@example.org>"
    message["To"] = "mikrodata@ssb.no"
    message["Subject"] = HOSTILE_SUBJECT
    message["Message-ID"] = "<hostile-1@example.org>"
    message["Date"] = "Tue, 04 Mar 2025 10:00:00 +0100"
    message.set_content(
        "Hei!\n<script>window.__xss='text'</script>\n"
        "<img src=x onerror=\"window.__xss='text-img'\">\n"
        '"><svg onload="window.__xss=\'text-svg\'">\n'
    )
    message.add_alternative(
        "<html><head><script>window.__xss='html'</script>"
        f"<style>body{{background:url({tracker}/style.png)}}</style></head>"
        f"<body onload=\"window.__xss='onload'\"><p>Søknad <b>vedlagt</b></p>"
        f'<img src="{tracker}/pixel.png" onerror="window.__xss=\'html-img\'">'
        "<a href=\"javascript:window.__xss='href'\">klikk</a>"
        f'<iframe src="{tracker}/frame"></iframe>'
        "<svg><script>window.__xss='svg'</script></svg>"
        f'<form action="{tracker}/steal"><input name=p></form>'
        "</body></html>",
        subtype="html",
    )
    message.add_attachment(
        b"<script>alert(1)</script>",
        maintype="text",
        subtype="html",
        filename=HOSTILE_FILENAME,
    )
    return message.as_bytes(policy=email.policy.SMTP)


@dataclass
class Web:
    url: str
    settings: Settings
    store: Store
    tracker: str
    """A URL nothing listens on: any request to it is remote content leaking through."""
    hostile_ticket: int
    tickets_with_missing: list[int]

    def ticket_of(self, message_id: str) -> int:
        with self.store.session() as session:
            mail = session.query(Mail).filter(Mail.message_id == message_id).one()
            return mail.ticket_id


class LiveServer:
    """uvicorn in a thread, for as long as the suite runs."""

    def __init__(self, app: Any, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the web server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _write_evaluation(store: Store, path: Path) -> None:
    """What `mikrobot evaluate --json` writes, computed from the filed fixture mails."""
    by_file = {}
    for label in read_labels(REPO / "fixtures" / "labels.jsonl"):
        raw = (REPO / label.file).read_bytes()
        by_file[hashlib.sha256(raw).hexdigest()] = label
    with store.session() as session:
        pairs = [
            (by_file[m.sha256], Verdict.from_json(m.verdict))
            for m in session.query(Mail).all()
            if m.sha256 in by_file
        ]
    import json

    path.write_text(json.dumps(evaluate(pairs).to_json()), encoding="utf-8")


def site_settings(root: Path) -> Settings:
    """Settings for a test site under `root`: Maildir inbox, SQLite, replies as files."""
    return Settings(
        source=str(root / "inbox"),
        smtp=str(root / "outbox"),
        database=f"sqlite:///{root / 'mikrobot.db'}",
        raw_mail_dir=root / "mail",
        web=WebSettings(
            secret_key=SecretStr("test-secret-key"),
            secure_cookies=False,
            evaluation_file=root / "evaluation.json",
        ),
    )


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory, context: TriageContext) -> Iterator[Web]:
    root = tmp_path_factory.mktemp("web")
    tracker = f"http://127.0.0.1:{free_port()}"
    settings = site_settings(root)
    seed(root / "inbox", per_category=3)
    hostile = hostile_mail(tracker)
    mailbox.Maildir(root / "inbox", create=False).add(mailbox.MaildirMessage(hostile))
    store = Store.open(settings.database, settings.raw_mail_dir)
    service = Service(
        settings, context, open_source(settings.source), store, FileSender(root / "outbox")
    )
    service.run(once=True)  # files every mail, moves it, and writes the replies
    service.source.close()
    for name, password in (CASEWORKER, OTHER_CASEWORKER):
        add_user(store, name, password, "caseworker")
    add_user(store, *ADMIN, "admin")
    _write_evaluation(store, root / "evaluation.json")

    port = free_port()
    server = LiveServer(create_app(settings, store), port)
    server.start()
    web = Web(f"http://127.0.0.1:{port}", settings, store, tracker, 0, [])
    web.hostile_ticket = web.ticket_of("<hostile-1@example.org>")
    web.tickets_with_missing = sorted(
        t.id for t in store.tickets(limit=1000) if t.missing and t.id != web.hostile_ticket
    )
    yield web
    server.stop()
    store.engine.dispose()


# --- clients ---------------------------------------------------------------------------

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token_in(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@contextmanager
def logged_in_client(web: Web, user: tuple[str, str]) -> Iterator[httpx.Client]:
    """An HTTP client with a session, logged in through the real login form."""
    with httpx.Client(base_url=web.url, follow_redirects=False, timeout=20) as client:
        yield _log_in(client, user)


def _log_in(client: httpx.Client, user: tuple[str, str]) -> httpx.Client:
    form = client.get("/login")
    response = client.post(
        "/login",
        data={
            "name": user[0],
            "password": user[1],
            "csrf_token": csrf_token_in(form.text),
            "next": "/",
        },
    )
    assert response.status_code == 303, response.text
    return client


# --- the browser -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless; missing it fails on CI and skips elsewhere."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found (apt-get install chromium, or `make install`)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, web: Web) -> Iterator[Any]:
    """A fresh browser context (no cookies) at laptop size, Norwegian by default."""
    context = browser.new_context(
        base_url=web.url, viewport={"width": 1366, "height": 800}, locale="nb-NO"
    )
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


def log_in(page: Any, user: tuple[str, str]) -> None:
    page.goto("/")
    page.get_by_label("Brukernavn").fill(user[0])
    page.get_by_label("Passord").fill(user[1])
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url(re.compile(r"/$|/\?"))


# The store tests' fixtures (a fresh SQLite file or PostgreSQL database per test), for
# the casework tests here.
database_url = store_fixtures.database_url
postgres_admin = store_fixtures.postgres_admin
store = store_fixtures.store


def filed_site(
    root: Path, mails: dict[str, bytes], context: TriageContext
) -> tuple[Settings, Store, dict[str, Mail]]:
    """A site under `root` whose inbox held `mails`, filed by the real service once, with
    the caseworker and the admin; the filed mail rows by the names given."""
    from parsers.mail import parse_mail

    settings = site_settings(root)
    inbox = mailbox.Maildir(root / "inbox", create=True)
    for raw in mails.values():
        inbox.add(mailbox.MaildirMessage(raw))
    store = Store.open(settings.database, settings.raw_mail_dir)
    service = Service(
        settings, context, open_source(settings.source), store, FileSender(root / "outbox")
    )
    service.run(once=True)
    service.source.close()
    add_user(store, *CASEWORKER, "caseworker")
    add_user(store, *ADMIN, "admin")
    with store.session() as session:
        filed = {
            name: session.query(Mail).filter(Mail.message_id == parse_mail(raw).message_id).one()
            for name, raw in mails.items()
        }
    return settings, store, filed


@contextmanager
def client_of(url: str, user: tuple[str, str], language: str = "nb") -> Iterator[httpx.Client]:
    """An HTTP client on `url`, logged in as `user`, the pages in `language`."""
    with httpx.Client(base_url=url, follow_redirects=False, timeout=30) as client:
        client.cookies.set(LANGUAGE_COOKIE, language)
        yield _log_in(client, user)
