"""An IMAP folder as a mail source: fetch what waits, put away what is done, wait for more.

Its single job is the `MailSource` contract in IMAP terms; keeping the connection alive
is `imap_connection.py`'s. What waits is what is still in the folder (or, in flag mode,
what lacks the `$MikrobotDone` keyword), fetched with `BODY.PEEK[]` so nothing is marked
read by looking. Done mail is moved with MOVE (RFC 6851), or COPY + `\\Deleted` + UID
EXPUNGE of that one UID (UIDPLUS) where MOVE is missing; where it went (COPYUID) is
returned for the store. The only other expunge is `delete_copy`: one UID, when a mail's
personal data is deleted (issue #11).
Waiting uses IDLE (RFC 2177) in one-second slices, so `stop()` is honoured within about a
second, re-issued every 25 minutes; without IDLE it polls every `poll_interval`.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
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
    category_folder,
)
from bot.sources.imap_connection import ClientFactory, ImapSession, create_client
from bot.sources.imap_endpoint import ImapEndpoint
from bot.sources.stopping import StopFlag

log = logging.getLogger(__name__)

DONE_KEYWORD = "$MikrobotDone"
"""Set (with `\\Seen`) on done mail in flag mode; mail without it is still waiting."""
FETCH_BATCH = 20
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
        self._folders: set[str] = set()
        self._warned_no_uidplus = False

    def __repr__(self) -> str:
        return f"ImapSource({str(self._endpoint)!r}, done_action={self._done_action!r})"

    def fetch_new(self, limit: int = 100, known: KnownKeys | None = None) -> list[SourceMail]:
        if limit <= 0:
            return []
        return self._session.run(lambda client: self._fetch(client, limit, known), "fetching mail")

    def mark_done(self, mail: SourceMail, category: str) -> Placement | None:
        uid, uidvalidity = self._own(mail)
        target = category_folder(self._folder_template, category)
        return self._session.run(
            lambda client: self._mark(client, mail.key, uid, uidvalidity, target), "marking done"
        )

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

    def _fetch(self, client: Any, limit: int, known: KnownKeys | None) -> list[SourceMail]:
        uidvalidity = self._session.uidvalidity
        waiting = self._waiting(client)
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
        if uids or held_uids:  # what the caller holds counts as seen: no wake-up for it
            self._high_water = (uidvalidity, max([*uids[-1:], *held_uids[-1:], self._above()]))
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

    def _mark(
        self, client: Any, key: str, uid: int, uidvalidity: int, target: str
    ) -> Placement | None:
        if uidvalidity != self._session.uidvalidity:
            log.warning("%s: UIDVALIDITY changed; left in place, it returns under a new key", key)
            return None
        if not client.search(["UID", str(uid), "UNDELETED"]):
            log.debug("%s is no longer in the folder; nothing to do", key)
            return None
        if self._done_action == "flag":
            client.add_flags([uid], [SEEN, DONE_KEYWORD], silent=True)
            return Placement(self._endpoint.folder, uidvalidity, uid)
        folder = self._ensure_folder(client, target)
        try:
            copied = self._move(client, uid, folder)
        except IMAPClientAbortError:
            raise
        except IMAPClientError as error:
            if "TRYCREATE" not in str(error):
                raise
            self._folders.discard(folder)  # deleted behind our back: create it again
            copied = self._move(client, uid, self._ensure_folder(client, target))
        return Placement(target, *(copied or (None, None)))

    def _move(self, client: Any, uid: int, folder: str) -> tuple[int, int] | None:
        """Move one UID; returns (UIDVALIDITY, UID) in `folder` from COPYUID, when sent."""
        capabilities = self._session.capabilities
        _copyuid(client)  # forget any earlier one
        if "MOVE" in capabilities:
            client.move([uid], folder)  # RFC 6851: COPYUID comes in an untagged OK
            return _copyuid(client)
        client.copy([uid], folder)
        copied = _copyuid(client)  # imaplib keeps it only when the server sent it untagged
        client.add_flags([uid], [DELETED], silent=True)
        if "UIDPLUS" in capabilities:
            client.uid_expunge([uid])
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


def _copyuid(client: Any) -> tuple[int, int] | None:
    """(UIDVALIDITY, UID) of the one message a MOVE or COPY just made (RFC 4315 COPYUID),
    taken out of imaplib's untagged responses; None when the server sent none."""
    responses = getattr(getattr(client, "_imap", None), "untagged_responses", None)
    if not isinstance(responses, dict):
        return None
    for data in reversed(responses.pop("COPYUID", None) or []):
        parts = (data.decode("ascii", "replace") if isinstance(data, bytes) else str(data)).split()
        if len(parts) >= 3 and parts[0].isdigit() and parts[2].isdigit():
            return int(parts[0]), int(parts[2])
    return None


def _is(response: Any, word: bytes, position: int) -> bool:
    return isinstance(response, tuple) and len(response) > position and response[position] == word


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC)
