"""The store's side of the web pages, on SQLite and PostgreSQL: users and sessions,
caseworker actions with their history, corrections exported for `mikrobot train`, and
a re-sent reply beside the one automatic reply per mail."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.casework import (
    MANUAL_REPLY_ACTION,
    change_category,
    edit_field,
    resend_missing,
    resolve_item,
)
from bot.cli import DEFAULT_LABELS
from bot.evaluate import read_labels
from bot.requirements import load_requirements
from bot.settings import Settings
from bot.store import Store
from bot.store.accounts import add_user, authenticate, close_session, open_session, session_for
from bot.store.errors import CaseworkError
from bot.store.models import OutboxMessage, WebSession
from bot.store.tickets import QueueFilter, corrections, export_corrections, queue, ticket_detail
from bot.triage import TriageContext
from tests.conftest import REPO, make_mail
from tests.store.test_store import FORM, file

REQUIREMENTS = load_requirements()


def application(store: Store, context: TriageContext, key: str = "a") -> int:
    """An application with only its form: it waits for the variable list and the DPIA."""
    raw = make_mail("Vedlagt er søknaden vår om tilgang til mikrodata.", attachments=[FORM])
    verdict, ticket_id, _ = file(store, context, raw, key)
    assert verdict.category.value == "new_application" and verdict.missing
    return ticket_id


def test_passwords_are_hashed_and_sessions_end_at_logout(store: Store) -> None:
    add_user(store, "kari", "et langt passord", "caseworker")
    with store.engine.connect() as connection:
        stored = connection.execute(sa.text("select password_hash from web_users")).scalar_one()
    assert stored.startswith("$argon2id$") and "langt" not in stored
    assert authenticate(store, "kari", "feil passord!") is None
    assert authenticate(store, "nobody", "et langt passord") is None
    user = authenticate(store, "kari", "et langt passord")
    assert user is not None and not user.is_admin
    token = open_session(store, user.id, hours=1)
    with store.session() as session:
        assert session.scalars(sa.select(WebSession.token_sha256)).one() != token
    found = session_for(store, token)
    assert found is not None and found.user.name == "kari" and len(found.csrf_token) >= 32
    close_session(store, token)
    assert session_for(store, token) is None
    with pytest.raises(CaseworkError):
        add_user(store, "ola", "kort", "caseworker")


def test_actions_update_the_case_and_its_history(store: Store, context: TriageContext) -> None:
    ticket_id = application(store, context)
    before = ticket_detail(store, ticket_id)
    assert before is not None
    assert "dpia" in before.ticket.missing
    resolve_item(store, ticket_id, "dpia", "received", "kari", REQUIREMENTS)
    edit_field(store, ticket_id, "case_reference", "25/01234", "kari", REQUIREMENTS)
    with pytest.raises(CaseworkError):
        edit_field(store, ticket_id, "case_reference", "<script>", "kari", REQUIREMENTS)
    change_category(store, ticket_id, "change_request", "ola", REQUIREMENTS)
    after = ticket_detail(store, ticket_id)
    assert after is not None
    assert after.ticket.case_reference == "25/01234" and "dpia" in after.ticket.provided
    assert after.ticket.category == "change_request"
    assert "case_reference" not in after.ticket.missing  # the edited field counts
    assert [(e.actor, e.action) for e in after.events][-3:] == [
        ("kari", "item_received"),
        ("kari", "field_changed"),
        ("ola", "category_changed"),
    ]
    page = queue(store, QueueFilter(search="25/012"), threshold=0.6)
    assert [r.id for r in page.rows] == [ticket_id] and page.counts == {"change_request": 1}
    assert queue(store, QueueFilter(search="%"), threshold=0.6).total == 0
    assert queue(store, QueueFilter(search="bergen.kommune"), threshold=0.6).total == 1
    assert queue(store, QueueFilter(has_missing=True), threshold=0.6).total == int(
        bool(after.ticket.missing)
    )


def test_a_correction_is_exported_as_a_label_train_can_read(
    store: Store, context: TriageContext, tmp_path: Path
) -> None:
    ticket_id = application(store, context)
    change_category(store, ticket_id, "change_request", "kari", REQUIREMENTS)
    assert [c.category for c in corrections(store, waiting_only=True)] == ["change_request"]
    folder = tmp_path / "training"
    assert export_corrections(store, folder, also=[REPO / DEFAULT_LABELS]) == 1
    labels = list(read_labels(folder / "labels.jsonl", "train"))
    root = (folder / "labels.jsonl").resolve().parents[1]  # as `mikrobot train` reads them
    assert all((root / label.file).is_file() for label in labels)
    fixtures = sum(1 for _ in read_labels(REPO / DEFAULT_LABELS, "train"))
    assert len(labels) == fixtures + 1 and labels[-1].category == "change_request"
    assert corrections(store, waiting_only=True) == []


def test_a_reply_can_be_sent_again_but_a_mail_has_one_automatic_reply(
    store: Store, context: TriageContext
) -> None:
    ticket_id = application(store, context)
    no_guard = Settings(resend_guard_minutes=0)  # the bot's own request went a moment ago
    outbox_id = resend_missing(store, no_guard, ticket_id, "kari")
    replies = store.outbox(ticket_id)
    assert [r.action for r in replies][-1] == MANUAL_REPLY_ACTION and replies[-1].id == outbox_id
    assert replies[0].mail_id == replies[-1].mail_id
    assert b"25/" not in replies[-1].raw and b"MB-" in replies[-1].raw
    detail = ticket_detail(store, ticket_id)
    assert detail is not None and detail.events[-1].action == "reply_requeued"
    with pytest.raises(sa.exc.IntegrityError), store.session() as session, session.begin():
        session.add(
            OutboxMessage(
                ticket_id=ticket_id,
                mail_id=replies[0].mail_id,
                message_id="<second-automatic@ssb.no>",
                recipient="x@example.org",
                action="request_missing",
                raw=b"",
            )
        )
