"""Open work first (issue #12), on SQLite and PostgreSQL: the queue lists every ticket but
the closed ones unless asked, sorts by received, updated and category both ways, and
finds the open tickets that have waited longer than the answer deadline. A ticket's age
counts from its first mail's arrival in the mailbox, not from when the bot filed it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from bot.casework import close
from bot.store import Store
from bot.store.models import Ticket, as_utc, utc_now
from bot.store.repository import MIGRATIONS
from bot.store.tickets import (
    ALL,
    MAX_ID,
    OPEN,
    QueueFilter,
    QueueSort,
    SortKey,
    is_overdue,
    overdue_cutoff,
    queue,
    ticket_number,
)
from bot.triage import TriageContext, triage
from bot.verdict import Category
from parsers.mail import parse_mail
from tests.conftest import make_mail
from tests.store.test_store import reply_builder

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
QUESTION = "Hei, hvor lang er behandlingstiden for en søknad om mikrodata?"


def file_at(
    store: Store, context: TriageContext, n: int, received: datetime | None, body: str = QUESTION
) -> int:
    """A new case from its own sender, arrived at `received` (the mailbox's time)."""
    raw = make_mail(f"{body} ({n})", sender=f"Person {n} <person{n}@example.no>")
    filed = store.file_mail(
        raw=raw,
        source_key=f"maildir:{n}",
        received_at=received,
        verdict=triage(raw, f"maildir:{n}", context),
        mail=parse_mail(raw),
        requirements=context.requirements,
        build_reply=reply_builder(),
    )
    return filed.ticket_id


def set_times(store: Store, ticket_id: int, **times: datetime) -> None:
    with store.session() as session, session.begin():
        session.execute(sa.update(Ticket).where(Ticket.id == ticket_id).values(**times))


def ids(
    store: Store, wanted: QueueFilter | None = None, sort: QueueSort | None = None
) -> list[int]:
    found = queue(
        store, wanted or QueueFilter(), threshold=0.8, per_page=100, sort=sort or QueueSort()
    )
    return [r.id for r in found.rows]


def test_the_default_queue_is_open_work_and_closed_tickets_are_asked_for(
    store: Store, context: TriageContext
) -> None:
    first, second, third = (file_at(store, context, n, NOW - timedelta(days=n)) for n in (1, 2, 3))
    close(store, second, "kari")

    default = queue(store, QueueFilter(), threshold=0.8)
    assert sorted(r.id for r in default.rows) == [first, third] and default.total == 2
    assert sum(default.counts.values()) == 2, "the category tabs count open work too"
    assert QueueFilter().status == OPEN
    assert sorted(ids(store, QueueFilter(status=ALL))) == [first, second, third]
    assert ids(store, QueueFilter(status="closed")) == [second]
    assert ids(store, QueueFilter(status="new")) == sorted([first, third], reverse=True)


def test_the_queue_sorts_by_received_updated_and_category_both_ways(
    store: Store, context: TriageContext
) -> None:
    offer = "Vedlagt er signert tilbud, datert og signert."
    old = file_at(store, context, 1, NOW - timedelta(days=9))
    newer = file_at(store, context, 2, NOW - timedelta(days=2))
    newest = file_at(store, context, 3, NOW - timedelta(hours=5), body=offer)
    set_times(store, old, updated_at=NOW - timedelta(hours=1))  # an old case, just touched
    set_times(store, newer, updated_at=NOW - timedelta(days=2))
    set_times(store, newest, updated_at=NOW - timedelta(hours=4))
    categories = {r.id: r.category for r in queue(store, QueueFilter(), threshold=0.8).rows}

    assert ids(store) == [old, newest, newer], "default: the newest change first"
    assert ids(store, sort=QueueSort(SortKey.UPDATED, descending=False)) == [newer, newest, old]
    assert ids(store, sort=QueueSort(SortKey.RECEIVED)) == [newest, newer, old]
    assert ids(store, sort=QueueSort(SortKey.RECEIVED, descending=False)) == [old, newer, newest]

    by_category = ids(store, sort=QueueSort(SortKey.CATEGORY, descending=False))
    order = [c.value for c in Category]
    ranks = [order.index(categories[t]) for t in by_category]
    assert ranks == sorted(ranks) and len(set(ranks)) >= 2, (categories, by_category)
    backwards = ids(store, sort=QueueSort(SortKey.CATEGORY, descending=True))
    assert [order.index(categories[t]) for t in backwards] == sorted(ranks, reverse=True)


def test_overdue_means_open_and_received_before_the_answer_deadline(
    store: Store, context: TriageContext
) -> None:
    cutoff = overdue_cutoff(NOW, answer_within_days=14)
    assert cutoff == NOW - timedelta(days=14)
    late = file_at(store, context, 1, NOW - timedelta(days=20))
    late_but_closed = file_at(store, context, 2, NOW - timedelta(days=30))
    just_in_time = file_at(store, context, 3, NOW - timedelta(days=13, hours=23))
    close(store, late_but_closed, "kari")

    assert ids(store, QueueFilter(overdue_before=cutoff)) == [late]
    assert ids(store, QueueFilter(status=ALL, overdue_before=cutoff)) == [late], (
        "a closed case is never overdue, whatever the status filter"
    )
    rows = {r.id: r for r in queue(store, QueueFilter(status=ALL), threshold=0.8).rows}
    marked = {t for t, r in rows.items() if is_overdue(r.status, r.received_at, cutoff)}
    assert marked == {late}
    assert just_in_time in rows and not is_overdue("new", rows[just_in_time].received_at, cutoff)


def test_a_tickets_age_counts_from_the_mailbox_arrival_never_from_the_future(
    store: Store, context: TriageContext
) -> None:
    waited = NOW - timedelta(days=3)  # arrived while the bot was down
    ticket = file_at(store, context, 1, waited)
    from_the_future = file_at(store, context, 2, utc_now() + timedelta(days=1))
    unknown = file_at(store, context, 3, None)
    follow_up = make_mail("Her er mer informasjon.", sender="Person 1 <person1@example.no>",
                          subject=f"Re: MB-{ticket:06d}")  # fmt: skip
    store.file_mail(
        raw=follow_up,
        source_key="maildir:4",
        received_at=NOW,
        verdict=triage(follow_up, "maildir:4", context),
        mail=parse_mail(follow_up),
        requirements=context.requirements,
        build_reply=reply_builder(),
    )
    rows = {r.id: r for r in queue(store, QueueFilter(), threshold=0.8).rows}
    assert rows[ticket].mails == 2 and rows[ticket].received_at == waited, "the first mail"
    for other in (from_the_future, unknown):
        arrived = rows[other].received_at
        assert arrived is not None and arrived <= utc_now()
        assert utc_now() - arrived < timedelta(minutes=5)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("MB-000013", 13),
        ("mb-000013", 13),
        ("MB000013", 13),
        (" MB-1234567 ", 1_234_567),
        ("13", 13),
        ("000013", 13),
        ("MB-000000", None),
        ("0", None),
        ("MB-", None),
        ("abc", None),
        ("13a", None),
        ("MB-13-14", None),
        (str(2**70), None),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
    ],
)
def test_a_ticket_is_named_as_people_write_it(text: str, number: int | None) -> None:
    assert ticket_number(text) == number


def test_the_migration_gives_existing_tickets_their_first_mails_arrival(
    database_url: str, tmp_path: Path
) -> None:
    """Tickets filed before the column existed: the earliest mail's arrival, or the filing
    time when no mail says (or when a skewed clock says later than the filing)."""
    engine = sa.create_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    filed = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    arrivals: dict[int, list[datetime | None]] = {
        1: [filed - timedelta(days=2), filed - timedelta(days=1)],
        2: [None],
        3: [],
        4: [filed + timedelta(days=1)],
    }
    when = sa.DateTime(timezone=True)
    tickets = sa.table(
        "tickets",
        *(sa.column(c) for c in ("id", "category", "confidence", "status", "personal_data")),
        *(sa.column(c, sa.JSON) for c in ("fields", "missing", "provided", "conditions")),
        sa.column("to_check", sa.JSON),
        sa.column("created_at", when),
        sa.column("updated_at", when),
    )
    mails = sa.table(
        "mails",
        *(sa.column(c) for c in ("ticket_id", "source_key", "sha256", "subject", "stranger")),
        sa.column("personal_data"),
        sa.column("verdict", sa.JSON),
        sa.column("received_at", when),
        sa.column("created_at", when),
    )
    with engine.begin() as connection:
        for ticket_id, received in arrivals.items():
            connection.execute(
                tickets.insert().values(
                    id=ticket_id, category="other", confidence=0.9, status="new",
                    personal_data=False, fields={}, missing=[], provided=[], conditions=[],
                    to_check=[], created_at=filed, updated_at=filed,
                )
            )  # fmt: skip
            for n, arrived in enumerate(received):
                connection.execute(
                    mails.insert().values(
                        ticket_id=ticket_id, source_key=f"k{ticket_id}-{n}", sha256="x",
                        subject="s", stranger=False, personal_data=False, verdict={},
                        received_at=arrived, created_at=filed,
                    )
                )  # fmt: skip
    engine.dispose()
    store = Store.open(database_url, tmp_path / "mail")  # migrates to the newest revision
    with store.session() as session:
        found = {t.id: as_utc(t.received_at) for t in session.scalars(sa.select(Ticket))}
    store.engine.dispose()
    assert found == {1: filed - timedelta(days=2), 2: filed, 3: filed, 4: filed}
