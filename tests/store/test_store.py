"""The ticket store files each mail once, threads cases, and queues one reply per mail."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import func, select, update

from bot.replying import Answerer
from bot.settings import Settings
from bot.store import Store
from bot.store.models import Ticket
from bot.triage import TriageContext, triage
from bot.verdict import Verdict
from parsers.mail import parse_mail
from tests.conftest import make_mail

FORM = (
    "soknadsskjema.txt",
    "text/plain",
    "Søknadsskjema – søknad om tilgang til mikrodata\nProsjekttittel: Levekår blant unge\n"
    "Behandlingsansvarlig: Bergen kommune\nKontaktperson: Kari Nordmann\n".encode(),
)
SCRIPT = (
    "skript.txt",
    "text/plain",
    b"require no.ssb.fdb:23 as db\ncreate-dataset personer\nimport db/INNTEKT_WLONN 2021-01-01 as lonn\n",
)
DPIA = (
    "dpia.txt",
    "text/plain",
    "Personvernkonsekvensutredning (DPIA)\nRisikovurdering: risiko for de registrerte er lav.\n"
    "Tiltak for å redusere risiko: pseudonymiserte data.\n".encode(),
)


def reply_builder(limit: int = 5) -> Answerer:
    """The reply the service builds: the one decision (`reply_policy.plan`) and composer."""
    return Answerer(Settings(max_replies_per_sender_per_day=limit))


def file(
    store: Store, context: TriageContext, raw: bytes, key: str, limit: int = 5
) -> tuple[Verdict, int, int | None]:
    verdict = triage(raw, key, context)
    filed = store.file_mail(
        raw=raw,
        source_key=key,
        received_at=None,
        verdict=verdict,
        mail=parse_mail(raw),
        requirements=context.requirements,
        build_reply=reply_builder(limit),
    )
    return verdict, filed.ticket_id, filed.outbox_id


def test_application_without_dpia_waits_and_second_mail_with_it_completes_the_case(
    store: Store, context: TriageContext
) -> None:
    first = make_mail(
        "Vedlagt følger vår søknad om tilgang til mikrodata.", attachments=[FORM, SCRIPT]
    )
    verdict, ticket_id, outbox_id = file(store, context, first, "maildir:1")
    assert verdict.missing == ("dpia",)
    ticket, _, _ = store.ticket(ticket_id) or (None, [], [])
    assert (
        ticket is not None
        and ticket.status == "waiting_for_applicant"
        and ticket.missing == ["dpia"]
    )
    (queued,) = store.outbox(ticket_id)
    assert queued.id == outbox_id and queued.action == "request_missing"

    second = make_mail(
        "Her kommer DPIA-en som manglet.",
        subject=f"Re: Søknad om tilgang til mikrodata ({ticket.reference})",
        headers={"In-Reply-To": queued.message_id, "References": queued.message_id},
        attachments=[DPIA],
    )
    _, second_ticket, _ = file(store, context, second, "maildir:2")
    assert second_ticket == ticket_id
    ticket, mails, events = store.ticket(ticket_id) or (None, [], [])
    assert ticket is not None and ticket.status == "ready" and ticket.missing == []
    assert [m.source_key for m in mails] == ["maildir:1", "maildir:2"]
    actions = [o.action for o in store.outbox(ticket_id)]
    assert actions == ["request_missing", "acknowledge"]
    assert [e.action for e in events].count("mail_received") == 2


def test_mail_naming_the_case_reference_joins_that_case(
    store: Store, context: TriageContext
) -> None:
    offer = make_mail("Vedlagt er signert tilbud. Deres ref. 24/01872-3", subject="Signert tilbud")
    deletion = make_mail(
        "Vi bekrefter at dataene er slettet 1.3.2025. Saksnummer 24/01872", subject="Sletting"
    )
    _, first, _ = file(store, context, offer, "k1")
    _, second, _ = file(store, context, deletion, "k2")
    assert first == second
    ticket, _, _ = store.ticket(first) or (None, [], [])
    assert ticket is not None and ticket.case_reference == "24/01872"
    assert ticket.category == "deletion_confirmation"


def test_the_same_mail_fetched_twice_is_filed_once_and_answered_once(
    store: Store, context: TriageContext
) -> None:
    raw = make_mail("Spørsmål: hvor lang er behandlingstiden?", subject="Spørsmål")
    _, ticket_id, _ = file(store, context, raw, "imap:INBOX:7:42")
    again = store.file_mail(
        raw=raw, source_key="imap:INBOX:7:42", received_at=None,
        verdict=triage(raw, "x", context), mail=parse_mail(raw),
        requirements=context.requirements, build_reply=reply_builder(),
    )  # fmt: skip
    assert again.duplicate and again.ticket_id == ticket_id
    assert len(store.outbox(ticket_id)) == 1
    assert store.has_mail("imap:INBOX:7:42")


def test_auto_generated_mail_is_filed_but_never_answered(
    store: Store, context: TriageContext
) -> None:
    raw = make_mail(
        "Jeg er på ferie.",
        subject="Automatisk svar: Søknad",
        headers={"Auto-Submitted": "auto-replied"},
    )
    verdict, ticket_id, outbox_id = file(store, context, raw, "k-ooo")
    assert verdict.auto_generated and outbox_id is None
    assert store.outbox(ticket_id) == []


def test_replies_per_sender_stop_at_the_daily_limit(store: Store, context: TriageContext) -> None:
    queued = [
        file(
            store,
            context,
            make_mail(f"Spørsmål nummer {n}", subject=f"Spørsmål {n}"),
            f"k{n}",
            limit=3,
        )[2]
        for n in range(5)
    ]
    assert [q is not None for q in queued] == [True, True, True, False, False]


def test_raw_mail_is_kept_byte_for_byte_by_content_hash(
    store: Store, context: TriageContext
) -> None:
    raw = make_mail("Hei", subject="Hei")
    _, ticket_id, _ = file(store, context, raw, "k-raw")
    _, (mail,), _ = store.ticket(ticket_id) or (None, [None], [])
    assert mail is not None and store.raw_mail.get(mail.sha256) == raw


def test_outbox_rows_move_to_sent_or_failed_and_stay_pending_on_temporary_errors(
    store: Store, context: TriageContext
) -> None:
    for n in range(3):
        file(
            store,
            context,
            make_mail(f"Spørsmål {n}", subject=f"S{n}", sender=f"a{n}@example.no"),
            f"o{n}",
        )
    first, second, third = store.pending_replies()
    store.mark_sent(first.id)
    store.mark_failed(second.id, "451 try later", permanent=False)
    store.mark_failed(third.id, "550 no such user", permanent=True)
    pending = store.pending_replies()
    assert [p.id for p in pending] == [second.id] and pending[0].attempts == 1


def test_migrating_twice_is_harmless(store: Store) -> None:
    store.migrate()
    with store.engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    assert {"tickets", "mails", "ticket_events", "outbox", "alembic_version"} <= tables


def test_hostile_header_values_are_stored_not_rejected(
    store: Store, context: TriageContext
) -> None:
    """Regression guard: NUL characters and oversized headers must not make the row
    unstorable (PostgreSQL rejects NUL in text), or the mail would fail on every run."""
    raw = (
        b"From: Ola <ola@example.no>\r\nTo: mikrodata@ssb.no\r\n"
        b"Subject: S\x00knad om tilgang\r\n"
        b"Message-ID: <" + b"x" * 2_000 + b"@example.no>\r\n\r\nVedlagt er s\x00knaden.\r\n"
    )
    _, ticket_id, _ = file(store, context, raw, "k-hostile")
    _, (mail,), _ = store.ticket(ticket_id) or (None, [None], [])
    assert mail is not None and "\x00" not in mail.subject
    assert mail.message_id is not None and len(mail.message_id) <= 998


def test_schema_changes_roll_back_with_their_transaction(database_url: str) -> None:
    """Regression (found by the SIGKILL test): a bot killed during its first migration
    must leave no half-made schema, or it can never start again."""
    from bot.store import create_store_engine

    engine = create_store_engine(database_url)
    with engine.connect() as connection:
        transaction = connection.begin()
        connection.exec_driver_sql("CREATE TABLE half_done (id INTEGER)")
        transaction.rollback()
    with engine.connect() as connection:
        assert "half_done" not in sa.inspect(connection).get_table_names()
    engine.dispose()


def test_the_bot_waits_for_a_lock_held_elsewhere_instead_of_failing_mid_transaction(
    tmp_path: Path,
) -> None:
    """The CI failure of 2026-11-27: the bot read, another process asked for the write lock,
    and the bot's write then failed at once with "database is locked" (SQLite refuses to
    wait there, to avoid a deadlock). Transactions now take the write lock as they begin."""
    database = tmp_path / "mikrobot.db"
    store = Store.open(f"sqlite:///{database}", tmp_path / "raw")
    other_got_the_lock = threading.Event()

    def other_process() -> None:
        with contextlib.closing(
            sqlite3.connect(database, timeout=10, isolation_level=None)
        ) as other:
            other.execute("BEGIN EXCLUSIVE")
            other_got_the_lock.set()
            other.execute("COMMIT")

    with store.session() as session, session.begin():
        session.execute(select(func.count(Ticket.id)))  # the bot reads first …
        waiting = threading.Thread(target=other_process)
        waiting.start()
        time.sleep(0.3)  # … the other asks for the lock and waits …
        assert not other_got_the_lock.is_set()
        session.execute(update(Ticket).values(status="new"))  # … and the bot still writes
    waiting.join(timeout=10)
    assert other_got_the_lock.is_set(), "the other process got its turn after the bot's commit"
