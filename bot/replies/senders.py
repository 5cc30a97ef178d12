"""Choosing how replies leave: `.eml` files in a folder, or SMTP (`bot/replies/smtp.py`).

`FileSender` is the embedded default and what the tests and `make demo` read;
`sender_from_url` turns the `MIKROBOT_SMTP` setting into a `Sender`. The sender contract
and its error tree live in `bot/replies/delivery.py` and are re-exported here.
"""

from __future__ import annotations

import hashlib
import logging
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.durable import write_atomically
from bot.replies.delivery import (
    DeliveryError,
    PermanentDeliveryError,
    Sender,
    TemporaryDeliveryError,
)
from bot.replies.smtp import SmtpSender, SmtpTarget, without_password

log = logging.getLogger(__name__)

__all__ = [
    "DeliveryError",
    "FileSender",
    "PermanentDeliveryError",
    "Sender",
    "SmtpSender",
    "SmtpTarget",
    "TemporaryDeliveryError",
    "eml_name",
    "sender_from_url",
]


# --- files --------------------------------------------------------------------------

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._@+=-]")


def eml_name(message_id: str) -> str:
    """A file name for a Message-ID: the id itself when it is safe, else cleaned plus a hash.

    The hash keeps two ids that clean to the same text from sharing a file (and one of
    them from being skipped as "already sent").
    """
    bare = message_id.strip().strip("<>")
    safe = _SAFE_NAME.sub("_", bare).lstrip(".")[:150]
    if safe != bare or not safe:
        digest = hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        safe = f"{safe}-{digest}" if safe else digest
    return f"{safe}.eml"


class FileSender:
    """Writes each message as `<Message-ID>.eml` (the bytes SMTP would carry) into a folder.

    Atomic (a temp file in the same folder, then `os.replace`), so a reader never sees a
    half-written reply; idempotent, so the same Message-ID twice leaves one file.
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"FileSender({str(self.folder)!r})"

    def path_for(self, message: EmailMessage) -> Path:
        message_id = message.get("Message-ID")
        if not message_id:
            raise PermanentDeliveryError("the message has no Message-ID")
        return self.folder / eml_name(str(message_id))

    def send(self, message: EmailMessage) -> None:
        target = self.path_for(message)
        if target.exists():
            log.info("reply %s already in %s: not written again", target.name, self.folder)
            return
        try:
            write_atomically(target, message.as_bytes(policy=policy.SMTP))
        except OSError as error:
            raise TemporaryDeliveryError(f"cannot write {target}: {error}") from error
        log.info("reply written to %s", target)

    def delivered(self, message_id: str) -> bool | None:
        """The folder answers for itself: the reply is there or it is not."""
        return (self.folder / eml_name(message_id)).exists()

    def stop(self) -> None:
        """Writing a file does not wait: nothing to interrupt."""

    def close(self) -> None:
        """Nothing to release."""


def sender_from_url(url_or_path: str | Path, **smtp_options: Any) -> Sender:
    """`smtp://…` or `smtps://…` → `SmtpSender`; a folder path (or `file://`) → `FileSender`.

    `smtp_options` are `SmtpSender`'s keyword arguments; a folder needs none of them.
    """
    if isinstance(url_or_path, Path):
        return FileSender(url_or_path)
    scheme = urlsplit(url_or_path).scheme.lower()
    if scheme in ("smtp", "smtps"):
        return SmtpSender(url_or_path, **smtp_options)
    if scheme == "file":
        return FileSender(unquote(urlsplit(url_or_path).path))
    if "://" in url_or_path:
        raise ValueError(f"unsupported sender URL: {without_password(url_or_path)}")
    return FileSender(url_or_path)
