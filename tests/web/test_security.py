"""Nothing answers without a login, no form works without its CSRF token, caseworkers
stay out of the admin pages, and every response carries the headers that keep a
hostile mail inert."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote

import httpx

from bot.store.tickets import ticket_detail
from bot.web import create_app
from bot.web.i18n import LABELS
from tests.web.conftest import (
    ADMIN,
    CASEWORKER,
    HOSTILE_FILENAME,
    OTHER_CASEWORKER,
    Web,
    csrf_token_in,
    logged_in_client,
)


def every_link(web: Web) -> list[tuple[str, str]]:
    """Every page, attachment link and form action of the app, with a real ticket's ids."""
    detail = ticket_detail(web.store, web.hostile_ticket)
    assert detail is not None
    mail = detail.mails[0].id
    ticket = f"/tickets/{web.hostile_ticket}"
    return [
        ("GET", "/"),
        ("GET", "/?category=new_application&q=kommune"),
        ("GET", ticket),
        ("GET", f"{ticket}/mails/{mail}/attachments/0"),
        ("GET", "/admin"),
        ("GET", "/admin/confusion.svg"),
        ("POST", f"{ticket}/assign"),
        ("POST", f"{ticket}/category"),
        ("POST", f"{ticket}/field"),
        ("POST", f"{ticket}/items/dpia"),
        ("POST", f"{ticket}/resend"),
        ("POST", f"{ticket}/close"),
        ("POST", f"{ticket}/reopen"),
        ("POST", "/logout"),
    ]


def test_every_page_and_attachment_link_refuses_an_anonymous_request(web: Web) -> None:
    with httpx.Client(base_url=web.url, follow_redirects=False) as anonymous:
        for method, path in every_link(web):
            response = anonymous.request(method, path)  # a form posts: through the login too
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next="), path
            assert "Mallory" not in response.text and "mallory" not in response.text
    with httpx.Client(base_url=web.url, cookies={"mikrobot_session": "x" * 43}) as forged:
        response = forged.get(f"/tickets/{web.hostile_ticket}", follow_redirects=False)
        assert response.status_code == 303


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(web: Web) -> None:
    ticket = web.tickets_with_missing[-1]
    with logged_in_client(web, OTHER_CASEWORKER) as client:
        page = client.get(f"/tickets/{ticket}")
        assert page.status_code == 200
        token = csrf_token_in(page.text)
        for data in ({}, {"csrf_token": ""}, {"csrf_token": token[:-2] + "xx"}):
            assert client.post(f"/tickets/{ticket}/close", data=data).status_code == 403
            assert client.post(f"/tickets/{ticket}/assign", data=data).status_code == 403
        foreign = client.post(
            f"/tickets/{ticket}/close",
            data={"csrf_token": token},
            headers={"Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
        detail = ticket_detail(web.store, ticket)
        assert detail is not None
        assert detail.ticket.status != "closed" and detail.ticket.assigned_to is None
        assert client.post("/logout", data={}).status_code == 403  # logout is a form too
        ok = client.post(f"/tickets/{ticket}/assign", data={"csrf_token": token})
        assert ok.status_code == 303
        detail = ticket_detail(web.store, ticket)
        assert detail is not None and detail.ticket.assigned_to == OTHER_CASEWORKER[0]


def test_the_login_form_needs_its_own_token_and_a_right_password(web: Web) -> None:
    with httpx.Client(base_url=web.url, follow_redirects=False) as client:
        name, password = CASEWORKER
        without = client.post("/login", data={"name": name, "password": password})
        assert without.status_code == 403 and "mikrobot_session" not in without.cookies
        token = csrf_token_in(client.get("/login").text)
        wrong = client.post("/login", data={"name": name, "password": "x", "csrf_token": token})
        assert wrong.status_code == 401 and "mikrobot_session" not in wrong.cookies
        with httpx.Client(base_url=web.url) as other:  # a token without its cookie
            stolen = other.post(
                "/login", data={"name": name, "password": password, "csrf_token": token}
            )
            assert stolen.status_code == 403
        token = csrf_token_in(client.get("/login").text)
        right = client.post(
            "/login",
            data={
                "name": name,
                "password": password,
                "csrf_token": token,
                "next": "//evil.example",
            },
        )
        assert right.status_code == 303 and right.headers["location"] == "/"
        cookie = right.headers["set-cookie"].lower()
        assert "mikrobot_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_logout_ends_the_session_on_the_server(web: Web) -> None:
    with logged_in_client(web, CASEWORKER) as client:
        cookie = client.cookies["mikrobot_session"]
        token = csrf_token_in(client.get("/").text)
        assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    with httpx.Client(base_url=web.url, cookies={"mikrobot_session": cookie}) as replay:
        assert replay.get("/", follow_redirects=False).status_code == 303


def test_a_caseworker_cannot_reach_the_admin_pages(web: Web) -> None:
    with logged_in_client(web, CASEWORKER) as client:
        assert client.get("/admin").status_code == 403
        assert client.get("/admin/confusion.svg").status_code == 403
        assert 'href="/admin"' not in client.get("/").text
    with logged_in_client(web, ADMIN) as admin:
        assert admin.get("/admin").status_code == 200
        svg = admin.get("/admin/confusion.svg")
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"


def test_pages_carry_a_strict_csp_and_refuse_framing(web: Web) -> None:
    with logged_in_client(web, CASEWORKER) as client:
        for path in ("/", f"/tickets/{web.hostile_ticket}", "/login"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp
            assert "frame-ancestors 'none'" in csp
            assert headers["x-frame-options"] == "DENY"
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["cache-control"] == "no-store"


def test_an_attachment_is_only_ever_a_download_under_a_safe_name(web: Web) -> None:
    detail = ticket_detail(web.store, web.hostile_ticket)
    assert detail is not None
    url = f"/tickets/{web.hostile_ticket}/mails/{detail.mails[0].id}/attachments/0"
    with logged_in_client(web, CASEWORKER) as client:
        response = client.get(url)
        assert response.status_code == 200
        assert response.content == b"<script>alert(1)</script>"
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["x-content-type-options"] == "nosniff"
        disposition = response.headers["content-disposition"]
        assert re.fullmatch(
            r"attachment; filename=\"[A-Za-z0-9._-]+\"; filename\*=UTF-8''[A-Za-z0-9%._~-]+",
            disposition,
        ), disposition
        assert unquote(disposition.split("''", 1)[1]) == HOSTILE_FILENAME
        assert client.get(url[:-1] + "9").status_code == 404
        other = web.tickets_with_missing[0]
        assert (
            client.get(f"/tickets/{other}/mails/{detail.mails[0].id}/attachments/0").status_code
            == 404
        )


def test_cookies_are_secure_when_the_request_came_over_tls(web: Web) -> None:
    settings = web.settings.model_copy(
        update={"web": web.settings.web.model_copy(update={"secure_cookies": None})}
    )
    app = create_app(settings, web.store)

    async def log_in() -> tuple[str, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            page = await client.get("/login")
            name, password = CASEWORKER
            response = await client.post(
                "/login",
                data={"name": name, "password": password, "csrf_token": csrf_token_in(page.text)},
            )
            return page.headers["set-cookie"], response

    with ThreadPoolExecutor(1) as thread:  # Playwright's loop may be running in this one
        login_cookie, response = thread.submit(asyncio.run, log_in()).result()
    assert "secure" in login_cookie.lower()
    cookie = response.headers["set-cookie"].lower()
    assert response.status_code == 303
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_bokmal_and_english_have_the_same_labels() -> None:
    assert set(LABELS["en"]) == set(LABELS["nb"])


def test_nynorsk_has_no_label_bokmal_lacks() -> None:
    """Nynorsk may lag behind bokmål (its missing keys fall back), never run ahead of it."""
    assert set(LABELS["nn"]) <= set(LABELS["nb"])
