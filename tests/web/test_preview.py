"""Attachment preview on the ticket page (issue #12 §4), and full-text search from the queue
(§5), on mails filed by the real service and served by the real app: a PDF page and an
image come back as PNG (decoded here with Pillow), bounded; a damaged or encrypted file gets
a page that says so, not a 500; a file that holds national IDs is previewed to nobody; the
original bytes are never served inline. The browser tests, in Debian Chromium, open the
preview from the ticket page and find a ticket by a word only its attachment holds.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fpdf import FPDF
from PIL import Image
from playwright.sync_api import expect

from bot.settings import Settings
from bot.store import Store
from bot.store.models import Mail
from bot.triage import TriageContext
from bot.web import create_app
from bot.web.preview import (
    MAX_CONCURRENT_RENDERS,
    PreviewCache,
    Previewer,
    cache_dir,
    preview_limits,
)
from parsers.attachments.preview import PreviewFailure, PreviewImage, PreviewLimits, PreviewProblem
from tests.conftest import make_mail
from tests.network import free_port
from tests.web.conftest import ADMIN, CASEWORKER, LiveServer, client_of, filed_site, log_in

FNR = "01019010046"


def pdf_of(lines: list[str]) -> bytes:
    """One page a line, A4."""
    pdf = FPDF(format="A4")
    pdf.set_font("helvetica", size=18)
    for line in lines:
        pdf.add_page()
        pdf.cell(text=line)
    return bytes(pdf.output())


def jpeg(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 90, 150)).save(out, "JPEG")
    return out.getvalue()


def encrypted_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Signert tilbud")
    pdf.set_encryption(owner_password="eier", user_password="bruker")
    return bytes(pdf.output())


APPLICATION = make_mail(
    "Hei,\n\nvedlagt er søknaden og et bilde av det signerte tilbudet.\n\nMvh Kari\n",
    subject="Søknad om tilgang til mikrodata",
    attachments=[
        (
            "soknad.pdf",
            "application/pdf",
            pdf_of([f"Side {n} av soknaden om barnehagedekning" for n in range(1, 13)]),
        ),
        ("tilbud.jpg", "image/jpeg", jpeg((4000, 3000))),
        ("notat.txt", "text/plain", b"Et notat.\n"),
        ("side.html", "application/pdf", b"<html><script>alert(1)</script></html>"),
    ],
)
"""A 12-page PDF (only 10 are previewed), a large photo, a text file, an HTML "PDF"."""
BROKEN = make_mail(
    "Hei,\n\nher er filene igjen.\n\nMvh Per\n",
    subject="Filer",
    sender="Per Hansen <per.hansen@uio.no>",
    attachments=[
        ("odelagt.pdf", "application/pdf", pdf_of(["Side 1", "Side 2"])[:600]),
        ("kryptert.pdf", "application/pdf", encrypted_pdf()),
    ],
)
WITH_IDS = make_mail(
    "Hei,\n\nvedlagt er utvalget.\n\nMvh Liv\n",
    subject="Utvalg",
    sender="Liv Berg <liv.berg@ntnu.no>",
    attachments=[
        ("utvalg.pdf", "application/pdf", pdf_of([f"Fodselsnummer {FNR}"])),
        ("beskrivelse.pdf", "application/pdf", pdf_of(["Prosjektbeskrivelse"])),
    ],
)


@dataclass
class Site:
    url: str
    store: Store
    settings: Settings
    mails: dict[str, Mail]

    def url_of(self, name: str, index: int, page: int | None = None) -> str:
        mail = self.mails[name]
        base = f"/tickets/{mail.ticket_id}/mails/{mail.id}/attachments/{index}/preview"
        return base if page is None else f"{base}/{page}.png"

    def client(self, user: tuple[str, str], language: str = "nb") -> Any:
        return client_of(self.url, user, language)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, context: TriageContext) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("preview-web")
    mails = {"application": APPLICATION, "broken": BROKEN, "with_ids": WITH_IDS}
    settings, store, filed = filed_site(root, mails, context)
    server = LiveServer(create_app(settings, store), free_port())
    server.start()
    yield Site(f"http://127.0.0.1:{server.server.config.port}", store, settings, filed)
    server.stop()
    store.engine.dispose()


def png_in(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.format == "PNG"
    return image


def test_a_pdf_page_is_served_as_a_bounded_png(site: Site) -> None:
    limits = preview_limits(site.settings)
    with site.client(CASEWORKER) as client:
        for page in (1, 10):
            image = png_in(client.get(site.url_of("application", 0, page)))
            assert image.width <= limits.max_width and image.height <= limits.max_height
            assert image.width * image.height <= limits.max_pixels
            assert image.width > 800


def test_an_image_is_decoded_and_re_encoded_as_a_png_within_the_bounds(site: Site) -> None:
    limits = preview_limits(site.settings)
    with site.client(CASEWORKER) as client:
        response = client.get(site.url_of("application", 1, 1))
        image = png_in(response)
    assert not response.content.startswith(b"\xff\xd8")  # never the JPEG's own bytes
    assert image.width <= limits.max_width and image.width * image.height <= limits.max_pixels
    assert abs(image.width / image.height - 4 / 3) < 0.01
    pixel = image.convert("RGB").getpixel((10, 10))
    assert isinstance(pixel, tuple)
    assert pixel == pytest.approx((30, 90, 150), abs=3)


def test_only_the_first_pages_are_previewed_and_the_page_says_how_many_there_are(
    site: Site,
) -> None:
    with site.client(CASEWORKER) as client:
        page = client.get(site.url_of("application", 0))
        beyond = client.get(site.url_of("application", 0, 11))
    assert page.status_code == 200
    assert page.text.count('data-testid="preview-image"') == 10
    assert "de første 10 av 12 sidene" in page.text
    assert beyond.status_code == 404
    assert "Denne siden finnes ikke" in beyond.text


@pytest.mark.parametrize(
    ("name", "index", "status", "words"),
    [
        ("broken", 0, 422, "skadet eller ufullstendig"),
        ("broken", 1, 422, "kryptert"),
        ("application", 2, 422, "bare PDF og bilder"),
        ("application", 3, 422, "bare PDF og bilder"),
    ],
    ids=["damaged", "encrypted", "text", "html-named-pdf"],
)
def test_a_file_that_cannot_be_drawn_gets_a_page_that_says_why(
    site: Site, name: str, index: int, status: int, words: str
) -> None:
    with site.client(CASEWORKER) as client:
        for url in (site.url_of(name, index), site.url_of(name, index, 1)):
            response = client.get(url)
            assert response.status_code == status, url
            assert response.headers["content-type"].startswith("text/html")
            assert words in response.text
            assert "<script>alert(1)" not in response.text


def test_a_file_that_holds_national_ids_is_previewed_to_nobody(site: Site) -> None:
    for user in (CASEWORKER, ADMIN):
        with site.client(user) as client:
            for url in (site.url_of("with_ids", 0), site.url_of("with_ids", 0, 1)):
                response = client.get(url)
                assert response.status_code == 403, (user, url)
                assert "image/png" not in response.headers["content-type"]
                assert "forhåndsvises ikke for noen" in response.text
                assert FNR not in response.text
            ticket = client.get(f"/tickets/{site.mails['with_ids'].ticket_id}").text
            assert site.url_of("with_ids", 0, 1) not in ticket
            assert "Ingen forhåndsvisning: filen har fødselsnumre" in ticket


def test_previews_need_a_session_and_an_attachment_that_exists(site: Site) -> None:
    with httpx.Client(base_url=site.url, follow_redirects=False) as anonymous:
        assert anonymous.get(site.url_of("application", 0, 1)).status_code == 303
    with site.client(CASEWORKER) as client:
        mail = site.mails["application"]
        assert client.get(site.url_of("application", 9, 1)).status_code == 404
        other = site.mails["broken"]
        wrong_ticket = f"/tickets/{other.ticket_id}/mails/{mail.id}/attachments/0/preview/1.png"
        assert client.get(wrong_ticket).status_code == 404


def test_a_rendered_page_is_cached_by_the_files_hash_and_pruned_by_age(site: Site) -> None:
    with site.client(CASEWORKER) as client:
        first = client.get(site.url_of("application", 0, 2)).content
        again = client.get(site.url_of("application", 0, 2)).content
    assert first == again
    cached = list(cache_dir(site.settings).glob("*/*-2.png"))
    assert cached and any(path.read_bytes() == first for path in cached)

    cache = PreviewCache(cache_dir(site.settings), max_age_hours=1)
    image = PreviewImage(b"png", 1, 1, 1, 1, 1)
    cache.put("ab" + "0" * 62, image, PreviewLimits())
    assert cache.get("ab" + "0" * 62, 1, PreviewLimits()) == image
    assert cache.prune(now=time.time() + 7200, force=True) >= 2
    assert cache.get("ab" + "0" * 62, 1, PreviewLimits()) is None


def test_the_ticket_page_offers_a_preview_only_of_pdfs_and_images(site: Site) -> None:
    with site.client(CASEWORKER) as client:
        ticket = client.get(f"/tickets/{site.mails['application'].ticket_id}").text
    assert site.url_of("application", 0, 1) in ticket
    assert site.url_of("application", 1, 1) in ticket
    assert site.url_of("application", 2, 1) not in ticket  # a text file
    assert site.url_of("application", 3, 1) not in ticket  # HTML, whatever its name says


def test_a_caseworker_opens_the_preview_from_the_ticket_page(browser: Any, site: Site) -> None:
    context = browser.new_context(
        base_url=site.url, viewport={"width": 1366, "height": 800}, locale="nb-NO"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        log_in(page, CASEWORKER)
        page.goto(f"/tickets/{site.mails['application'].ticket_id}")
        inline = page.get_by_test_id("preview-inline").first
        inline.get_by_text("Forhåndsvis").click()
        thumb = inline.locator("img")
        expect(thumb).to_be_visible()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
        )
        inline.get_by_role("link", name="Vis alle sidene").click()
        expect(page.get_by_test_id("preview-filename")).to_have_text("soknad.pdf")
        images = page.get_by_test_id("preview-image")
        expect(images).to_have_count(10)
        first = images.first
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 800", arg=first.element_handle()
        )
        expect(page.get_by_test_id("preview-pages")).to_contain_text("10 av 12")
        page.goto(site.url_of("broken", 1))
        expect(page.get_by_test_id("preview-message")).to_contain_text("kryptert")
    finally:
        context.close()


def test_a_caseworker_finds_a_ticket_by_a_word_only_its_attachment_holds(
    browser: Any, site: Site
) -> None:
    context = browser.new_context(
        base_url=site.url, viewport={"width": 1366, "height": 800}, locale="nb-NO"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        log_in(page, CASEWORKER)
        search = page.get_by_label("Søk")
        search.fill("barnehagedekningen")  # an inflected form of the PDF's word
        search.press("Enter")
        page.wait_for_url("**q=barnehagedekningen**")
        rows = page.get_by_test_id("ticket-row")
        expect(rows).to_have_count(1)
        ticket = site.mails["application"].ticket_id
        expect(rows.first).to_have_attribute("data-ticket", str(ticket))
        search = page.get_by_label("Søk")
        search.fill("barnehagedekning fotball")
        search.press("Enter")
        expect(page.get_by_test_id("ticket-row")).to_have_count(0)
    finally:
        context.close()


def test_renders_wait_for_a_free_worker_and_give_up_with_a_message(tmp_path: Path) -> None:
    limits = PreviewLimits(kill_after_seconds=0.2)
    previewer = Previewer(limits, PreviewCache(tmp_path, max_age_hours=0))
    for _ in range(MAX_CONCURRENT_RENDERS):
        assert previewer.renders.acquire(timeout=0)  # every worker busy
    busy = previewer.page(pdf_of(["Side 1"]), 1)
    assert isinstance(busy, PreviewFailure) and busy.problem is PreviewProblem.TIMED_OUT
    previewer.renders.release()
    # The same workers, with room to render on a loaded machine: 0.2 s was only for waiting.
    patient = Previewer(PreviewLimits(), previewer.cache, previewer.renders)
    assert isinstance(patient.page(pdf_of(["Side 1"]), 1), PreviewImage)
