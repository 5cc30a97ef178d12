"""Personal data received by mail, on the caseworkers' pages (issue #11 §2–§3).

Mails carrying national ID numbers are filed by the real service (triage finds the
numbers), then served by the real app on a loopback port: the ticket is flagged and the
queue filters on it; a caseworker is refused the files that hold IDs (and the raw mail),
an admin gets them only with a reason, which goes to the ticket's history; and no page
either of them can open — nor `/metrics` — shows a number unmasked. The browser test
(Debian Chromium) shows the flag, the filtered queue, the refusal and the logged download.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from prometheus_client import CollectorRegistry, generate_latest

from bot.metrics import StoreCollector
from bot.store import Store
from bot.store.models import Mail, TicketEvent
from bot.triage import TriageContext
from bot.web import create_app
from bot.web.mailview import mail_view
from bot.web.personal_data import (
    DOWNLOADED,
    Access,
    download_access,
    protected_attachments,
)
from bot.web.security import LANGUAGE_COOKIE
from tests.conftest import make_mail
from tests.network import free_port
from tests.web.conftest import (
    ADMIN,
    CASEWORKER,
    LiveServer,
    csrf_token_in,
    filed_site,
    log_in,
)

FNR = "01019010046"
DNR = "41019010110"
FULL_FORMS = (FNR, DNR, "010190 10046", "410190 10110", "010190\u00a010046", "010190&nbsp;10046")
"""Every way the numbers could reach a page: plain, `DDMMYY NNNNN`, with a no-break space."""
MASKED = ("010190*****", "410190*****")
CSV = f"fnr;navn\n{DNR};Ola Nordmann\n{FNR};Kari Nordmann\n".encode()

EVERYWHERE = make_mail(
    "Hei,\n\nvi søker om tilgang. Mitt fødselsnummer er 010190 10046.\n\nHilsen Kari\n",
    subject=f"Søknad om tilgang – fnr {FNR}",
    sender="Kari Nordmann <kari.nordmann@bergen.kommune.no>",
    html=f"<p>Vi søker om tilgang.</p><p>Fødselsnummer: 010190&nbsp;10046</p><p>{DNR}</p>",
    attachments=[
        (f"utvalg_{DNR}.csv", "text/csv", CSV),
        ("prosjektbeskrivelse.txt", "text/plain", b"Prosjektbeskrivelse: levekaar i Bergen.\n"),
    ],
)
"""IDs in the subject, the text, the HTML part, an attachment and an attachment's name."""
IN_A_FILE = make_mail(
    "Hei,\n\nvedlagt er utvalget vi vil koble, og begrunnelsen for DPIA.\n\nMvh Per\n",
    subject="Endringssøknad: nytt utvalg",
    sender="Per Hansen <per.hansen@uio.no>",
    attachments=[
        ("utvalg.csv", "text/csv", CSV),
        ("dpia.txt", "text/plain", b"Vi trenger ingen DPIA fordi dataene er anonyme.\n"),
    ],
)
"""IDs in one attachment only: only that file is set apart."""
TO_DELETE = make_mail(
    "Hei,\n\nher er listen.\n\nMvh Liv\n",
    subject="Liste over deltakere",
    sender="Liv Berg <liv.berg@ntnu.no>",
    attachments=[("deltakere.csv", "text/csv", CSV)],
)
CLEAN = make_mail(
    "Hei,\n\nhvordan søker vi om tilgang til mikrodata?\n\nMvh Åse\n",
    subject="Spørsmål om tilgang",
    sender="Åse Lie <ase.lie@oslomet.no>",
    attachments=[("notat.txt", "text/plain", b"Et notat uten personopplysninger.\n")],
)


@dataclass
class Site:
    url: str
    store: Store
    tickets: dict[str, int]
    mails: dict[str, Mail]

    @contextmanager
    def client(self, user: tuple[str, str], language: str = "nb") -> Iterator[httpx.Client]:
        """Logged in through the login form, the pages in `language`."""
        with httpx.Client(base_url=self.url, follow_redirects=False, timeout=20) as client:
            client.cookies.set(LANGUAGE_COOKIE, language)
            form = client.get("/login")
            response = client.post(
                "/login",
                data={"name": user[0], "password": user[1], "csrf_token": csrf_token_in(form.text)},
            )
            assert response.status_code == 303, response.text
            yield client

    def events(self, ticket: str) -> list[TicketEvent]:
        with self.store.session() as session:
            return list(
                session.query(TicketEvent)
                .filter(TicketEvent.ticket_id == self.tickets[ticket])
                .filter(TicketEvent.action == DOWNLOADED)
                .order_by(TicketEvent.id)
            )

    def attachment_url(self, name: str, index: int) -> str:
        mail = self.mails[name]
        return f"/tickets/{mail.ticket_id}/mails/{mail.id}/attachments/{index}"

    def raw_url(self, name: str) -> str:
        mail = self.mails[name]
        return f"/tickets/{mail.ticket_id}/mails/{mail.id}/raw"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, context: TriageContext) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("personal-data-web")
    mails = {"everywhere": EVERYWHERE, "in_a_file": IN_A_FILE, "to_delete": TO_DELETE}
    mails["clean"] = CLEAN
    settings, store, filed = filed_site(root, mails, context)
    with store.session() as session, session.begin():
        # As the deletion ("Slett personopplysningene") leaves a mail: its bytes gone and
        # the time recorded. The deletion itself is another part's test.
        gone = session.get_one(Mail, filed["to_delete"].id)
        gone.personal_data_deleted_at = datetime(2025, 3, 6, 9, 0, tzinfo=UTC)
        store.raw_mail.path_for(gone.sha256).unlink()
    filed["to_delete"] = gone
    server = LiveServer(create_app(settings, store), free_port())
    server.start()
    yield Site(
        f"http://127.0.0.1:{server.server.config.port}",
        store,
        {name: mail.ticket_id for name, mail in filed.items()},
        filed,
    )
    server.stop()
    store.engine.dispose()


def assert_no_full_number(text: str, where: str) -> None:
    for form in FULL_FORMS:
        assert form not in text, f"{form!r} on {where}"


# --- the rule, pure ---------------------------------------------------------------------


def test_only_the_attachments_named_are_set_apart_when_only_attachments_held_ids() -> None:
    verdict = {"personal_data": [{"where": "attachment:utvalg.csv", "count": 2}]}
    assert protected_attachments(verdict, ["utvalg.csv", "dpia.txt"]) == {0}
    masked_name = {"personal_data": [{"where": "attachment:utvalg_410190*****.csv", "count": 2}]}
    assert protected_attachments(masked_name, [f"utvalg_{DNR}.csv", "a.txt"]) == {0}


def test_every_attachment_is_set_apart_when_the_text_held_ids_or_it_cannot_be_told() -> None:
    names = ["utvalg.csv", "dpia.txt"]
    for where in ("body", "subject", "attachment:inside-the-zip.csv"):
        verdict = {"personal_data": [{"where": where, "count": 1}]}
        assert protected_attachments(verdict, names) == {0, 1}, where
    assert protected_attachments({"personal_data": []}, names) == frozenset()


def test_the_access_rule() -> None:
    rule = download_access
    assert rule(holds_ids=False, deleted=False, is_admin=False, reason=None) is Access.ALLOWED
    assert rule(holds_ids=True, deleted=False, is_admin=False, reason="fordi") is Access.REFUSED
    assert rule(holds_ids=True, deleted=False, is_admin=True, reason=None) is Access.REASON_NEEDED
    assert rule(holds_ids=True, deleted=False, is_admin=True, reason="  ") is Access.REASON_NEEDED
    assert rule(holds_ids=True, deleted=False, is_admin=True, reason="kontroll") is Access.ALLOWED
    assert rule(holds_ids=True, deleted=True, is_admin=True, reason="kontroll") is Access.DELETED


def test_the_mail_view_masks_what_it_reads_from_the_raw_bytes() -> None:
    view = mail_view(EVERYWHERE, {})
    shown = [view.text, view.quoted, view.forwarded, view.html or ""]
    shown += [a.filename for a in view.attachments]
    for text in shown:
        assert_no_full_number(text, "the mail view")
    assert "Mitt fødselsnummer er 010190 *****." in view.text
    assert "010190\u00a0*****" in (view.html or "") and MASKED[1] in (view.html or "")
    assert view.attachments[0].filename == f"utvalg_{MASKED[1]}.csv"


# --- over HTTP --------------------------------------------------------------------------


def test_triage_found_the_numbers_the_tests_rely_on(site: Site) -> None:
    places = {n: [p["where"] for p in m.verdict["personal_data"]] for n, m in site.mails.items()}
    assert {"subject", "body"} <= set(places["everywhere"])
    assert any(w.startswith("attachment:utvalg_") for w in places["everywhere"])
    assert places["in_a_file"] == ["attachment:utvalg.csv"]
    assert places["clean"] == []
    assert all(site.mails[n].personal_data for n in ("everywhere", "in_a_file", "to_delete"))


def test_the_ticket_is_flagged_with_where_the_numbers_were_and_whether_deleted(
    site: Site,
) -> None:
    with site.client(CASEWORKER) as client:
        page = client.get(f"/tickets/{site.tickets['everywhere']}").text
        flag = page[page.index('data-testid="personal-data-flag"') :]
        flag = flag[: flag.index("</section>")]
        assert "Personopplysninger mottatt på e-post" in flag
        assert 'data-where="subject">Emnefeltet (1 fødselsnummer)' in flag
        assert 'data-where="body">E-postteksten' in flag
        assert f"Vedlegget utvalg_{MASKED[1]}.csv (2 fødselsnummer)" in flag
        assert "Ikke slettet ennå" in flag
        deleted = client.get(f"/tickets/{site.tickets['to_delete']}").text
        assert "Slettet 06.03.2025 10:00" in deleted
        clean = client.get(f"/tickets/{site.tickets['clean']}").text
        assert "personal-data-flag" not in clean
    with site.client(CASEWORKER, "en") as client:
        page = client.get(f"/tickets/{site.tickets['in_a_file']}").text
        assert "Personal data received by e-mail" in page
        assert "The attachment utvalg.csv (2 national ID numbers)" in page


def test_the_queue_marks_flagged_tickets_and_filters_on_them(site: Site) -> None:
    flagged = {site.tickets[n] for n in ("everywhere", "in_a_file", "to_delete")}
    with site.client(CASEWORKER) as client:
        everything = client.get("/").text
        only = client.get("/?personal_data=1").text
    rows = re.findall(r'data-ticket="(\d+)">(.*?)</tr>', everything, re.S)
    assert {int(t) for t, _ in rows} == flagged | {site.tickets["clean"]}
    assert {int(t) for t, row in rows if 'data-testid="pd-badge"' in row} == flagged
    assert {int(t) for t in re.findall(r'data-ticket="(\d+)"', only)} == flagged
    assert 'name="personal_data" value="1" checked' in only
    assert "3 saker" in only


def test_the_download_routes_answer_no_one_without_a_session(site: Site) -> None:
    before = len(site.events("in_a_file"))
    with httpx.Client(base_url=site.url, follow_redirects=False) as anonymous:
        for url in (site.attachment_url("in_a_file", 0), site.raw_url("in_a_file")):
            assert anonymous.get(url).status_code == 303
            refused = anonymous.post(url, data={"reason": "kontroll av utvalget"})
            assert refused.status_code == 303 and b"Nordmann" not in refused.content
            assert refused.headers["location"].startswith("/login?next=%2Ftickets%2F")
    assert len(site.events("in_a_file")) == before


def test_a_caseworker_is_refused_the_files_that_hold_ids_and_the_raw_mail(site: Site) -> None:
    before = len(site.events("in_a_file"))
    with site.client(CASEWORKER) as client:
        for name, index in (("in_a_file", 0), ("everywhere", 0), ("everywhere", 1)):
            response = client.get(site.attachment_url(name, index))
            assert response.status_code == 403, (name, index)
            assert response.headers["content-type"].startswith("text/html")
            assert "Saksbehandlere kan ikke laste den ned" in response.text
            assert b"Nordmann" not in response.content
        page = client.get(f"/tickets/{site.tickets['in_a_file']}").text
        token = csrf_token_in(page)
        tried = client.post(
            site.attachment_url("in_a_file", 0), data={"csrf_token": token, "reason": "trenger den"}
        )
        assert tried.status_code == 403 and b"Nordmann" not in tried.content
        raw = client.get(site.raw_url("in_a_file"))
        assert raw.status_code == 403 and b"Nordmann" not in raw.content
        assert len(site.events("in_a_file")) == before
        # what holds no IDs stays a plain download
        dpia = client.get(site.attachment_url("in_a_file", 1))
        assert dpia.status_code == 200 and dpia.content.startswith(b"Vi trenger ingen DPIA")
        clean = client.get(site.raw_url("clean"))
        assert clean.status_code == 200 and clean.content == CLEAN


def test_an_admin_downloads_only_with_a_reason_and_the_download_is_logged(site: Site) -> None:
    url = site.attachment_url("in_a_file", 0)
    before = len(site.events("in_a_file"))
    with site.client(ADMIN) as client:
        asked = client.get(url)
        assert asked.status_code == 200 and 'data-testid="pd-reason-form"' in asked.text
        assert b"Nordmann" not in asked.content
        token = csrf_token_in(asked.text)
        no_token = client.post(url, data={"reason": "kontroll av utvalget"})
        assert no_token.status_code == 403 and b"Nordmann" not in no_token.content
        too_short = client.post(url, data={"csrf_token": token, "reason": " ok "})
        assert too_short.status_code == 400 and "minst 5 tegn" in too_short.text
        assert b"Nordmann" not in too_short.content
        assert len(site.events("in_a_file")) == before

        got = client.post(url, data={"csrf_token": token, "reason": "kontroll av utvalget"})
        assert got.status_code == 200 and got.content == CSV
        assert got.headers["content-type"] == "application/octet-stream"
        assert 'filename="utvalg.csv"' in got.headers["content-disposition"]
        raw = client.post(
            site.raw_url("in_a_file"), data={"csrf_token": token, "reason": "hele e-posten"}
        )
        assert raw.status_code == 200 and raw.content == IN_A_FILE
    mail = site.mails["in_a_file"].id
    logged = [(e.actor, e.detail) for e in site.events("in_a_file")]
    assert logged[before:] == [
        (ADMIN[0], {"mail_id": mail, "file": "utvalg.csv", "reason": "kontroll av utvalget"}),
        (ADMIN[0], {"mail_id": mail, "file": f"mail-{mail}.eml", "reason": "hele e-posten"}),
    ]
    with site.client(CASEWORKER) as client:
        history = client.get(f"/tickets/{site.tickets['in_a_file']}").text
    rows = re.findall(r'<tr data-action="personal_data_downloaded">.*?</tr>', history, re.S)
    row = next(r for r in rows if "Grunn: hele e-posten" in r)
    assert "Personopplysninger lastet ned" in row and f"<td>{ADMIN[0]}</td>" in row
    assert f"Fil: mail-{mail}.eml" in row


def test_after_deletion_there_is_nothing_to_download_and_the_page_says_so(site: Site) -> None:
    for user in (CASEWORKER, ADMIN):
        with site.client(user) as client:
            for url in (site.attachment_url("to_delete", 0), site.raw_url("to_delete")):
                response = client.get(url)
                assert response.status_code == 410, (user, url)
                assert "er slettet (06.03.2025 10:00)" in response.text
    with site.client(ADMIN) as client:
        token = csrf_token_in(client.get("/").text)
        response = client.post(
            site.attachment_url("to_delete", 0), data={"csrf_token": token, "reason": "kontroll"}
        )
        assert response.status_code == 410
    assert site.events("to_delete") == []


def test_no_page_a_caseworker_or_an_admin_can_open_shows_a_number_unmasked(site: Site) -> None:
    ticket = site.tickets["everywhere"]
    with site.client(ADMIN) as client:
        token = csrf_token_in(client.get("/").text)
        reason = f"Kontroll av {FNR} etter avtale"  # a number typed into the reason, too
        got = client.post(
            site.attachment_url("everywhere", 0), data={"csrf_token": token, "reason": reason}
        )
        assert got.status_code == 200 and FNR.encode() in got.content  # the file itself
        assert_no_full_number(got.headers["content-disposition"], "the download's name")
    seen: dict[str, str] = {}
    paths = ["/", "/?personal_data=1", f"/?q={ticket}", "/?q=fnr", "/admin"]
    paths += [f"/tickets/{t}" for t in site.tickets.values()]
    paths += ["/admin/confusion.svg", "/tickets/999999"]
    paths += [site.attachment_url(n, i) for n, i in (("everywhere", 0), ("everywhere", 1))]
    paths += [site.raw_url("everywhere"), site.attachment_url("to_delete", 0)]
    for user in (CASEWORKER, ADMIN):
        for language in ("nb", "en"):
            with site.client(user, language) as client:
                for path in paths:
                    response = client.get(path)
                    assert response.status_code in (200, 403, 404, 410), (path, response)
                    seen[f"{user[0]} {language} {path}"] = response.text
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(site.store))
    seen["/metrics"] = generate_latest(registry).decode()
    for where, text in seen.items():
        assert_no_full_number(text, where)
    ticket_page = seen[f"{CASEWORKER[0]} nb /tickets/{ticket}"]
    for masked in MASKED:
        assert masked in ticket_page
    assert f"Søknad om tilgang – fnr {MASKED[0]}" in ticket_page  # the subject
    assert "Mitt fødselsnummer er 010190 *****." in ticket_page  # the text
    assert f"utvalg_{MASKED[1]}.csv" in ticket_page  # the attachment's name
    assert f"Grunn: Kontroll av {MASKED[0]} etter avtale" in ticket_page  # the history
    queue = seen[f"{ADMIN[0]} nb /"]
    assert f"fnr {MASKED[0]}" in queue


# --- in the browser ---------------------------------------------------------------------


def test_the_flag_the_filter_a_refused_download_and_an_admins_logged_one(
    browser: Any, site: Site, tmp_path: Path
) -> None:
    flagged = {site.tickets[n] for n in ("everywhere", "in_a_file", "to_delete")}
    ticket = site.tickets["in_a_file"]
    context = browser.new_context(
        base_url=site.url, viewport={"width": 1366, "height": 800}, accept_downloads=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    downloads: list[Any] = []
    page.on("download", lambda download: downloads.append(download))
    log_in(page, CASEWORKER)
    page.get_by_label("Personopplysninger mottatt").check()
    page.get_by_role("button", name="Vis").click()
    page.wait_for_url(re.compile(r"personal_data=1"))
    expect(page.get_by_test_id("total")).to_have_text("3 saker")
    rows = page.get_by_test_id("ticket-row")
    expect(rows).to_have_count(len(flagged))
    assert {int(r) for r in rows.evaluate_all("rs => rs.map(r => r.dataset.ticket)")} == flagged
    for row in rows.all():
        expect(row.get_by_test_id("pd-badge")).to_have_text("Personopplysninger")
    page.get_by_role("link", name=f"MB-{ticket:06d}", exact=True).click()
    page.wait_for_url(f"**/tickets/{ticket}")
    flag = page.get_by_test_id("personal-data-flag")
    expect(flag.get_by_role("heading")).to_have_text("Personopplysninger mottatt på e-post")
    expect(flag).to_contain_text("Vedlegget utvalg.csv (2 fødselsnummer)")
    expect(flag).to_contain_text("Ikke slettet ennå")
    box = flag.bounding_box()
    assert box is not None and box["y"] < 300, "the flag is at the top of the page"
    protected = page.get_by_test_id("attachment").filter(has=page.get_by_test_id("pd-attachment"))
    expect(protected).to_have_count(1)
    expect(protected).to_contain_text("utvalg.csv")
    protected.get_by_test_id("download").click()
    expect(page.get_by_test_id("pd-refused")).to_contain_text(
        "Saksbehandlere kan ikke laste den ned"
    )
    assert downloads == []
    context.close()

    context = browser.new_context(
        base_url=site.url, viewport={"width": 1366, "height": 800}, accept_downloads=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, ADMIN)
    page.goto(f"/tickets/{ticket}")
    page.get_by_test_id("attachment").filter(
        has=page.get_by_test_id("pd-attachment")
    ).get_by_test_id("download").click()
    page.get_by_label("Begrunnelse").fill("Nettleser: kontroll av utvalget")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Last ned og loggfør").click()
    saved = tmp_path / "utvalg.csv"
    download_info.value.save_as(saved)
    assert saved.read_bytes() == CSV
    page.goto(f"/tickets/{ticket}")
    logged = page.locator('tr[data-action="personal_data_downloaded"]').filter(
        has_text="Nettleser: kontroll av utvalget"
    )
    expect(logged).to_have_count(1)
    expect(logged).to_contain_text(ADMIN[0])
    expect(logged).to_contain_text("Personopplysninger lastet ned")
    expect(logged).to_contain_text("utvalg.csv")
    context.close()
