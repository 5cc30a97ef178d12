"""A local Maildir as a mail source: the embedded default, which needs no server.

Its single job is the `MailSource` contract over a Maildir on disk. The inbox is the
Maildir's `new/` and `cur/`; category folders are Maildir++ subfolders made with the
stdlib's `mailbox.Maildir.add_folder` (`Triaged/new_application` becomes
`.Triaged.new_application`), so Dovecot or any Maildir++ reader shows them as folders.
Files are only ever renamed, never rewritten, and deleted only by `delete_copy`: one
mail's file, when a caseworker or the retention rule deletes its personal data.

`done_action="flag"` renames the file into `cur/` with the Maildir `S` (seen) flag and
later fetches skip files that carry it. Maildir has no portable custom keywords, so a
mail a person has already opened in a mail client (which also sets `S`) counts as done
in that mode; use "move" when people read the same Maildir.
"""

from __future__ import annotations

import logging
import mailbox
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.sources import (
    DoneAction,
    KnownKeys,
    MailboxCopy,
    Placement,
    SourceError,
    SourceMail,
    Watermark,
    category_folder,
)
from bot.sources.stopping import StopFlag

log = logging.getLogger(__name__)

INBOX = "INBOX"
DONE_FLAG = "S"


@dataclass(frozen=True)
class _Entry:
    """One message file as found by a directory scan."""

    key: str
    path: Path
    subdir: str
    flags: str
    mtime_ns: int


class MaildirSource:
    """`MailSource` over a Maildir directory (see the module docstring for "flag")."""

    def __init__(
        self,
        path: Path,
        *,
        done_action: DoneAction = "move",
        folder_template: str = "Triaged/{category}",
        poll_interval: float = 30.0,
        create: bool = True,
    ) -> None:
        self._path = path.absolute()
        existed = self._path.exists()
        self._maildir = mailbox.Maildir(self._path, create=create)
        if not existed:
            log.info("created Maildir %s", self._path)
        missing = [sub for sub in ("new", "cur", "tmp") if not (self._path / sub).is_dir()]
        if missing:
            raise SourceError(f"{self._path} is not a Maildir: no {', '.join(missing)}/ in it")
        self._done_action = done_action
        self._folder_template = folder_template
        self._poll_interval = poll_interval
        self._stop = StopFlag()
        self._known: set[str] = set()
        """Keys the last `fetch_new` handed out: `wait_for_mail` looks for any others."""

    def __repr__(self) -> str:
        return f"MaildirSource({str(self._path)!r}, done_action={self._done_action!r})"

    def fetch_new(
        self, limit: int = 100, known: KnownKeys | None = None, after: Watermark | None = None
    ) -> list[SourceMail]:
        """`after` is ignored: Maildir keys have no order to keep a mark in."""
        entries = [entry for entry in self._scan() if not self._is_done(entry)]
        entries.sort(key=lambda entry: (entry.mtime_ns, entry.key))
        self._known = set()
        if entries and known is not None:
            held = known([self._source_key(entry.key) for entry in entries])
            # What the caller holds counts as seen: no wake-up for it (as IMAP's high water).
            self._known = {e.key for e in entries if self._source_key(e.key) in held}
            entries = [entry for entry in entries if self._source_key(entry.key) not in held]
        mails: list[SourceMail] = []
        for entry in entries[: max(limit, 0)]:
            try:
                raw = entry.path.read_bytes()
            except FileNotFoundError:  # moved by someone else since the scan
                continue
            self._known.add(entry.key)
            mails.append(
                SourceMail(
                    key=self._source_key(entry.key),
                    raw=raw,
                    folder=INBOX,
                    uidvalidity=None,
                    uid=None,
                    received_at=datetime.fromtimestamp(entry.mtime_ns / 1e9, UTC),
                )
            )
        return mails

    def _source_key(self, maildir_key: str) -> str:
        return f"maildir:{self._path}:{maildir_key}"

    @property
    def fetched_through(self) -> Watermark | None:
        return None

    def mark_done(self, mail: SourceMail, category: str) -> Placement | None:
        return self.mark_done_many([(mail, category)])[0]

    def mark_done_many(self, done: Sequence[tuple[SourceMail, str]]) -> list[Placement | None]:
        """One scan of the inbox for the whole batch, then one rename per mail."""
        keys = [self._maildir_key(mail) for mail, _category in done]  # all checked first
        targets = [category_folder(self._folder_template, category) for _mail, category in done]
        wanted = set(keys)
        entries = {entry.key: entry for entry in self._scan() if entry.key in wanted}
        return [
            self._put_away(mail, destination, entries.pop(key, None))
            for key, destination, (mail, _category) in zip(keys, targets, done, strict=True)
        ]

    def _put_away(
        self, mail: SourceMail, destination: str, entry: _Entry | None
    ) -> Placement | None:
        folder_name = destination.replace("/", ".")
        if entry is None:
            log.debug("%s is no longer in the inbox; nothing to do", mail.key)
            return None
        if self._done_action == "flag":
            self._flag(entry)
            return Placement(INBOX)
        self._maildir.add_folder(folder_name)  # Maildir++: `.Triaged.x`, made on first use
        folder = self._path / f".{folder_name}"
        target = folder / entry.subdir / entry.path.name
        if target.exists():
            raise SourceError(f"{target} exists already; {entry.path} left in place")
        os.rename(entry.path, target)
        log.debug("moved %s to %s", mail.key, folder)
        return Placement(destination)

    def delete_copy(self, copy: MailboxCopy) -> bool:
        """Unlink the mail's file (found by its Maildir key: flags may have renamed it) in
        `copy.folder`, and sync the directory so the deletion survives a crash."""
        key = self._maildir_key_of(copy.key)
        folder = self._folder_path(copy.folder)
        if not folder.is_dir():
            return False
        found = False
        for entry in self._scan(folder):
            if entry.key == key:
                entry.path.unlink(missing_ok=True)
                _sync_directory(entry.path.parent)
                found = True
        return found

    def _folder_path(self, folder: str) -> Path:
        if folder == INBOX:
            return self._path
        name = folder.strip("/").replace("/", ".")
        if not name or name.startswith(".") or ".." in name or os.sep in name:
            raise SourceError(f"{folder!r} is not a folder of {self._path}")
        return self._path / f".{name}"

    def wait_for_mail(self, timeout: float) -> bool:
        """Polls `new/` and `cur/` every `poll_interval` for keys not handed out yet."""
        deadline = time.monotonic() + timeout
        while not self._stop.is_set():
            if self._has_arrivals():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stop.sleep(min(self._poll_interval, remaining)):
                return False
        return False

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self._maildir.close()

    def _scan(self, folder: Path | None = None) -> list[_Entry]:
        colon = self._maildir.colon
        entries: list[_Entry] = []
        for subdir in ("new", "cur"):
            with os.scandir((folder or self._path) / subdir) as found:
                for item in found:
                    if item.name.startswith("."):
                        continue
                    try:
                        if not item.is_file():
                            continue
                        mtime_ns = item.stat().st_mtime_ns
                    except FileNotFoundError:
                        continue
                    key, _, info = item.name.partition(colon)
                    flags = info[2:] if info.startswith("2,") else ""
                    entries.append(_Entry(key, Path(item.path), subdir, flags, mtime_ns))
        return entries

    def _is_done(self, entry: _Entry) -> bool:
        return self._done_action == "flag" and DONE_FLAG in entry.flags

    def _has_arrivals(self) -> bool:
        return any(
            entry.key not in self._known and not self._is_done(entry) for entry in self._scan()
        )

    def _flag(self, entry: _Entry) -> None:
        """Moves the file to `cur/` with `S` added: the Maildir way of marking it seen."""
        if entry.subdir == "cur" and DONE_FLAG in entry.flags:
            return
        flags = "".join(sorted(set(entry.flags) | {DONE_FLAG}))
        target = self._path / "cur" / f"{entry.key}{self._maildir.colon}2,{flags}"
        os.rename(entry.path, target)

    def _maildir_key(self, mail: SourceMail) -> str:
        return self._maildir_key_of(mail.key)

    def _maildir_key_of(self, source_key: str) -> str:
        prefix = f"maildir:{self._path}:"
        if not source_key.startswith(prefix):
            raise ValueError(f"{source_key} did not come from {self._path}")
        return source_key[len(prefix) :]


def _sync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
