"""`mikrobot purge`: a case closed longer than the retention period loses its personal data.

The proof is at the byte level: after a purge, a distinctive name, address and
organisation number of the purged case are nowhere in the SQLite file or the raw-mail
folder, while the same kind of data of a case still open is there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import event

from bot import casework
from bot.cli import main
from bot.store import Store
from bot.store.models import Ticket, TicketEvent, utc_now
from bot.store.purge import (
    CLOSED,
    PURGED,
    STATUS_CHANGED,
    EventView,
    TicketView,
    due_for_purge,
    files_to_delete,
    purge,
    redact_event_detail,
)
from bot.triage import TriageContext
from tests.conftest import make_mail
from tests.store.test_store import FORM, file

YEAR = timedelta(days=365)
LATER = timedelta(days=400)

QUISTGAARD = "Ingrid Quistgaard <ingrid.quistgaard@quistgaard-analyse.no>"
VIKESLAND = "Trond Vikesland <trond.vikesland@vikesland-data.no>"


def application(sender: str, organisation: str, orgnr: str) -> bytes:
    """An application whose subject, sender and body carry the applicant's details."""
    name = sender.split(" <")[0]
    return make_mail(
        f"Vedlagt er soknaden var.\nOrganisasjon: {organisation}\n"
        f"Organisasjonsnummer: {orgnr}\nKontaktperson: {name}\n",
        subject=f"Soknad om mikrodata - {organisation} (org.nr {orgnr})",
        sender=sender,
        attachments=[FORM],
    )


def close(store: Store, ticket_id: int, at: datetime | None = None) -> None:
    """A caseworker closes the ticket: `casework.close`, or its event at a chosen time."""
    if at is None:
        casework.close(store, ticket_id, "saksbehandler")
        return
    with store.session() as session, session.begin():
        ticket = session.get_one(Ticket, ticket_id)
        detail = {"previous": ticket.status}
        event = TicketEvent(ticket_id=ticket_id, actor="x", action=CLOSED, detail=detail, at=at)
        session.add(event)
        ticket.status = "closed"


def insecure_by_default(store: Store) -> None:
    """Connections as an SQLite built without SECURE_DELETE makes them (Debian's has it on):
    deleted values then stay in free space until purge's own pragma and VACUUM."""
    store.engine.dispose()

    @event.listens_for(store.engine, "connect")
    def _off(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA secure_delete=OFF")


def every_byte_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_purge_leaves_no_byte_of_a_long_closed_case_on_disk_or_in_the_database(
    tmp_path: Path, context: TriageContext
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'mikrobot.db'}", tmp_path / "mail")
    insecure_by_default(store)
    _, closed_id, _ = file(
        store, context, application(QUISTGAARD, "Quistgaard Analyse AS", "987654317"), "k1"
    )
    _, open_id, _ = file(
        store, context, application(VIKESLAND, "Vikesland Data AS", "913578228"), "k2"
    )
    assert closed_id != open_id
    close(store, closed_id)
    before = every_byte_under(tmp_path)
    assert b"Quistgaard" in before and b"987654317" in before  # the test can fail

    report = purge(store, older_than=YEAR, now=utc_now() + LATER)
    store.engine.dispose()

    assert report.tickets == (closed_id,) and report.files_deleted == 1
    database = (tmp_path / "mikrobot.db").read_bytes()
    raw_mail = every_byte_under(tmp_path / "mail")
    for secret in (b"Quistgaard", b"quistgaard", b"987654317"):
        assert secret not in database and secret not in raw_mail
        assert secret not in every_byte_under(tmp_path)  # journals and temp files too
    for kept in (b"Vikesland", b"913578228"):
        assert kept in database and kept in raw_mail


def test_a_purged_ticket_keeps_what_happened_and_loses_who_and_what_they_wrote(
    store: Store, context: TriageContext
) -> None:
    _, ticket_id, _ = file(
        store, context, application(QUISTGAARD, "Quistgaard Analyse AS", "987654317"), "k1"
    )
    before, mails_before, events_before = store.ticket(ticket_id) or (None, [], [])
    assert before is not None and before.fields["organization_number"] == "987654317"
    name = "organization_name"
    casework.edit_field(
        store, ticket_id, name, "Quistgaard AS", "saksbehandler", context.requirements
    )
    close(store, ticket_id)

    purge(store, older_than=YEAR, now=utc_now() + LATER)

    ticket, (mail,), history = store.ticket(ticket_id) or (None, [None], [])
    assert ticket is not None and mail is not None
    assert ticket.fields == {}
    assert (ticket.category, ticket.status, ticket.missing) == (
        before.category,
        "closed",
        before.missing,
    )
    assert ticket.created_at == before.created_at
    assert (mail.sender, mail.subject, mail.message_id) == (None, "", None)
    assert mail.source_key == "k1" and mail.sha256 == mails_before[0].sha256
    assert mail.verdict["category"] == mails_before[0].verdict["category"]
    assert "fields" not in mail.verdict and "evidence" not in mail.verdict
    assert all("filename" not in a for a in mail.verdict["attachments"])
    actions = [e.action for e in history]
    assert actions == [e.action for e in events_before] + ["field_changed", CLOSED, PURGED]
    edited, closing = (e for e in history if e.action in ("field_changed", CLOSED))
    assert edited.detail == {
        "field": name,
        "missing": before.missing,
        "redacted": ["previous", "value"],
    }
    assert closing.detail == {"previous": before.status} and closing.actor == "saksbehandler"
    (reply,) = store.outbox(ticket_id)
    assert reply.raw == b"" and reply.recipient == "" and reply.message_id
    assert store.has_mail("k1")  # the same mail fetched again is still not filed twice


def test_the_same_mail_delivered_twice_is_one_ticket_whose_purge_deletes_its_one_file(
    store: Store, context: TriageContext
) -> None:
    raw = make_mail("Et spørsmål om mikrodata.", subject="Spørsmål")
    _, first, _ = file(store, context, raw, "inbox:1")
    _, second, _ = file(store, context, raw, "other-folder:1")  # the same bytes, twice
    assert first == second
    (digest,) = {m.sha256 for m in (store.ticket(first) or (0, []))[1]}
    close(store, first)

    report = purge(store, older_than=YEAR, now=utc_now() + LATER)
    assert report.tickets == (first,) and report.files_deleted == 1
    assert not store.raw_mail.path_for(digest).exists()


def test_purging_twice_changes_nothing_the_second_time(
    store: Store, context: TriageContext
) -> None:
    _, ticket_id, _ = file(store, context, make_mail("Hei", subject="Hei"), "k1")
    close(store, ticket_id)
    first = purge(store, older_than=YEAR, now=utc_now() + LATER)
    _, _, history = store.ticket(ticket_id) or (None, [], [])
    second = purge(store, older_than=YEAR, now=utc_now() + LATER)
    _, _, again = store.ticket(ticket_id) or (None, [], [])
    assert first.tickets == (ticket_id,) and second.tickets == ()
    assert [(e.action, e.detail) for e in again] == [(e.action, e.detail) for e in history]
    assert [e.action for e in again].count(PURGED) == 1


def test_open_and_recently_closed_tickets_are_kept_and_a_dry_run_changes_nothing(
    store: Store, context: TriageContext
) -> None:
    _, open_id, _ = file(store, context, make_mail("Hei", subject="A", sender="a@a.no"), "k1")
    _, recent, _ = file(store, context, make_mail("Hei", subject="B", sender="b@b.no"), "k2")
    _, old, _ = file(store, context, make_mail("Hei", subject="C", sender="c@c.no"), "k3")
    now = utc_now()
    close(store, recent, at=now - timedelta(days=10))
    close(store, old, at=now - timedelta(days=366))

    dry = purge(store, older_than=YEAR, now=now, dry_run=True)
    assert dry.tickets == (old,) and dry.files_deleted == 1 and dry.dry_run
    for ticket_id in (open_id, recent, old):
        _, (mail,), history = store.ticket(ticket_id) or (None, [None], [])
        assert mail is not None and mail.sender is not None
        assert store.raw_mail.path_for(mail.sha256).exists()
        assert PURGED not in [e.action for e in history]

    assert purge(store, older_than=YEAR, now=now).tickets == (old,)


def test_mikrobot_purge_uses_the_retention_setting_and_older_than_overrides_it(
    tmp_path: Path, context: TriageContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'mikrobot.db'}"
    monkeypatch.setenv("MIKROBOT_DATABASE", url)
    monkeypatch.setenv("MIKROBOT_RAW_MAIL_DIR", str(tmp_path / "mail"))
    monkeypatch.setenv("MIKROBOT_RETENTION_DAYS", "30")
    store = Store.open(url, tmp_path / "mail")
    _, ticket_id, _ = file(store, context, make_mail("Hei", subject="Hei"), "k1")
    close(store, ticket_id, at=utc_now() - timedelta(days=40))
    runner = CliRunner()

    kept = runner.invoke(main, ["purge", "--older-than", "60"])
    assert kept.exit_code == 0 and kept.output.startswith("purged 0 ticket(s)")
    dry = runner.invoke(main, ["purge", "--dry-run"])
    assert dry.exit_code == 0 and dry.output.startswith("would purge 1 ticket(s), 1 mail(s)")
    done = runner.invoke(main, ["purge"])
    assert done.exit_code == 0 and done.output.startswith("purged 1 ticket(s), 1 mail(s)")
    _, (mail,), _ = store.ticket(ticket_id) or (None, [None], [])
    assert mail is not None and mail.sender is None
    store.engine.dispose()


# --- the pure parts ----------------------------------------------------------------


def view(status: str, *events: tuple[int, str, dict[str, str]]) -> TicketView:
    """A ticket whose events happened on the given days of 2025."""
    day = datetime(2025, 1, 1, tzinfo=UTC)
    return TicketView(
        1,
        status,
        day,
        tuple(EventView(day + timedelta(days=d), action, detail) for d, action, detail in events),
    )


CLOSES = (STATUS_CHANGED, {"from": "ready", "to": "closed"})
REOPENED = (STATUS_CHANGED, {"from": "closed", "to": "ready"})


def test_the_period_counts_from_the_last_closing() -> None:
    ticket = view("closed", (10, CLOSED, {}), (20, *REOPENED), (100, *CLOSES))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert due_for_purge([ticket], now=start + timedelta(days=100 + 365), older_than=YEAR) == [1]
    assert due_for_purge([ticket], now=start + timedelta(days=99 + 365), older_than=YEAR) == []


def test_a_ticket_closed_again_after_its_purge_is_purged_again() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    purged = (500, PURGED, {})
    assert (
        due_for_purge(
            [view("closed", (10, *CLOSES), purged)], now=start + LATER * 2, older_than=YEAR
        )
        == []
    )
    again = view("closed", (10, *CLOSES), purged, (600, *REOPENED), (601, *CLOSES))
    assert due_for_purge([again], now=start + timedelta(days=601) + YEAR, older_than=YEAR) == [1]


def test_only_closed_tickets_are_due_and_without_a_closing_event_the_last_change_counts() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert (
        due_for_purge([view("ready", (1, *CLOSES))], now=start + LATER * 3, older_than=YEAR) == []
    )
    assert due_for_purge([view("closed")], now=start + LATER, older_than=YEAR) == [1]
    naive = TicketView(1, "closed", datetime(2025, 1, 1), ())  # as SQLite hands it back
    assert due_for_purge([naive], now=start + LATER, older_than=YEAR) == [1]


def test_a_file_goes_only_when_every_mail_with_those_bytes_is_purged() -> None:
    delete, keep = files_to_delete([("a", True), ("b", True), ("b", False), ("c", False)])
    assert delete == {"a"} and keep == {"b"}


def test_event_details_keep_ids_and_codes_and_name_what_was_removed() -> None:
    detail = {
        "mail_id": 7,
        "category": "new_application",
        "missing": ["dpia", "variable_list"],
        "to": "closed",
        "reason": "rate limit",
        "error": "550 5.1.1 <ingrid.quistgaard@quistgaard-analyse.no>: no such user",
        "note": "Ringte Ingrid",
        "status": "Ingrid Quistgaard",
    }
    redacted = redact_event_detail(detail)
    assert redacted == {
        "mail_id": 7,
        "category": "new_application",
        "missing": ["dpia", "variable_list"],
        "to": "closed",
        "reason": "rate limit",
        "redacted": ["error", "note", "status"],
    }
    assert redact_event_detail(redacted) == redacted
    assert redact_event_detail({"reason": "søkeren Ingrid ringte"}) == {"redacted": ["reason"]}
