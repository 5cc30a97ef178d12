"""Full-text search: the mails' words (`mail_texts`) and each database's own index on them.

SQLite: an FTS5 table `mail_texts_fts` with `mail_texts` as its external content, kept in
step by triggers (insert, delete, update). PostgreSQL: a generated `tsvector` column
`search_vector` (the `norwegian` configuration; subject and sender weigh most, then the
text, then the attachments) with a GIN index. Mails filed before this revision are indexed
here by their subject and sender, the words the database holds of them: their text and
attachments' text were never stored, and a migration cannot read the raw mail folder.

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-20 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.search import words_of

revision = "0012"
down_revision = "0013"
branch_labels = None
depends_on = None

_BATCH = 2_000
_FTS = (
    "CREATE VIRTUAL TABLE mail_texts_fts USING fts5("
    "subject, sender, body, attachments, content='mail_texts', content_rowid='mail_id', "
    "tokenize='unicode61 remove_diacritics 2')"
)
_COLUMNS = "subject, sender, body, attachments"
_OLD = "old.subject, old.sender, old.body, old.attachments"
_NEW = "new.subject, new.sender, new.body, new.attachments"
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER mail_texts_ai AFTER INSERT ON mail_texts BEGIN "
    f"INSERT INTO mail_texts_fts(rowid, {_COLUMNS}) VALUES (new.mail_id, {_NEW}); END",
    "CREATE TRIGGER mail_texts_ad AFTER DELETE ON mail_texts BEGIN "
    f"INSERT INTO mail_texts_fts(mail_texts_fts, rowid, {_COLUMNS}) "
    f"VALUES ('delete', old.mail_id, {_OLD}); END",
    "CREATE TRIGGER mail_texts_au AFTER UPDATE ON mail_texts BEGIN "
    f"INSERT INTO mail_texts_fts(mail_texts_fts, rowid, {_COLUMNS}) "
    f"VALUES ('delete', old.mail_id, {_OLD}); "
    f"INSERT INTO mail_texts_fts(rowid, {_COLUMNS}) VALUES (new.mail_id, {_NEW}); END",
)
_POSTGRESQL_VECTOR = (
    "ALTER TABLE mail_texts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('norwegian', subject), 'A') || "
    "setweight(to_tsvector('norwegian', sender), 'A') || "
    "setweight(to_tsvector('norwegian', body), 'B') || "
    "setweight(to_tsvector('norwegian', attachments), 'C')) STORED"
)


def upgrade() -> None:
    op.create_table(
        "mail_texts",
        sa.Column("mail_id", sa.Integer(), sa.ForeignKey("mails.id"), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachments", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("mail_id"),
    )
    op.create_index("ix_mail_texts_ticket_id", "mail_texts", ["ticket_id"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(_FTS)
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        op.execute(_POSTGRESQL_VECTOR)
        op.execute("CREATE INDEX ix_mail_texts_search ON mail_texts USING gin (search_vector)")
    _index_existing(bind)


def _index_existing(bind: sa.Connection) -> None:
    """The subject and sender of every mail filed before: not a second delivery, not
    deleted for its personal data, not purged (a purged mail has neither)."""
    mails = sa.table(
        "mails",
        sa.column("id", sa.Integer()),
        sa.column("ticket_id", sa.Integer()),
        sa.column("subject", sa.Text()),
        sa.column("sender", sa.String()),
        sa.column("duplicate_of", sa.Integer()),
        sa.column("personal_data_deleted_at", sa.DateTime()),
    )
    texts = sa.table(
        "mail_texts",
        *(sa.column(name) for name in ("mail_id", "ticket_id", "subject", "sender")),
        sa.column("body"),
        sa.column("attachments"),
    )
    query = (
        sa.select(mails.c.id, mails.c.ticket_id, mails.c.subject, mails.c.sender)
        .where(mails.c.duplicate_of.is_(None), mails.c.personal_data_deleted_at.is_(None))
        .order_by(mails.c.id)
    )
    rows = []
    for mail_id, ticket_id, subject, sender in bind.execute(query):
        if not subject and not sender:
            continue
        rows.append(
            {
                "mail_id": mail_id,
                "ticket_id": ticket_id,
                "subject": words_of(subject or "", 10_000),
                "sender": words_of(sender or "", 1_000),
                "body": "",
                "attachments": "",
            }
        )
        if len(rows) >= _BATCH:
            bind.execute(texts.insert(), rows)
            rows = []
    if rows:
        bind.execute(texts.insert(), rows)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("mail_texts_ai", "mail_texts_ad", "mail_texts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS mail_texts_fts")
    op.drop_index("ix_mail_texts_ticket_id", table_name="mail_texts")
    op.drop_table("mail_texts")
