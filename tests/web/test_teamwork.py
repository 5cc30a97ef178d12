"""Working together on tickets, on SQLite and PostgreSQL (issue #12): internal notes,
assignment with its notice mail to the assignee, "next ticket", bulk actions from the
queue, and the forms' CSRF protection. The browser side is in `test_teamwork_browser.py`.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from bot.casework import (
    BULK_MAX_TICKETS,
    NOTE_MAX_CHARS,
    add_note,
    assign,
    bulk,
    close,
    unassign,
)
from bot.cli import main
from bot.loop_guard import OWN_ID_MARK
from bot.replies.notice import NOTICE_ACTION
from bot.requirements import load_requirements
from bot.settings import Settings, WebSettings
from bot.store import Store
from bot.store.accounts import add_user, list_users, set_email
from bot.store.errors import CaseworkError
from bot.store.models import OutboxMessage, TicketEvent
from bot.store.purge import redact_event_detail
from bot.store.tickets import next_ticket, ticket_detail
from bot.triage import TriageContext
from tests.conftest import make_mail
from tests.store.test_store import FORM, file
from tests.web.conftest import (
    CASEWORKER,
    OTHER_CASEWORKER,
    Web,
    csrf_token_in,
    logged_in_client,
)

REQUIREMENTS = load_requirements()
SETTINGS = Settings(web=WebSettings(public_url="https://mikrobot.ssb.example/"))
APPLICANT = "kari.nordmann@bergen.kommune.no"
SECRET_SUBJECT = "Søknad om tilgang – prosjekt Levekår 2025"


def application(store: Store, context: TriageContext, key: str) -> int:
    raw = make_mail(f"Vedlagt er søknaden vår ({key}).", subject=SECRET_SUBJECT, attachments=[FORM])
    return file(store, context, raw, key)[1]


def users(store: Store) -> None:
    add_user(store, "anne", "anne-passord-123", "caseworker", email="Anne.Hansen@SSB.example")
    add_user(store, "per", "per-passord-1234", "caseworker")  # no address: no notices
    add_user(store, "gone", "gone-passord-123", "caseworker")
    with store.session() as session, session.begin():
        session.execute(sa.text("UPDATE web_users SET active = false WHERE name = 'gone'"))


def events(store: Store, ticket_id: int) -> list[TicketEvent]:
    detail = ticket_detail(store, ticket_id)
    assert detail is not None
    return detail.events


def notices(store: Store) -> list[OutboxMessage]:
    with store.session() as session:
        query = sa.select(OutboxMessage).where(OutboxMessage.action == NOTICE_ACTION)
        return list(session.scalars(query.order_by(OutboxMessage.id)))


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


# --- notes -------------------------------------------------------------------------------


def test_a_note_is_stored_as_typed_in_the_history_and_sent_to_nobody(
    store: Store, context: TriageContext
) -> None:
    ticket_id = application(store, context, "note")
    replies_before = len(store.outbox(ticket_id))
    typed = "  Ringte søker.\r\n<script>alert(1)</script> &amp; 13097248022 er oppgitt\x07  \r\n\n"
    add_note(store, ticket_id, typed, "anne")
    last = events(store, ticket_id)[-1]
    assert (last.actor, last.action) == ("anne", "note")
    assert last.detail == {  # kept as typed (escaped on the page), but for the ID number
        "text": "  Ringte søker.\n<script>alert(1)</script> &amp; 130972***** er oppgitt"
    }
    assert redact_event_detail(last.detail) == {"redacted": ["text"]}  # a purge takes it
    assert len(store.outbox(ticket_id)) == replies_before  # never queued for anybody
    for wrong in ("", " \n\t\n", "x" * (NOTE_MAX_CHARS + 1)):
        with pytest.raises(CaseworkError):
            add_note(store, ticket_id, wrong, "anne")
    assert [e.action for e in events(store, ticket_id)].count("note") == 1
    with pytest.raises(CaseworkError):
        add_note(store, ticket_id + 1000, "for a ticket that is not there", "anne")


# --- assignment and its notice -----------------------------------------------------------


def test_a_colleague_assigned_by_someone_else_gets_one_notice_through_the_outbox(
    store: Store, context: TriageContext
) -> None:
    users(store)
    ticket_id = application(store, context, "assign")
    assert assign(store, SETTINGS, ticket_id, "anne", "anne") is True  # took it herself
    assert notices(store) == []
    assert assign(store, SETTINGS, ticket_id, "anne", "anne") is False  # hers already
    assert assign(store, SETTINGS, ticket_id, "per", "anne") is True  # per has no address
    assert notices(store) == []
    assert assign(store, SETTINGS, ticket_id, "anne", "per") is True  # now: a notice

    (notice,) = notices(store)
    assert (notice.ticket_id, notice.mail_id, notice.recipient) == (
        ticket_id,
        None,
        "anne.hansen@ssb.example",
    )
    message = parsed(notice.raw)
    reference = f"MB-{ticket_id:06d}"
    assert message["To"] == "Anne.Hansen@SSB.example" and message["From"] == "mikrodata@ssb.no"
    assert message["Auto-Submitted"] == "auto-generated" and message["In-Reply-To"] is None
    assert OWN_ID_MARK in message["Message-ID"] and reference in message["Subject"]
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert f"{reference}  https://mikrobot.ssb.example/tickets/{ticket_id}" in text
    assert "av per" in text
    assert APPLICANT not in notice.raw.decode() and "Levek" not in text  # nothing they wrote

    assigned = [e for e in events(store, ticket_id) if e.action == "assigned"]
    assert [(e.actor, e.detail["to"], e.detail["previous"]) for e in assigned] == [
        ("anne", "anne", None),
        ("anne", "per", "anne"),
        ("per", "anne", "per"),
    ]
    assert assigned[-1].detail["outbox_id"] == notice.id
    assert "outbox_id" not in assigned[0].detail and "outbox_id" not in assigned[1].detail
    assert [r.id for r in store.pending_replies()][-1] == notice.id  # the sender sends it

    assert unassign(store, ticket_id, "per") is True
    assert unassign(store, ticket_id, "per") is False
    detail = ticket_detail(store, ticket_id)
    assert detail is not None and detail.ticket.assigned_to is None
    assert [(e.actor, e.action, e.detail) for e in detail.events][-1] == (
        "per",
        "unassigned",
        {"previous": "anne"},
    )


def test_no_notice_goes_to_an_address_that_wrote_to_the_case(
    store: Store, context: TriageContext
) -> None:
    users(store)
    set_email(store, "per", APPLICANT.upper())  # a caseworker who once wrote in themselves
    ticket_id = application(store, context, "applicant")
    assign(store, SETTINGS, ticket_id, "per", "anne")
    assert notices(store) == []
    last = events(store, ticket_id)[-1]
    assert last.action == "assigned" and "wrote to this case" in last.detail["notice_skipped"]
    assert all(r.recipient == APPLICANT for r in store.outbox(ticket_id))


def test_only_an_active_user_can_be_assigned(store: Store, context: TriageContext) -> None:
    users(store)
    ticket_id = application(store, context, "inactive")
    for name in ("gone", "nobody", ""):
        with pytest.raises(CaseworkError, match="not an active caseworker"):
            assign(store, SETTINGS, ticket_id, name, "anne")
    with pytest.raises(CaseworkError, match="no ticket"):
        assign(store, SETTINGS, ticket_id + 1000, "anne", "per")
    detail = ticket_detail(store, ticket_id)
    assert detail is not None and detail.ticket.assigned_to is None
    assert notices(store) == []


def test_a_notice_address_must_be_one_plain_address(store: Store) -> None:
    for wrong in ("anne", "anne@", "a b@ssb.no", "anne@ssb.no, eve@evil.example", "x\n@ssb.no"):
        with pytest.raises(CaseworkError):
            add_user(store, "anne", "anne-passord-123", "caseworker", email=wrong)
    add_user(store, "anne", "anne-passord-123", "caseworker", email="anne@bærum.kommune.no")
    assert set_email(store, "anne", None).email is None
    with pytest.raises(CaseworkError):
        set_email(store, "nobody", "x@ssb.no")
    assert [u.email for u in list_users(store)] == [None]


def test_the_cli_sets_a_users_notice_address(tmp_path: Path) -> None:
    env = {
        "MIKROBOT_CONFIG": str(tmp_path / "none.toml"),
        "MIKROBOT_DATABASE": f"sqlite:///{tmp_path / 'mikrobot.db'}",
        "MIKROBOT_RAW_MAIL_DIR": str(tmp_path / "mail"),
        "MIKROBOT_USER_PASSWORD": "kari-passord-123",
    }
    runner = CliRunner()
    added = runner.invoke(main, ["users", "add", "kari", "--email", "kari@ssb.no"], env=env)
    assert added.exit_code == 0, added.output
    refused = runner.invoke(main, ["users", "add", "ola", "--email", "ola at ssb"], env=env)
    assert refused.exit_code != 0 and "not one plain e-mail address" in refused.output
    listed = runner.invoke(main, ["users", "list"], env=env)
    assert "kari\tcaseworker\tkari@ssb.no" in listed.output and "ola" not in listed.output
    cleared = runner.invoke(main, ["users", "email", "kari"], env=env)
    assert cleared.exit_code == 0 and "(none)" in cleared.output
    assert "kari\tcaseworker\t-" in runner.invoke(main, ["users", "list"], env=env).output


# --- next ticket -------------------------------------------------------------------------


def test_the_next_ticket_is_the_oldest_open_one_after_this_that_is_mine_or_nobodys(
    store: Store, context: TriageContext
) -> None:
    users(store)
    first, others, closed, mine, last = (
        application(store, context, key) for key in ("n1", "n2", "n3", "n4", "n5")
    )
    assert first < others < closed < mine < last
    assign(store, SETTINGS, others, "per", "per")
    close(store, closed, "anne")
    assign(store, SETTINGS, mine, "anne", "anne")
    assert next_ticket(store, first, "anne") == mine
    assert next_ticket(store, mine, "anne") == last
    assert next_ticket(store, last, "anne") == first  # from the start of the queue again
    assert next_ticket(store, first, "per") == others
    assert next_ticket(store, others, "per") == last  # not anne's, not the closed one
    for ticket_id in (first, mine, last):
        close(store, ticket_id, "anne")
    assert next_ticket(store, others, "per") is None  # nothing else open for per
    assert next_ticket(store, others, "anne") is None


# --- bulk --------------------------------------------------------------------------------


def test_bulk_actions_change_each_ticket_record_each_and_report_each(
    store: Store, context: TriageContext
) -> None:
    users(store)
    one, two = application(store, context, "b1"), application(store, context, "b2")
    missing = two + 1000
    close(store, two, "per")

    outcomes = bulk(store, SETTINGS, "close", [one, two, missing, one], "anne")
    assert [(o.ticket_id, o.changed, o.error) for o in outcomes] == [
        (one, True, None),
        (two, False, None),  # closed already: nothing recorded
        (missing, False, f"no ticket MB-{missing:06d}"),
    ]
    closings = [(e.actor, e.detail) for e in events(store, one) if e.action == "closed"]
    assert closings == [("anne", {"previous": "waiting_for_applicant", "bulk": True})]
    assert [e.actor for e in events(store, two) if e.action == "closed"] == ["per"]

    moved = bulk(
        store, SETTINGS, "category", [one, two], "per", value="change_request",
        requirements=REQUIREMENTS,
    )  # fmt: skip
    assert [o.changed for o in moved] == [True, True]
    for ticket_id in (one, two):
        last = events(store, ticket_id)[-1]
        assert (last.actor, last.action, last.detail["category"]) == (
            "per",
            "category_changed",
            "change_request",
        )
        assert last.detail["bulk"] is True

    given = bulk(store, SETTINGS, "assign", [one, two], "per", value="anne")
    assert [o.changed for o in given] == [True, True]
    (notice,) = notices(store)  # one notice naming both
    text = parsed(notice.raw).get_body(("plain",))
    assert text is not None
    assert f"MB-{one:06d}" in text.get_content() and f"MB-{two:06d}" in text.get_content()
    for ticket_id in (one, two):
        last = events(store, ticket_id)[-1]
        assert last.action == "assigned" and last.detail["outbox_id"] == notice.id

    for action, value, problem in (
        ("assign", "gone", "not an active caseworker"),
        ("category", "nonsense", "unknown category"),
        ("delete", "", "unknown bulk action"),
    ):
        with pytest.raises(CaseworkError, match=problem):
            bulk(store, SETTINGS, action, [one], "per", value=value)
    with pytest.raises(CaseworkError, match="no tickets"):
        bulk(store, SETTINGS, "close", [], "per")
    with pytest.raises(CaseworkError, match=f"at most {BULK_MAX_TICKETS}"):
        bulk(store, SETTINGS, "close", range(1, BULK_MAX_TICKETS + 2), "per")
    assert bulk(store, SETTINGS, "close", [2**40], "per")[0].error == f"no ticket MB-{2**40:06d}"


# --- the schema ----------------------------------------------------------------------------


# --- the forms ---------------------------------------------------------------------------


def test_the_teamwork_forms_refuse_a_post_without_the_csrf_token(web: Web) -> None:
    ticket = web.tickets_with_missing[-2]
    with logged_in_client(web, CASEWORKER) as client:
        token = csrf_token_in(client.get(f"/tickets/{ticket}").text)
        before = events(web.store, ticket)
        posts = (
            (f"/tickets/{ticket}/notes", {"text": "et notat"}),
            (f"/tickets/{ticket}/assign", {"to": OTHER_CASEWORKER[0]}),
            (f"/tickets/{ticket}/unassign", {}),
            ("/bulk", {"ids": [str(ticket)], "action": "close"}),
        )
        for path, data in posts:
            for token_sent in ({}, {"csrf_token": token[:-2] + "xx"}):
                response = client.post(path, data={**data, **token_sent})
                assert response.status_code == 403, path
        assert [e.id for e in events(web.store, ticket)] == [e.id for e in before]
        long_note = "<i>for langt</i> " + "x" * NOTE_MAX_CHARS
        kept = client.post(
            f"/tickets/{ticket}/notes", data={"text": long_note, "csrf_token": token}
        )
        assert kept.status_code == 400 and f"høyst {NOTE_MAX_CHARS} tegn" in kept.text
        assert f">&lt;i&gt;for langt&lt;/i&gt; {'x' * NOTE_MAX_CHARS}</textarea>" in kept.text
        too_many = {"ids": [str(i) for i in range(1, 102)], "action": "close", "csrf_token": token}
        refused = client.post("/bulk", data=too_many)
        assert (
            refused.status_code == 400 and "høyst 100 saker om gangen (101 valgt)" in refused.text
        )
        not_ids = client.post(
            "/bulk", data={"ids": ["1 OR 1=1"], "action": "close", "csrf_token": token}
        )
        assert not_ids.status_code == 400
        assert [e.id for e in events(web.store, ticket)] == [e.id for e in before]
