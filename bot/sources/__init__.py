"""Where mail comes from: the one small interface the service loop reads mail through.

This module holds the interface and nothing else: `SourceMail` (the bytes of one mail and
where they came from), `MailSource` (the protocol every source implements), the errors a
source raises, the settings values they share (`Backoff`, `category_folder`), and
`open_source`, which turns the `MIKROBOT_SOURCE` setting into a source.
The implementations live beside it — `maildir.py` (the embedded default, no server) and
`imap.py` (imapclient) — and know nothing of triage, the store or replies.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from bot.sources.imap_endpoint import parse_imap_url

DoneAction = Literal["move", "flag"]
"""What `mark_done` does: move the mail to its category folder, or flag it where it is."""

KnownKeys = Callable[[list[str]], set[str]]
"""Given source keys, returns those the caller already has (so they are not fetched again)."""

TokenProvider = Callable[[], str]
"""Returns a fresh OAuth2 access token; called at every (re)login, since tokens expire."""


@dataclass(frozen=True)
class SourceMail:
    """One mail as its source delivered it: the exact bytes and where to find it again."""

    key: str
    """Stable and unique per mailbox message: `imap:<host>/<folder>:<uidvalidity>:<uid>` or
    `maildir:<path>:<maildir key>`. A changed UIDVALIDITY gives the same mail a new key."""
    raw: bytes = field(repr=False)
    folder: str
    uidvalidity: int | None
    uid: int | None
    received_at: datetime | None
    """IMAP INTERNALDATE or the Maildir file's mtime, in UTC."""

    def __post_init__(self) -> None:
        if self.received_at is not None and self.received_at.utcoffset() != timedelta(0):
            raise ValueError(f"received_at must be timezone-aware UTC, got {self.received_at!r}")


@dataclass(frozen=True)
class Placement:
    """Where `mark_done` left a mail: the folder (`/` between levels; the inbox folder in
    flag mode) and, on IMAP, its UIDVALIDITY and UID there (None when the server did not
    say: COPYUID needs UIDPLUS). Recorded so its copy can be deleted later (issue #11)."""

    folder: str
    uidvalidity: int | None = None
    uid: int | None = None


@dataclass(frozen=True)
class Watermark:
    """IMAP: every waiting mail of the inbox folder up to `uid`, under `uidvalidity`, was
    handed out by `fetch_new` or held by its caller already.

    Once the caller has queued what it was handed, it may keep the mark (the fetcher keeps
    it in the store) and pass it back as `fetch_new(after=…)`, which then asks the server
    for `UID uid+1:*` instead of listing every waiting mail. A mark of another UIDVALIDITY
    counts as none: the folder is listed in full, and every mail is new under a new key.
    """

    uidvalidity: int
    uid: int


@dataclass(frozen=True)
class MailboxCopy:
    """A mail's copy in the mailbox to delete: where it is, as far as the store knows."""

    key: str
    """The source key it was fetched under (it names the Maildir file's key)."""
    folder: str
    """The folder it is in now (`/` between levels): where it was moved, or still the inbox."""
    uidvalidity: int | None
    uid: int | None
    """IMAP: its UID in `folder` (None: looked up by Message-ID and size)."""
    message_id: str | None
    size: int | None


@dataclass(frozen=True)
class Backoff:
    """How IMAP reconnects are paced: `initial` seconds, doubling up to `cap` between tries."""

    initial: float = 1.0
    cap: float = 60.0
    give_up_after: float | None = None
    """Seconds of failing before `SourceUnavailableError`; None rides out any outage."""


_CATEGORY = re.compile(r"[A-Za-z0-9_-]+")


def category_folder(folder_template: str, category: str) -> str:
    """The folder a done mail of `category` goes to, levels separated by `/`.

    Categories are simple names (letters, digits, `_`, `-`), so a category can never reach
    outside the template's folder or smuggle in a server's hierarchy separator.
    """
    if not _CATEGORY.fullmatch(category):
        raise ValueError(f"category {category!r} cannot name a folder")
    return folder_template.format(category=category).strip("/")


class SourceError(Exception):
    """The source cannot do what was asked; the message says what to fix."""


class SourceAuthError(SourceError):
    """The server refused the login: a wrong password or token is not retried."""


class SourceUnavailableError(SourceError):
    """The server stayed unreachable past the back-off deadline (`Backoff.give_up_after`)."""


class SourceStoppedError(SourceError):
    """`stop()` was called while the source waited to reconnect."""


@runtime_checkable
class MailSource(Protocol):
    """A mailbox the bot reads: hand out waiting mail, put it away once its ticket is stored.

    A source is used from one thread. Only `stop()` may be called from another thread or a
    signal handler. Transient failures (lost connection, timeout, server restart) are retried
    inside each call; what escapes is a `SourceError`.
    """

    def fetch_new(
        self, limit: int = 100, known: KnownKeys | None = None, after: Watermark | None = None
    ) -> list[SourceMail]:
        """Mail still waiting in the inbox folder, oldest first, at most `limit`.

        The mailbox itself is the to-do list: a mail stays "new" until `mark_done` has put it
        away, so a crash between fetch and commit loses nothing — the mail comes back.
        `known` names the waiting mails the caller holds already (queued, not yet put
        away): they are neither downloaded again nor counted against `limit`. `after`
        (IMAP) skips the mails up to a `Watermark` the caller kept from `fetched_through`:
        it holds them all already, so they are not even listed.
        """
        ...

    @property
    def fetched_through(self) -> Watermark | None:
        """After `fetch_new`: the mark up to which every waiting mail was handed out or held
        (None where the source has no UIDs, as Maildir)."""
        ...

    def mark_done(self, mail: SourceMail, category: str) -> Placement | None:
        """Move the mail to its category folder or flag it (as configured); never delete it.

        Called only after the mail's ticket is committed, which is why it must be idempotent:
        a retry after a crash may find the mail already moved, and that is not an error.
        Returns where the mail is now, or None when it was not there to move.
        """
        ...

    def mark_done_many(self, done: Sequence[tuple[SourceMail, str]]) -> list[Placement | None]:
        """`mark_done` for many (mail, category) pairs at once, in one command per target
        folder where the source can (IMAP: one UID MOVE per folder, not one per mail).

        The same guarantees: called after every one of these mails' tickets committed, and
        idempotent. Returns each mail's placement in the order given.
        """
        ...

    def delete_copy(self, copy: MailboxCopy) -> bool:
        """Delete this one mail from the mailbox for good (its personal data, issue #11).

        IMAP: flag it `\\Deleted` and UID EXPUNGE that UID only (never a plain EXPUNGE,
        which would remove other people's deleted mail). False when it is not there (any
        more); raises when it could not be deleted, so the caller tries again later.
        """
        ...

    def wait_for_mail(self, timeout: float) -> bool:
        """Block until mail may have arrived, at most `timeout` seconds.

        Lets the loop sleep without hammering the server: IMAP IDLE where the server has it,
        else a poll every `poll_interval`. True means something arrived; False means the time
        ran out or `stop()` was called. Calling `fetch_new` after every return is always correct.
        """
        ...

    def stop(self) -> None:
        """Ask a `wait_for_mail` (or a reconnect back-off) in progress to return soon (~1 s).

        Exists so a signal handler can end the service cleanly: it only sets a flag, so it is
        safe from another thread or a signal handler.
        """
        ...

    def close(self) -> None:
        """Release the connection or files; implies `stop()`. Call once the loop has ended."""
        ...


def open_source(
    url_or_path: str,
    *,
    done_action: DoneAction = "move",
    folder_template: str = "Triaged/{category}",
    poll_interval: float = 30.0,
    oauth2_token: str | TokenProvider | None = None,
    idle: bool = True,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 60.0,
    backoff: Backoff | None = None,
) -> MailSource:
    """Open the source named by the `MIKROBOT_SOURCE` setting.

    `imaps://user:password@host[:993]/Folder` is IMAP over implicit TLS; `imap://…` is plain
    IMAP on port 143, upgraded with STARTTLS when the URL ends in `?starttls=1`. User,
    password and folder are percent-decoded; the folder defaults to `INBOX`, and `/` in a
    folder name is the hierarchy separator (translated to the server's). With `oauth2_token`
    the login is XOAUTH2 and the URL needs no password. Anything else is a Maildir path.

    `folder_template` names the folder a done mail moves to (`/` separates levels);
    `done_action="flag"` leaves it in place, flagged instead. IMAP connects lazily: the first
    call logs in, and a wrong password raises `SourceAuthError` from there.
    """
    if done_action not in ("move", "flag"):
        raise ValueError(f"done_action must be 'move' or 'flag', not {done_action!r}")
    if "{category}" not in folder_template:
        raise ValueError(f"folder_template needs a '{{category}}' field: {folder_template!r}")
    if poll_interval <= 0:
        raise ValueError(f"poll_interval must be positive, not {poll_interval!r}")

    endpoint = parse_imap_url(url_or_path)
    if endpoint is None:
        from bot.sources.maildir import MaildirSource

        return MaildirSource(
            Path(url_or_path).expanduser(),
            done_action=done_action,
            folder_template=folder_template,
            poll_interval=poll_interval,
        )

    from bot.sources.imap import ImapSource

    if oauth2_token is None and endpoint.password is None:
        raise ValueError(f"{endpoint}: the URL has no password and no OAuth2 token was given")
    endpoint = replace(
        endpoint, oauth2_token=oauth2_token, ssl_context=ssl_context, timeout=timeout
    )
    return ImapSource(
        endpoint,
        done_action=done_action,
        folder_template=folder_template,
        poll_interval=poll_interval,
        idle=idle,
        backoff=backoff or Backoff(),
    )


__all__ = [
    "Backoff",
    "DoneAction",
    "MailSource",
    "MailboxCopy",
    "Placement",
    "SourceAuthError",
    "SourceError",
    "SourceMail",
    "SourceStoppedError",
    "SourceUnavailableError",
    "TokenProvider",
    "Watermark",
    "category_folder",
    "open_source",
]
