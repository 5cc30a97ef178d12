"""Rewriting the database after personal details were cleared, so no copy stays behind.

Used by the purge of closed tickets and by the deletion of personal data sent by mail.
SQLite: VACUUM rewrites the file (with `secure_delete` on during the clearing, the old
values are not left in free pages). PostgreSQL: VACUUM frees the dead rows for reuse;
their bytes stay in the data files until overwritten, and in WAL archives and backups
for their own retention.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text

from bot.store.repository import Store


def vacuum(store: Store, tables: Sequence[str]) -> None:
    """VACUUM the whole SQLite file, or `tables` on PostgreSQL (outside any transaction)."""
    if store.engine.dialect.name == "sqlite":
        raw = store.engine.raw_connection()
        try:  # outside any transaction: the engine's connections run in autocommit mode
            raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]
        finally:
            raw.close()
        return
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM ANALYZE {', '.join(tables)}"))
