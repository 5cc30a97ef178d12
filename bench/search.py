"""Search at 20,000 tickets (issue #12 §5): the queue's search, SQLite FTS5 and PostgreSQL.

A store of 20,000 tickets, one mail each, is written straight into the tables (filing 20,000
mails through triage would take hours and measure triage): subjects, senders and texts of
the fixture corpus, each mail's text followed by about 600 words of attachment text drawn
from the corpus's vocabulary, and a few planted words at known frequencies. The searches
are what the queue runs (`bot.store.tickets.queue` with `QueueFilter(search=…)`: the page
of 25 and the counts), timed warm, the median of `repeat` runs. For comparison, the search
as it was before (a case-insensitive LIKE over every mail's subject and sender and the
tickets' fields) is timed on the same store.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from bench.common import corpus_files, log, scratch_dir

TICKETS = 20_000
QUERIES = (
    ("a word in one ticket's attachment", "barnehagedekning"),
    ("a word in 1 % of the tickets", "levekårsundersøkelsen"),
    ("a common word (most tickets)", "mikrodata"),
    ("an inflected form (søknader)", "søknader"),
    ("two words", "prosjekt kommune"),
    ("the beginning of a word", "personvern"),
    ("an organisation number's beginning", "9747"),
    ("a ticket number", "MB-012345"),
    ("no hits", "xylofonorkester"),
)
"""(what it shows, what the caseworker types)."""


def run(quick: bool) -> dict[str, Any]:
    from bench.servers import postgres_available, postgres_database

    tickets = 2_000 if quick else TICKETS
    repeat = 5 if quick else 15
    texts = _corpus_texts(quick)
    results: dict[str, Any] = {"tickets": tickets, "repeat": repeat, "databases": {}}
    sqlite_url = f"sqlite:///{scratch_dir('mikrobot-bench-search-') / 'search.db'}"
    databases: list[tuple[str, Callable[[], Any]]] = [("sqlite", lambda: _given(sqlite_url))]
    if postgres_available():
        databases.append(("postgresql", postgres_database))
    else:
        log("search: PostgreSQL not reachable, SQLite only")
    for name, opened in databases:
        with opened() as url:
            results["databases"][name] = _measure(url, tickets, repeat, texts)
    return results


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


def _corpus_texts(quick: bool) -> list[tuple[str, str, str]]:
    """(subject, sender, text) of every fixture mail, parsed (no attachments read)."""
    from parsers.mail import parse_mail

    found = []
    for path in corpus_files(quick):
        mail = parse_mail(path.read_bytes())
        sender = f"{mail.sender.name} {mail.sender.email}" if mail.sender else ""
        found.append((mail.subject, sender, f"{mail.text.new}\n{mail.text.signature}"))
    return found


def _measure(
    url: str, tickets: int, repeat: int, texts: list[tuple[str, str, str]]
) -> dict[str, Any]:
    from bot.store import Store
    from bot.store.tickets import QueueFilter, queue

    store = Store.open(url, scratch_dir("mikrobot-bench-search-mail-"))
    try:
        started = time.perf_counter()
        _fill(store, tickets, texts)
        built = time.perf_counter() - started
        log(f"search: {store.engine.dialect.name}: {tickets:,} tickets written in {built:.0f} s")
        rows = []
        for label, typed in QUERIES:
            wanted = QueueFilter(search=typed)
            page = queue(store, wanted, threshold=0.8)  # warm: the page cache, the plan
            seconds = _median(repeat, lambda w=wanted: queue(store, w, threshold=0.8))
            before = _median(max(3, repeat // 3), lambda t=typed: _old_search(store, t))
            rows.append(
                {
                    "what": label,
                    "query": typed,
                    "hits": page.total,
                    "ms": seconds * 1000,
                    "old_like_ms": before * 1000,
                }
            )
            log(f"search: {typed!r}: {page.total} hits, {seconds * 1000:.1f} ms")
        return {"build_seconds": built, "queries": rows, "size_mb": _size_mb(store)}
    finally:
        store.engine.dispose()


def _median(repeat: int, work: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def _fill(store: Any, tickets: int, texts: list[tuple[str, str, str]]) -> None:
    """`tickets` tickets of one mail each, with their words in `mail_texts` (as filing
    writes them, through `search.words_of`), in batches."""
    from bot.store.models import Mail, MailText, Ticket, utc_now
    from bot.store.search import MAX_ATTACHMENT_CHARS, MAX_BODY_CHARS, words_of

    chance = random.Random(12)
    vocabulary = sorted({w for _, _, text in texts for w in re.findall(r"[^\W\d_]{4,}", text)})
    now = utc_now()
    batch = 1_000
    for first in range(1, tickets + 1, batch):
        ticket_rows, mail_rows, text_rows = [], [], []
        for number in range(first, min(first + batch, tickets + 1)):
            subject, sender, body = texts[number % len(texts)]
            words = chance.choices(vocabulary, k=600)
            if number % 100 == 0:
                words.append("levekårsundersøkelsen")
            if number == tickets // 2:
                words.append("barnehagedekning")
            org = f"9{chance.randint(10_000_000, 99_999_999)}"
            ticket_rows.append(
                {
                    "id": number,
                    "category": "new_application",
                    "confidence": 0.9,
                    "status": "waiting_for_applicant" if number % 5 else "closed",
                    "fields": {"organization_number": org, "organization_name": "Kommune"},
                    "missing": [],
                    "provided": [],
                    "conditions": [],
                    "to_check": [],
                    "personal_data": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            mail_rows.append(
                {
                    "id": number,
                    "ticket_id": number,
                    "source_key": f"bench:{number}",
                    "sha256": f"{number:064d}",
                    "sender": sender.split()[-1].lower() if sender else None,
                    "subject": subject,
                    "verdict": {},
                    "created_at": now,
                    "stranger": False,
                    "personal_data": False,
                }
            )
            text_rows.append(
                {
                    "mail_id": number,
                    "ticket_id": number,
                    "subject": words_of(subject, 10_000),
                    "sender": words_of(sender, 1_000),
                    "body": words_of(body, MAX_BODY_CHARS),
                    "attachments": words_of(" ".join(words), MAX_ATTACHMENT_CHARS),
                }
            )
        with store.engine.begin() as connection:
            connection.execute(sa.insert(Ticket), ticket_rows)
            connection.execute(sa.insert(Mail), mail_rows)
            connection.execute(sa.insert(MailText), text_rows)
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as connection:
            connection.execute(sa.text(f"SELECT setval('tickets_id_seq', {tickets})"))
            connection.execute(sa.text(f"SELECT setval('mails_id_seq', {tickets})"))
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("ANALYZE"))


def _old_search(store: Any, typed: str) -> int:
    """The queue's search before issue #12: LIKE '%…%' over every mail and ticket."""
    from sqlalchemy import func, or_, select

    from bot.store.models import Mail, Ticket

    mails = select(Mail.ticket_id).where(
        or_(
            Mail.sender.icontains(typed, autoescape=True),
            Mail.subject.icontains(typed, autoescape=True),
        )
    )
    condition = or_(
        Ticket.case_reference.icontains(typed, autoescape=True),
        Ticket.fields["organization_name"].as_string().icontains(typed, autoescape=True),
        Ticket.fields["organization_number"].as_string().icontains(typed, autoescape=True),
        Ticket.id.in_(mails),
    )
    with store.session() as session:
        counts = session.execute(
            select(Ticket.category, func.count(Ticket.id))
            .where(condition)
            .group_by(Ticket.category)
        ).all()
        page = session.scalars(
            select(Ticket).where(condition).order_by(Ticket.updated_at.desc()).limit(25)
        ).all()
    assert len(page) <= 25
    return sum(int(n) for _, n in counts)


def _size_mb(store: Any) -> float:
    if store.engine.dialect.name == "sqlite":
        return os.path.getsize(store.engine.url.database) / 1e6
    with store.engine.connect() as connection:
        size = connection.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
    return float(size or 0) / 1e6
