"""What every sender promises: deliver once, or say whether trying again can help."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol


class DeliveryError(Exception):
    """A message was not delivered."""


class TemporaryDeliveryError(DeliveryError):
    """Not delivered now; the same message may be tried again later."""


class PermanentDeliveryError(DeliveryError):
    """Rejected or misconfigured: retrying the same message cannot help."""


class Sender(Protocol):
    """Gets one finished message out of the process.

    `send` returns once the message is handed over (written to disk, accepted by the
    SMTP server). It must be idempotent per Message-ID where the medium allows (a file
    for an id already written is not written again; SMTP cannot promise this across
    processes, so the outbox must not call `send` again after it returned). It raises
    `PermanentDeliveryError` for a rejection that retrying cannot fix (5xx, bad
    credentials, no TLS where TLS is required) and `TemporaryDeliveryError` for
    everything worth trying again (connection lost, 4xx, disk full). `close` releases
    connections; it may be called more than once.
    """

    def send(self, message: EmailMessage) -> None: ...

    def delivered(self, message_id: str) -> bool | None:
        """After a crash mid-send: was the message with this id delivered? True or False when
        the medium can tell (a file is there or not); None when it cannot (SMTP)."""
        ...

    def stop(self) -> None:
        """Give up waiting between retries (safe from a signal handler or another thread):
        the `send` in progress raises `TemporaryDeliveryError`, so the reply stays queued."""
        ...

    def close(self) -> None: ...
