"""Who fetches a mailbox: one process at a time, and another takes over when it dies.

On PostgreSQL the fetcher holds a session-level advisory lock on a connection of its own:
the database releases it the moment that session ends — a crash, a SIGKILL, a lost
machine once its TCP connection is gone — and a standby `mikrobot run` that retries
every second takes over. On SQLite (one machine) an `flock` on a file beside the
database does the same for processes on that machine; the kernel drops it with the process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)


class MailboxLock(Protocol):
    def acquire(self) -> bool:
        """Try once, without waiting; True when this process now holds (or held) the lock."""
        ...

    def held(self) -> bool:
        """Whether the lock is still ours (a dropped database session loses it)."""
        ...

    def release(self) -> None: ...


def lock_key(mailbox: str) -> int:
    """A stable positive 63-bit key for `mailbox` (PostgreSQL advisory locks take a bigint)."""
    digest = hashlib.sha256(f"mikrobot-fetcher:{mailbox}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


class PostgresMailboxLock:
    """`pg_try_advisory_lock` on a dedicated connection, kept open while the lock is held."""

    def __init__(self, engine: Engine, mailbox: str) -> None:
        self._engine = engine
        self._key = lock_key(mailbox)
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        if self._connection is not None:
            return self.held()
        connection = self._engine.connect()
        try:
            got = bool(
                connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
                ).scalar()
            )
            connection.commit()  # the lock is session-level: it outlives the transaction
        except DBAPIError:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def held(self) -> bool:
        """A session-level lock lives as long as its session: a live session still holds it."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
        except DBAPIError as error:
            log.warning("lost the database session holding the fetcher lock: %s", error)
            self._drop()
            return False
        return True

    def release(self) -> None:
        if self._connection is None:
            return
        with contextlib.suppress(DBAPIError):
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            self._connection.commit()
        self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(DBAPIError):
                connection.close()


class FileMailboxLock:
    """An exclusive `flock` on `<folder>/fetcher-<key>.lock`, for SQLite deployments."""

    def __init__(self, folder: Path, mailbox: str) -> None:
        self.path = folder / f"fetcher-{lock_key(mailbox) & 0xFFFFFFFF:08x}.lock"
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        self._file = handle
        return True

    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


def mailbox_lock(engine: Engine, mailbox: str, lock_dir: Path) -> MailboxLock:
    if engine.dialect.name == "postgresql":
        return PostgresMailboxLock(engine, mailbox)
    return FileMailboxLock(lock_dir, mailbox)
