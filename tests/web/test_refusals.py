"""Refused casework actions in the page's language (issue #12, part 6): a refused
reminder, an empty note, a bulk action for nobody — in bokmål, nynorsk and English, never
the store's English message; an error without words of its own gets plain ones."""

from __future__ import annotations

import logging

import pytest
from starlette.requests import Request

from bot.cases import TicketStatus
from bot.store.errors import CaseworkError
from bot.web.pages import refusal_text
from bot.web.security import LANGUAGE_COOKIE
from tests.web.conftest import CASEWORKER, Web, client_of, csrf_token_in

NOTHING_MISSING = {
    "nb": "Ingenting mangler i saken, så det er ingen påminnelse å sende.",
    "nn": "Ingenting manglar i saka, så det er inga påminning å sende.",
    "en": "Nothing is missing in the case, so there is no reminder to send.",
}
EMPTY_NOTE = {"nb": "Notatet er tomt.", "nn": "Notatet er tomt.", "en": "The note is empty."}
NOT_ACTIVE = {
    "nb": "nobody-here er ikke en aktiv saksbehandler.",
    "nn": "nobody-here er ikkje ein aktiv saksbehandlar.",
    "en": "nobody-here is not an active caseworker.",
}


def complete_ticket(web: Web) -> int:
    """An open ticket with nothing missing: a reminder for it is refused."""
    return next(
        t.id
        for t in web.store.tickets(limit=1000)
        if not t.missing and t.status != TicketStatus.CLOSED.value
    )


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_a_refused_reminder_note_and_bulk_action_speak_the_pages_language(
    web: Web, language: str
) -> None:
    ticket = complete_ticket(web)
    with client_of(web.url, CASEWORKER, language) as client:
        token = csrf_token_in(client.get(f"/tickets/{ticket}").text)
        resend = client.post(f"/tickets/{ticket}/resend", data={"csrf_token": token})
        note = client.post(f"/tickets/{ticket}/notes", data={"csrf_token": token, "text": " "})
        bulk = client.post(
            "/bulk",
            data={"csrf_token": token, "ids": [str(ticket)], "action": "assign",
                  "assignee": "nobody-here"},
        )  # fmt: skip
    assert resend.status_code == 400 and NOTHING_MISSING[language] in resend.text
    assert note.status_code == 400 and EMPTY_NOTE[language] in note.text
    assert bulk.status_code == 400 and NOT_ACTIVE[language] in bulk.text
    if language != "en":
        for english in ("nothing is missing", "note is empty", "not an active caseworker"):
            assert english not in resend.text + note.text + bulk.text


def request_in(language: str) -> Request:
    cookie = f"{LANGUAGE_COOKIE}={language}".encode()
    return Request({"type": "http", "method": "POST", "headers": [(b"cookie", cookie)]})


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nb", "Handlingen kunne ikke utføres. Last siden på nytt og prøv igjen."),
        ("nn", "Handlinga kunne ikkje utførast. Last sida på nytt og prøv igjen."),
        ("en", "The action could not be done. Reload the page and try again."),
    ],
)
def test_an_error_without_words_of_its_own_gets_plain_ones_and_its_text_is_logged(
    language: str, words: str, caplog: pytest.LogCaptureFixture
) -> None:
    error = CaseworkError("sqlite3.OperationalError: database is locked")
    with caplog.at_level(logging.INFO, logger="bot.web.pages"):
        assert refusal_text(request_in(language), error) == words
    assert "database is locked" in caplog.text


def test_a_refusals_values_fill_its_words() -> None:
    error = CaseworkError("too many", "too_many_selected", limit=100, given=101)
    assert refusal_text(request_in("nb"), error) == (
        "Du kan velge høyst 100 saker om gangen (101 valgt)."
    )
    assert refusal_text(request_in("en"), error) == "At most 100 tickets at a time (101 selected)."
