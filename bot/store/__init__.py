"""The ticket store: SQLAlchemy models, Alembic migrations, raw mail on disk, the repository."""

from bot.store.rawmail import RawMailStore
from bot.store.repository import FiledMail, PendingReply, Store, create_store_engine

__all__ = ["FiledMail", "PendingReply", "RawMailStore", "Store", "create_store_engine"]
