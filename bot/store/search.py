"""Full-text search over the mails' subjects, senders, texts and attachments (issue #12 §5).

One interface, two engines. When a mail is filed, `search_document` takes its words — the
subject, the sender's name and address, its own text (new, signature, forwarded; not the
quoted history, which is the earlier mails of the thread and our own replies) and the text
read from its attachments, with their names — masks national IDs (`010190*****`: a full
number is never searchable) and stores them as plain words in `mail_texts`. The database
keeps its own index in step with that table (migration 0012):

- SQLite: an FTS5 table `mail_texts_fts` over `mail_texts` (external content, filled and
  emptied by triggers). A query word matches a word that begins with it; Norwegian words are
  cut to their Snowball stem first, so "søknader" finds "søknad" and "søknaden" — the same
  algorithm PostgreSQL's `norwegian` configuration uses;
- PostgreSQL: a generated `tsvector` column (`norwegian` configuration: stemming and stop
  words) with a GIN index, queried with prefix matching.

Every query word must match (AND), in any of the columns. Deleting a mail's personal data
or purging its closed case deletes its row (`forget`), and the index entry goes with it;
on SQLite `compact` then merges the index so the words are not left in old segments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from sqlalchemy import Engine, Select, TextualSelect, delete, select, text
from sqlalchemy.orm import Session

from bot.store.models import MailText
from parsers.attachments import AttachmentText
from parsers.message import ParsedMail
from parsers.national_id import mask_national_ids

MAX_BODY_CHARS: Final = 100_000
MAX_ATTACHMENT_CHARS: Final = 300_000
"""Bounds on what one mail puts in the index (PostgreSQL's tsvector holds at most 1 MB)."""
MAX_QUERY_WORDS: Final = 12
MIN_STEMMED_CHARS: Final = 5
"""Shorter words are searched as typed: a stem of three letters would match too much."""
FTS_TABLE: Final = "mail_texts_fts"
TEXT_SEARCH_CONFIG: Final = "norwegian"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchDocument:
    """A mail's words, as stored for search: masked, plain words separated by spaces."""

    subject: str
    sender: str
    body: str
    attachments: str


def words_of(value: str, limit: int) -> str:
    """`value` as plain words (no punctuation for one engine to read differently from the
    other), national IDs masked first, at most `limit` characters."""
    masked = mask_national_ids(value[: limit * 2])
    return " ".join(_WORD.findall(masked))[:limit].rstrip()


def search_document(mail: ParsedMail, attachments: Sequence[AttachmentText]) -> SearchDocument:
    """What a filed mail puts in the index (pure; see the module docstring)."""
    sender = f"{mail.sender.name} {mail.sender.email}" if mail.sender else ""
    body = "\n".join((mail.text.new, mail.text.signature, mail.text.forwarded))
    files = "\n".join(f"{a.filename}\n{a.text}" for a in attachments)
    return SearchDocument(
        subject=words_of(mail.subject, 10_000),
        sender=words_of(sender, 1_000),
        body=words_of(body, MAX_BODY_CHARS),
        attachments=words_of(files, MAX_ATTACHMENT_CHARS),
    )


def index_mail(session: Session, mail_id: int, ticket_id: int, document: SearchDocument) -> None:
    """Add a filed mail's words (in the filing transaction); the database indexes them."""
    session.add(
        MailText(
            mail_id=mail_id,
            ticket_id=ticket_id,
            subject=document.subject,
            sender=document.sender,
            body=document.body,
            attachments=document.attachments,
        )
    )


def forget(session: Session, mail_ids: Iterable[int]) -> None:
    """Remove mails from the search (their personal data deleted, or their case purged)."""
    ids = sorted(set(mail_ids))
    if ids:
        session.execute(delete(MailText).where(MailText.mail_id.in_(ids)))


def compact(engine: Engine) -> None:
    """After `forget`: merge SQLite's FTS5 segments, so the deleted words leave the index
    pages too (PostgreSQL's VACUUM does this for the GIN index)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as connection:
        connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('optimize')")


# --- queries -------------------------------------------------------------------------


def query_words(typed: str) -> list[str]:
    """The words of what a caseworker typed, lower case, at most `MAX_QUERY_WORDS`."""
    return _WORD.findall(typed.lower())[:MAX_QUERY_WORDS]


@cache
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer(TEXT_SEARCH_CONFIG)


def stem(word: str) -> str:
    """A Norwegian word's Snowball stem (a prefix of the word); numbers and short words
    as they are."""
    if len(word) < MIN_STEMMED_CHARS or not word.isalpha():
        return word
    found = str(_stemmer().stemWord(word))
    return found if found and word.startswith(found) else word


def fts5_query(words: Sequence[str]) -> str:
    """An FTS5 MATCH expression: every word's stem as a quoted prefix ("søknad"*), ANDed.
    Quoting makes anything the user typed a plain string, never FTS5 syntax."""
    return " ".join(f'"{stem(word)}"*' for word in words)


def tsquery(words: Sequence[str]) -> str:
    """A `to_tsquery` expression: every word as a prefix (søknader:*), ANDed; the
    `norwegian` configuration stems it and drops stop words."""
    return " & ".join(f"{word}:*" for word in words)


def matching_tickets(typed: str, dialect: str) -> Select[Any] | TextualSelect | None:
    """The ids of tickets with a mail whose words match; None when nothing was typed."""
    words = query_words(typed)
    if not words:
        return None
    if dialect == "sqlite":  # mail id → ticket id from the narrow index, not the wide rows
        return (
            text(
                "SELECT ticket_id FROM mail_texts INDEXED BY ix_mail_texts_ticket_id WHERE mail_id"
                f" IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts_query)"
            )
            .bindparams(fts_query=fts5_query(words))
            .columns(MailText.ticket_id)
        )
    return select(MailText.ticket_id).where(
        text(
            f"mail_texts.search_vector @@ to_tsquery('{TEXT_SEARCH_CONFIG}', :ts_query)"
        ).bindparams(ts_query=tsquery(words))
    )


def prepare(session: Session, dialect: str) -> None:
    """Before the queue's statements with a search, in their transaction. PostgreSQL's
    planner prices a sequential scan of `mail_texts` by its few heap pages, not by the
    out-of-line tsvectors it must decompress row by row, and picks it over the GIN index
    (65 ms against 1 ms at 3,000 mails, seconds at 20,000): sequential scans are turned off
    for this transaction only (`SET LOCAL`), which leaves the index as the way. The costs
    that makes up would also start JIT compilation (0.3–0.6 s a statement): off as well."""
    if dialect == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))
        session.execute(text("SET LOCAL jit = off"))
