"""axe-core (bundled by axe-playwright-python, nothing downloaded) on the main pages in
Chromium, in each of the pages' languages: any violation, whatever its impact, fails."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.web.conftest import ADMIN, CASEWORKER, Web, log_in
from tests.web.test_compose import ReviewSite, review  # noqa: F401 - the review-mode site

CASEWORKER_PAGES = ("/", "/?status=all&sort=category", "/review", "/account")
ADMIN_PAGES = ("/admin", "/admin/rules", "/admin/users")


def violations(page: Any) -> list[str]:
    """Each axe violation on the page, of any impact: rule, impact, where."""
    results = Axe().run(page)
    assert results.response["passes"], f"axe checked nothing on {page.url}"
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
    ]


def ticket_pages(web: Web) -> tuple[str, ...]:
    ticket = web.tickets_with_missing[0]
    return (f"/tickets/{ticket}", f"/tickets/{ticket}/reply", f"/tickets/{web.hostile_ticket}")


def test_the_login_page_has_no_accessibility_violations(page: Any) -> None:
    page.goto("/login")
    found = violations(page)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_the_caseworkers_pages_have_no_accessibility_violations(
    page: Any, web: Web, language: str
) -> None:
    log_in(page, CASEWORKER)
    page.goto(f"/language/{language}?next=/")
    found = []
    for path in (*CASEWORKER_PAGES, *ticket_pages(web)):
        page.goto(path)
        found += violations(page)
    assert not found, "\n".join(found)


def test_the_admin_pages_have_no_accessibility_violations(page: Any) -> None:
    log_in(page, ADMIN)
    found = []
    for path in ADMIN_PAGES:
        page.goto(path)
        found += violations(page)
    assert not found, "\n".join(found)


def test_the_review_queue_with_waiting_replies_has_no_accessibility_violations(
    browser: Any,
    review: ReviewSite,  # noqa: F811
) -> None:
    ticket = review.ticket_of("<soknad-kari@bergen.kommune.no>")
    held = review.held(ticket)
    context = browser.new_context(base_url=review.url, locale="nb-NO")
    try:
        page = context.new_page()
        log_in(page, CASEWORKER)
        found = []
        for path in ("/review", f"/review/{held.id}/edit", f"/tickets/{ticket}"):
            page.goto(path)
            found += violations(page)
        assert not found, "\n".join(found)
    finally:
        context.close()
