"""The migrations build the schema the SQLAlchemy models describe, on both databases:
a column added in a model but not in a migration (or the other way) fails here."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.store import Store
from bot.store.models import Base

SEARCH_INDEX_ONLY = ("mail_texts_fts", "search_vector", "ix_mail_texts_search")
"""The full-text index (`bot.store.search`) is one database's own: SQLite's FTS5 tables,
PostgreSQL's generated tsvector and its GIN index. The models cannot declare them for both."""


def test_the_migrations_make_the_schema_the_models_describe(store: Store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        outbox = {c["name"]: c for c in sa.inspect(connection).get_columns("outbox")}
    assert [d for d in differences if not any(s in repr(d) for s in SEARCH_INDEX_ONLY)] == []
    assert outbox["mail_id"]["nullable"] is True  # an assignment notice answers no mail
