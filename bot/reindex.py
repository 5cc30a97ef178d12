"""`mikrobot reindex`: the full-text search's words of every filed mail, (re)built from
the stored raw mail.

Filing writes a mail's words (`bot.store.search`); mail filed before migration 0012 has
none, and an index can be rebuilt after a change to what it holds. This reads each mail's
raw bytes again as filing does — parsed, attachments extracted in the isolated worker,
national IDs set apart and masked (`bot.triage.read_texts`) — and writes its row anew.

Batched by mail id (keyset, so memory stays flat; a stopped run goes on with `--after`):
each batch's texts are read outside any transaction, then written in one short one that
replaces the batch's rows, so running it twice leaves the same index. A mail whose
personal data was deleted, or whose raw bytes are gone (purged), is never indexed: its
row, if any, is removed. On SQLite the FTS5 index is merged at the end (`search.compact`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select

from bot.settings import Limits
from bot.store import Store, search
from bot.store.models import Mail
from bot.store.search import SearchDocument, search_document
from bot.triage import read_texts

log = logging.getLogger(__name__)
BATCH: Final = 200
Reader = Callable[[bytes], SearchDocument]
"""A mail's raw bytes → its words for search (the same as at filing)."""


def reader(limits: Limits) -> Reader:
    """The words filing stores, read from a mail's raw bytes under `limits`."""

    def read(raw: bytes) -> SearchDocument:
        mail, attachments, _ids = read_texts(
            raw, limits.mail(), limits.extraction(), limits.max_attachments
        )
        return search_document(mail, attachments)

    return read


@dataclass
class ReindexReport:
    total: int
    """Mails to look at (every filed mail, or those after `after`)."""
    indexed: int = 0
    unreadable: int = 0
    """Raw bytes gone (purged) or unreadable: not indexed, any old row removed."""
    personal_data_deleted: int = 0
    """Mails whose personal data was deleted: never searchable again."""

    last_mail: int = 0
    """The last mail id done: `reindex --after` it goes on from there."""

    @property
    def done(self) -> int:
        return self.indexed + self.unreadable + self.personal_data_deleted

    def summary(self) -> str:
        return (
            f"indexed {self.indexed} of {self.total} mails; {self.unreadable} unreadable or "
            f"purged, {self.personal_data_deleted} with their personal data deleted"
        )


def reindex(
    store: Store,
    read: Reader,
    *,
    batch: int = BATCH,
    after: int = 0,
    progress: Callable[[ReindexReport], None] | None = None,
) -> ReindexReport:
    """Rebuild the search words of every filed mail with an id above `after`."""
    wanted = select(Mail.id, Mail.sha256, Mail.personal_data_deleted_at).order_by(Mail.id)
    with store.session() as session:
        total = session.scalar(select(func.count(Mail.id)).where(Mail.id > after)) or 0
    report = ReindexReport(total)
    while True:
        with store.session() as session:
            rows = session.execute(wanted.where(Mail.id > after).limit(batch)).all()
        if not rows:
            break
        after = rows[-1].id
        documents: dict[int, SearchDocument | None] = {}
        for row in rows:
            if row.personal_data_deleted_at is not None:
                report.personal_data_deleted += 1
                documents[row.id] = None
                continue
            documents[row.id] = _document(store, read, row.id, row.sha256)
            if documents[row.id] is None:
                report.unreadable += 1
        report.indexed += _write(store, documents)
        report.last_mail = after
        if progress is not None:
            progress(report)
    search.compact(store.engine)
    return report


def _document(store: Store, read: Reader, mail_id: int, sha256: str) -> SearchDocument | None:
    try:
        raw = store.raw_mail.get(sha256)
    except OSError as error:
        log.warning("mail %d not indexed: its raw bytes are gone (%s)", mail_id, error)
        return None
    try:
        return read(raw)
    except Exception:  # one mail that cannot be read must not stop the rest
        log.exception("mail %d not indexed: it could not be read", mail_id)
        return None


def _write(store: Store, documents: dict[int, SearchDocument | None]) -> int:
    """Replace the batch's rows; a mail deleted meanwhile, or whose personal data was
    deleted meanwhile, gets none. Returns how many rows were written."""
    written = 0
    with store.session() as session, session.begin():
        search.forget(session, documents)
        still = session.execute(
            select(Mail.id, Mail.ticket_id).where(
                Mail.id.in_(list(documents)), Mail.personal_data_deleted_at.is_(None)
            )
        ).all()
        for mail_id, ticket_id in still:
            document = documents[mail_id]
            if document is not None:
                search.index_mail(session, mail_id, ticket_id, document)
                written += 1
    return written
