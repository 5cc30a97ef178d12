"""An IMAP folder as a mail source: fetch what waits, put away what is done, wait for more.

Its single job is the `MailSource` contract in IMAP terms; keeping the connection alive
is `imap_connection.py`'s. What waits is what is still in the folder (or, in flag mode,
what lacks the `$MikrobotDone` keyword), fetched with `BODY.PEEK[]` so nothing is marked
read by looking. Given the caller's `Watermark` (the highest UID it has queued), a fetch
lists only `UID n+1:*`: a backlog of N mails costs N/limit small searches, not N/limit
searches of the whole folder. Done mail is moved in batches, one UID MOVE (RFC 6851) per
target folder, or COPY + `\\Deleted` + UID EXPUNGE of exactly those UIDs (UIDPLUS) where
MOVE is missing: on Maildir storage Dovecot pays for each command in proportion to the
folder's size, so one command per mail made a backlog cost more per mail the larger it
was. Where each mail went (COPYUID) is returned for the store. The only other expunge is
`delete_copy`: one UID, when a mail's personal data is deleted (issue #11).
CONDSTORE/QRESYNC are not used: with the watermark a fetch is one `UID SEARCH` of the
UIDs above it, which a MODSEQ would not make cheaper.
Waiting uses IDLE (RFC 2177) in one-second slices, so `stop()` is honoured within about a
second, re-issued every 25 minutes; without IDLE it polls every `poll_interval`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from imapclient import DELETED, SEEN
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from bot.sources import (
    Backoff,
    DoneAction,
    KnownKeys,
    MailboxCopy,
    Placement,
    SourceError,
    SourceMail,
    SourceStoppedError,
    Watermark,
    category_folder,
)
from bot.sources.imap_connection import ClientFactory, ImapSession, create_client
from bot.sources.imap_endpoint import ImapEndpoint
from bot.sources.stopping import StopFlag

log = logging.getLogger(__name__)

DONE_KEYWORD = "$MikrobotDone"
"""Set (with `\\Seen`) on done mail in flag mode; mail without it is still waiting."""
FETCH_BATCH = 20
MOVE_BATCH = 500
"""UIDs per MOVE (or COPY/EXPUNGE) command: the command line stays a few kB."""
IDLE_SLICE_SECONDS = 1.0
IDLE_RENEW_SECONDS = 25 * 60
"""RFC 2177: servers may drop an IDLE after 30 minutes, so it is renewed well before."""


class ImapSource:
    """`MailSource` over one IMAP folder (see the module docstring)."""

    def __init__(
        self,
        endpoint: ImapEndpoint,
        *,
        done_action: DoneAction = "move",
        folder_template: str = "Triaged/{category}",
        poll_interval: float = 30.0,
        idle: bool = True,
        backoff: Backoff | None = None,
        factory: ClientFactory = create_client,
    ) -> None:
        self._endpoint = endpoint
        self._done_action = done_action
        self._folder_template = folder_template
        self._poll_interval = poll_interval
        self._idle = idle
        self._stop = StopFlag()
        self._session = ImapSession(
            endpoint, backoff=backoff or Backoff(), stop=self._stop, factory=factory
        )
        self._high_water: tuple[int | None, int] = (None, 0)
        """(UIDVALIDITY, highest UID handed out): mail above it is what "arrived" means."""
        self._fetched_through: Watermark | None = None
        self._folders: set[str] = set()
        self._warned_no_uidplus = False

    def __repr__(self) -> str:
        return f"ImapSource({str(self._endpoint)!r}, done_action={self._done_action!r})"

    def fetch_new(
        self, limit: int = 100, known: KnownKeys | None = None, after: Watermark | None = None
    ) -> list[SourceMail]:
        if limit <= 0:
            return []
        return self._session.run(
            lambda client: self._fetch(client, limit, known, after), "fetching mail"
        )

    @property
    def fetched_through(self) -> Watermark | None:
        return self._fetched_through

    def mark_done(self, mail: SourceMail, category: str) -> Placement | None:
        return self.mark_done_many([(mail, category)])[0]

    def mark_done_many(self, done: Sequence[tuple[SourceMail, str]]) -> list[Placement | None]:
        """One UID SEARCH for the batch, then one UID MOVE per target folder."""
        wanted = [
            _Done(mail.key, *self._own(mail), category_folder(self._folder_template, category))
            for mail, category in done
        ]
        placed: list[Placement | None] = []
        for start in range(0, len(wanted), MOVE_BATCH):
            batch = wanted[start : start + MOVE_BATCH]
            placed += self._session.run(partial(self._mark, batch=batch), "marking done")
        return placed

    def delete_copy(self, copy: MailboxCopy) -> bool:
        """`\\Deleted` and UID EXPUNGE of the copy's UID in its folder (found by Message-ID
        and size when the UID is not known); the inbox folder is selected again after."""
        return self._session.run(lambda client: self._delete_copy(client, copy), "deleting mail")

    def wait_for_mail(self, timeout: float) -> bool:
        """IDLE (or poll) until mail above the high-water mark arrives; True after a reconnect.

        Mail already waiting above the mark — it arrived after the last fetch, or lay beyond
        its `limit` — returns True at once. A reconnect also returns True, since mail may
        have arrived while the connection was down. `stop()` during a reconnect back-off
        returns False, like any other stop.
        """
        if self._stop.is_set():
            return False
        deadline = time.monotonic() + timeout
        first_generation: list[int] = []

        def wait(client: Any) -> bool:
            if first_generation and first_generation[0] != self._session.generation:
                return True
            first_generation[:] = [self._session.generation]
            if self._waiting(client, above=self._above()):
                return True
            if self._idle and "IDLE" in self._session.capabilities:
                return self._idle_until(client, deadline)
            return self._poll_until(client, deadline)

        try:
            return self._session.run(wait, "waiting for mail")
        except SourceStoppedError:
            return False

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self._session.close()

    def _fetch(
        self, client: Any, limit: int, known: KnownKeys | None, after: Watermark | None
    ) -> list[SourceMail]:
        uidvalidity = self._session.uidvalidity
        floor = after.uid if after is not None and after.uidvalidity == uidvalidity else 0
        if after is not None and after.uidvalidity != uidvalidity:
            log.info("IMAP %s: UIDVALIDITY is %s, not the mark's %d: listing the whole folder",
                     self._endpoint, uidvalidity, after.uidvalidity)  # fmt: skip
        waiting = self._waiting(client, above=floor)
        held_uids: list[int] = []
        if waiting and known is not None:
            keys = {uid: f"{self._key_prefix()}{uidvalidity}:{uid}" for uid in waiting}
            held = known(list(keys.values()))
            held_uids = [uid for uid in waiting if keys[uid] in held]
            waiting = [uid for uid in waiting if keys[uid] not in held]
        uids = waiting[:limit]
        mails: list[SourceMail] = []
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            response = client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE"])
            for uid in batch:
                data = response.get(uid) or {}
                raw = data.get(b"BODY[]")
                if raw is None:  # expunged by someone else since the search
                    continue
                mails.append(
                    SourceMail(
                        key=f"{self._key_prefix()}{uidvalidity}:{uid}",
                        raw=bytes(raw),
                        folder=self._endpoint.folder,
                        uidvalidity=uidvalidity,
                        uid=uid,
                        received_at=_utc(data.get(b"INTERNALDATE")),
                    )
                )
        seen = max([*uids[-1:], *held_uids[-1:], floor])
        if seen:  # what the caller holds counts as seen: no wake-up for it
            self._high_water = (uidvalidity, max(seen, self._above()))
        if uidvalidity is not None:  # beyond `limit`, mail above the last one handed out waits
            through = uids[-1] if len(uids) < len(waiting) else seen
            self._fetched_through = Watermark(uidvalidity, through)
        return mails

    def _waiting(self, client: Any, above: int = 0) -> list[int]:
        """UIDs still to triage, oldest first; only those above `above` when it is set.

        NOOP first: a server answers SEARCH from the session's current view and announces
        mail delivered since only afterwards, so without it the newest mail is missed.
        """
        client.noop()
        criteria: list[str] = ["UNDELETED"]
        if self._done_action == "flag":
            criteria += ["UNKEYWORD", DONE_KEYWORD]
        if above:
            criteria = ["UID", f"{above + 1}:*", *criteria]
        return sorted(uid for uid in map(int, client.search(criteria)) if uid > above)

    def _above(self) -> int:
        uidvalidity, uid = self._high_water
        return uid if uidvalidity == self._session.uidvalidity else 0

    def _mark(self, client: Any, *, batch: list[_Done]) -> list[Placement | None]:
        """Safe to repeat after a lost connection or a crash: a mail already moved is no
        longer in the folder, and is reported as None (nothing to do), as one not found."""
        current = self._session.uidvalidity
        for done in batch:
            if done.uidvalidity != current:
                log.warning("%s: UIDVALIDITY changed; left in place, it returns under a new key",
                            done.key)  # fmt: skip
        uids = sorted({done.uid for done in batch if done.uidvalidity == current})
        found = client.search(["UID", ",".join(map(str, uids)), "UNDELETED"]) if uids else []
        present = set(map(int, found))
        todo = [done for done in batch if done.uidvalidity == current and done.uid in present]
        if len(todo) < len(batch):
            log.debug("%d of %d no longer in the folder; nothing to do for them",
                      len(batch) - len(todo), len(batch))  # fmt: skip
        placed: dict[int, Placement] = {}
        if self._done_action == "flag" and todo:
            client.add_flags(sorted({d.uid for d in todo}), [SEEN, DONE_KEYWORD], silent=True)
            placed = {d.uid: Placement(self._endpoint.folder, current, d.uid) for d in todo}
        elif todo:
            targets: dict[str, list[int]] = {}
            for done in todo:
                targets.setdefault(done.target, []).append(done.uid)
            for target, target_uids in targets.items():
                copied = self._move_to(client, sorted(set(target_uids)), target)
                for uid in target_uids:
                    placed[uid] = Placement(target, *copied.get(uid, (None, None)))
        return [placed.get(done.uid) if done.uidvalidity == current else None for done in batch]

    def _move_to(self, client: Any, uids: list[int], target: str) -> dict[int, tuple[int, int]]:
        folder = self._ensure_folder(client, target)
        try:
            return self._move(client, uids, folder)
        except IMAPClientAbortError:
            raise
        except IMAPClientError as error:
            if "TRYCREATE" not in str(error):
                raise
            self._folders.discard(folder)  # deleted behind our back: create it again
            return self._move(client, uids, self._ensure_folder(client, target))

    def _move(self, client: Any, uids: list[int], folder: str) -> dict[int, tuple[int, int]]:
        """Move these UIDs in one command; returns each one's (UIDVALIDITY, UID) in `folder`
        from COPYUID, where the server sent it."""
        capabilities = self._session.capabilities
        _copyuid(client)  # forget any earlier one
        if "MOVE" in capabilities:
            client.move(uids, folder)  # RFC 6851: COPYUID comes in an untagged OK
            return _copyuid(client)
        client.copy(uids, folder)
        copied = _copyuid(client)  # imaplib files the tagged OK's code with the untagged
        client.add_flags(uids, [DELETED], silent=True)
        if "UIDPLUS" in capabilities:
            client.uid_expunge(uids)
        elif not self._warned_no_uidplus:
            self._warned_no_uidplus = True
            log.warning(
                "IMAP %s has neither MOVE nor UIDPLUS: done mail is copied and left \\Deleted "
                "in %s, since a plain EXPUNGE would also remove other people's deleted mail",
                self._endpoint,
                self._endpoint.folder,
            )
        return copied

    def _delete_copy(self, client: Any, copy: MailboxCopy) -> bool:
        if "UIDPLUS" not in self._session.capabilities:
            raise SourceError(
                f"IMAP {self._endpoint} lacks UIDPLUS: one mail cannot be expunged alone "
                "(a plain EXPUNGE would also remove other people's deleted mail)"
            )
        inbox = self._session.folder_on_server(self._endpoint.folder)
        name = self._session.folder_on_server(copy.folder)
        if name == inbox:
            return self._expunge_copy(client, copy, self._session.uidvalidity)
        if not client.folder_exists(name):
            return False
        selected = client.select_folder(name)
        try:
            return self._expunge_copy(client, copy, int(selected[b"UIDVALIDITY"]))
        finally:
            client.select_folder(inbox)

    def _expunge_copy(self, client: Any, copy: MailboxCopy, uidvalidity: int | None) -> bool:
        """In the selected folder: the copy's UID, or the one mail with its Message-ID and
        size; flagged `\\Deleted` and expunged by UID. False when there is none."""
        if copy.uid is not None and copy.uidvalidity == uidvalidity:
            uids = [int(u) for u in client.search(["UID", str(copy.uid)])]
        elif copy.message_id:
            found = [int(u) for u in client.search(["HEADER", "Message-ID", copy.message_id])]
            sizes = client.fetch(found, ["RFC822.SIZE"]) if found else {}
            uids = [
                u
                for u in found
                if copy.size is None or sizes.get(u, {}).get(b"RFC822.SIZE") == copy.size
            ]
            if copy.size is None and len(uids) > 1:
                raise SourceError(f"{copy.key}: {len(uids)} mails with its Message-ID in "
                                  f"{copy.folder}; none deleted")  # fmt: skip
        else:
            uids = []
        if not uids:
            return False
        client.add_flags(uids, [DELETED], silent=True)
        client.uid_expunge(uids)
        if client.search(["UID", ",".join(map(str, uids))]):
            raise SourceError(f"{copy.key}: still in {copy.folder} after UID EXPUNGE")
        return True

    def _ensure_folder(self, client: Any, folder: str) -> str:
        """The category folder's name on the server, created (and subscribed) when missing."""
        name = self._session.folder_on_server(folder)
        if name in self._folders:
            return name
        if not client.folder_exists(name):
            try:
                client.create_folder(name)
            except IMAPClientAbortError:
                raise
            except IMAPClientError:
                if not client.folder_exists(name):  # not a race with another client: real
                    raise
            else:
                log.info("IMAP %s: created folder %s", self._endpoint, name)
            try:
                client.subscribe_folder(name)  # so mail clients show it
            except IMAPClientAbortError:
                raise
            except IMAPClientError as error:
                log.debug("subscribing to %s failed: %s", name, error)
        self._folders.add(name)
        return name

    def _idle_until(self, client: Any, deadline: float) -> bool:
        while not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._idle_once(client, min(remaining, IDLE_RENEW_SECONDS)):
                return True
        return False

    def _idle_once(self, client: Any, seconds: float) -> bool:
        """One IDLE command: True when the server announced new mail (EXISTS)."""
        client.idle()
        end = time.monotonic() + seconds
        arrived = False
        while not arrived and not self._stop.is_set():
            left = end - time.monotonic()
            if left <= 0:
                break
            period = min(IDLE_SLICE_SECONDS, left)
            started = time.monotonic()
            responses = client.idle_check(timeout=period)
            if any(_is(response, b"BYE", 0) for response in responses):
                raise IMAPClientAbortError("server said BYE during IDLE")
            arrived = any(_is(response, b"EXISTS", 1) for response in responses)
            if not responses and time.monotonic() - started < period / 2:
                break  # readable yet empty: likely closed; DONE below tells
        _text, late = client.idle_done()
        return arrived or any(_is(response, b"EXISTS", 1) for response in late)

    def _poll_until(self, client: Any, deadline: float) -> bool:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stop.sleep(min(self._poll_interval, remaining)):
                return False
            if self._waiting(client, above=self._above()):
                return True

    def _key_prefix(self) -> str:
        return f"imap:{self._endpoint.host}/{self._endpoint.folder}:"

    def _own(self, mail: SourceMail) -> tuple[int, int]:
        if (
            not mail.key.startswith(self._key_prefix())
            or mail.uid is None
            or mail.uidvalidity is None
        ):
            raise ValueError(f"{mail.key} did not come from {self._endpoint}")
        return mail.uid, mail.uidvalidity


@dataclass(frozen=True)
class _Done:
    """One mail to put away: its key (for the log), where it is, and its folder."""

    key: str
    uid: int
    uidvalidity: int
    target: str


def _copyuid(client: Any) -> dict[int, tuple[int, int]]:
    """Source UID → (UIDVALIDITY, UID) in the target for what a MOVE or COPY just made
    (RFC 4315 COPYUID), taken out of imaplib's untagged responses; empty when none came.
    A MOVE of many may send several COPYUIDs (RFC 6851 allows one per batch of mails)."""
    responses = getattr(getattr(client, "_imap", None), "untagged_responses", None)
    if not isinstance(responses, dict):
        return {}
    copied: dict[int, tuple[int, int]] = {}
    for data in responses.pop("COPYUID", None) or []:
        parts = (data.decode("ascii", "replace") if isinstance(data, bytes) else str(data)).split()
        if len(parts) < 3 or not parts[0].isdigit():
            continue
        try:
            sources, targets = _uids_of(parts[1]), _uids_of(parts[2])
        except ValueError:
            continue
        if len(sources) == len(targets):
            copied.update((s, (int(parts[0]), t)) for s, t in zip(sources, targets, strict=True))
    return copied


def _uids_of(sequence_set: str) -> list[int]:
    """The UIDs of an IMAP sequence set (`4,7:9`), in its order; ranges ascend either way
    round (RFC 3501: `9:7` is `7:9`)."""
    uids: list[int] = []
    for part in sequence_set.split(","):
        first, _, last = part.partition(":")
        low, high = sorted((int(first), int(last or first)))
        if high - low >= MOVE_BATCH:  # more than was moved: not an answer to our command
            raise ValueError(f"COPYUID range {part} is larger than a batch")
        uids.extend(range(low, high + 1))
    return uids


def _is(response: Any, word: bytes, position: int) -> bool:
    return isinstance(response, tuple) and len(response) > position and response[position] == word


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC)
