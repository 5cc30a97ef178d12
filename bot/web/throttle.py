"""Failed logins slowed down, then locked for a while, per account and per client address.

Every login attempt asks `LoginThrottle.admit` first. An attempt is counted as a failure
when it is admitted (so sixteen attempts at once cannot all slip in under the limit) and
taken back by `succeeded`. After `free_failures` failures each further attempt must wait
twice as long as the one before (1 s, 2 s, 4 s …, at most `max_delay`); at `lock_after`
failures the key is locked for `lock_seconds`, and each later lock of the same key lasts
twice as long, up to `max_lock_seconds`. A key with no failure for `forget_after` is
forgotten. A refused attempt is not checked at all — no argon2, no database — and is
answered at once with 429 and `Retry-After`: nothing sleeps, so a flood costs the server
almost nothing and never holds a thread.

Accounts are counted by the name as typed (case-folded), known or not, so guessing at
unknown names is slowed too; addresses by the client address uvicorn reports (behind a
proxy, the one `web.forwarded_allow_ips` vouches for). Both must admit an attempt.

What this does not cover: it lives in one server process's memory. Several `mikrobot
serve` processes each keep their own counts (an attacker spread over them gets each
one's allowance), and a restart forgets them. It is bounded: at most `max_entries` keys of
each kind, the least recently failed forgotten first, so an attacker with very many
addresses and names can push a locked key out early. And a lock is a lock: whoever fails
often enough on an account or from an address keeps its rightful user waiting until the
lock expires (or the server restarts). The password rule (`bot.passwords`) is what makes
the attempts that do get through worthless.

An admin lifts a lock from the users page or with `mikrobot users unlock`: either writes a
`login_unlocked` entry to the audit log (`bot.store.accounts.record_unlock`), and every
server process reads the entries it has not applied yet (`unlocks`) before it admits an
attempt, at most once every `UNLOCK_POLL_SECONDS` (one short read, never a write), so the
lock is gone everywhere within seconds; the page's own process applies it at once.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Final, Literal

from fastapi import Depends, Request

from bot.settings import LoginSettings

log = logging.getLogger(__name__)
Clock = Callable[[], float]
MAX_ENTRIES: Final = 10_000
UNLOCK_POLL_SECONDS: Final = 5.0
Kind = Literal["account", "address"]
KINDS: Final[tuple[Kind, ...]] = ("account", "address")
UnlockSource = Callable[[int], Sequence[tuple[int, str, str]]]
"""Unlocks recorded after an id: (id, kind, key) each, oldest first."""


@dataclass(frozen=True)
class ThrottleRule:
    """How many failures one key may have, and what follows."""

    free_failures: int
    lock_after: int
    lock_seconds: float
    first_delay: float = 1.0
    max_delay: float = 60.0
    max_lock_seconds: float = 24 * 3600.0
    forget_after: float = 24 * 3600.0

    def delay(self, failures: int) -> float:
        """The wait before the next attempt after `failures` failures (below the lock)."""
        if failures <= self.free_failures:
            return 0.0
        return min(self.first_delay * 2.0 ** (failures - self.free_failures - 1), self.max_delay)

    def lock_length(self, locks: int) -> float:
        """How long the `locks`-th lock of one key lasts (the first is `lock_seconds`)."""
        return min(self.lock_seconds * 2.0 ** max(locks - 1, 0), self.max_lock_seconds)


@dataclass(frozen=True)
class Refusal:
    """An attempt not let through: try again after `retry_after` seconds."""

    retry_after: float
    locked: bool
    """True for a lock; False for the growing delay before it."""

    @property
    def seconds(self) -> int:
        """`Retry-After`: whole seconds, at least one."""
        return max(math.ceil(self.retry_after), 1)

    @property
    def words(self) -> tuple[str, dict[str, object]]:
        """The pages' words for it: a label key and its values ("15 min", "8 s")."""
        return ("login_locked" if self.locked else "login_wait"), {"wait": wait_words(self)}


def wait_words(left: Refusal | Lock) -> str:
    """How long until an attempt is let through again: "8 s", "15 min"."""
    seconds = max(math.ceil(left.retry_after), 1)
    return f"{seconds} s" if seconds < 90 else f"{math.ceil(seconds / 60)} min"


@dataclass(frozen=True)
class Lock:
    """A locked account or address, for the admins' page."""

    kind: Kind
    key: str
    retry_after: float

    @property
    def wait(self) -> str:
        return wait_words(self)


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0
    locks: int = 0
    locked_until: float = 0.0


class _Counts:
    """One kind of key (accounts or addresses) under one rule; the caller holds the lock."""

    def __init__(self, kind: str, rule: ThrottleRule, max_entries: int) -> None:
        self.kind = kind
        self.rule = rule
        self.max_entries = max_entries
        self.records: OrderedDict[str, _Record] = OrderedDict()

    def refusal(self, key: str, now: float) -> Refusal | None:
        record = self._current(key, now)
        if record is None:
            return None
        if record.locked_until > now:
            return Refusal(record.locked_until - now, locked=True)
        ready_at = record.last + self.rule.delay(record.failures)
        return Refusal(ready_at - now, locked=False) if ready_at > now else None

    def count_failure(self, key: str, now: float) -> None:
        record = self._current(key, now) or _Record()
        record.failures += 1
        record.last = now
        if record.failures >= self.rule.lock_after:
            record.locks += 1
            seconds = self.rule.lock_length(record.locks)
            record.locked_until = now + seconds
            record.failures = 0  # after the lock, the delays start over
            log.warning(
                "login locked for %.0f s: %s %r after %d failed attempts",
                seconds, self.kind, key, self.rule.lock_after,
            )  # fmt: skip
        self.records[key] = record
        self.records.move_to_end(key)
        while len(self.records) > self.max_entries:
            self.records.popitem(last=False)

    def take_back(self, key: str, *, clear: bool) -> None:
        """An admitted attempt that succeeded: its failure was not one."""
        record = self.records.get(key)
        if record is None:
            return
        if clear:
            del self.records[key]
            return
        if record.locked_until and record.failures == 0:
            record.locked_until = 0.0  # the attempt that set the lock was the right one
            record.failures = self.rule.lock_after - 1
            record.locks -= 1
        else:
            record.failures = max(record.failures - 1, 0)

    def locks(self, now: float) -> list[tuple[str, float]]:
        """Each key locked now, with the seconds left, the longest first."""
        found = [(k, r.locked_until - now) for k, r in self.records.items() if r.locked_until > now]
        return sorted(found, key=lambda pair: -pair[1])

    def lift(self, key: str) -> bool:
        """Forget `key`'s failures and lock; False when it had none."""
        return self.records.pop(key, None) is not None

    def _current(self, key: str, now: float) -> _Record | None:
        record = self.records.get(key)
        idle = now - max(record.last, record.locked_until) if record is not None else 0.0
        if record is not None and record.locked_until <= now and idle > self.rule.forget_after:
            del self.records[key]
            return None
        return record


class LoginThrottle:
    """The failed-login counts of this process (see the module's docstring). Thread-safe:
    the lock is held for a few dictionary operations, never while waiting or checking."""

    def __init__(
        self,
        account_rule: ThrottleRule,
        address_rule: ThrottleRule,
        *,
        clock: Clock = time.monotonic,
        max_entries: int = MAX_ENTRIES,
        unlocks: UnlockSource | None = None,
        unlocks_after: int = 0,
    ) -> None:
        self._accounts = _Counts("account", account_rule, max_entries)
        self._addresses = _Counts("address", address_rule, max_entries)
        self._clock = clock
        self._lock = threading.Lock()
        self._unlocks = unlocks
        self._last_unlock = unlocks_after
        self._next_poll = -math.inf

    def _counts(self, kind: Kind) -> _Counts:
        return self._accounts if kind == "account" else self._addresses

    def locks(self) -> list[Lock]:
        """Every account and address locked now (after the unlocks recorded so far)."""
        self.apply_unlocks(force=True)
        with self._lock:
            now = self._clock()
            return [
                Lock(kind, key, left)
                for kind in KINDS
                for key, left in self._counts(kind).locks(now)
            ]

    def apply_unlocks(self, *, force: bool = False) -> None:
        """Lift the locks admins lifted since the last look (every `UNLOCK_POLL_SECONDS`,
        or now when `force`). The read runs outside the lock; a store that cannot answer
        leaves the locks as they are (logged), it never stops a login."""
        if self._unlocks is None:
            return
        with self._lock:
            now = self._clock()
            if not force and now < self._next_poll:
                return
            self._next_poll = now + UNLOCK_POLL_SECONDS
            after = self._last_unlock
        try:
            found = self._unlocks(after)
        except Exception:
            log.exception("could not read the recorded login unlocks")
            return
        with self._lock:
            for unlock_id, kind, key in found:
                if unlock_id <= self._last_unlock:
                    continue
                self._last_unlock = unlock_id
                counts = {"account": self._accounts, "address": self._addresses}.get(kind)
                lifted = _account_key(key) if kind == "account" else key
                if counts is not None and counts.lift(lifted):
                    log.warning("login lock lifted by an admin: %s %r", kind, lifted)

    def admit(self, account: str, address: str) -> Refusal | None:
        """Before the password is checked: a Refusal, or None and the attempt is counted as
        a failure until `succeeded` says otherwise."""
        self.apply_unlocks()
        key = _account_key(account)
        with self._lock:
            now = self._clock()
            refusals = [
                r
                for r in (self._accounts.refusal(key, now), self._addresses.refusal(address, now))
                if r is not None
            ]
            if refusals:
                return max(refusals, key=lambda r: r.retry_after)
            self._accounts.count_failure(key, now)
            self._addresses.count_failure(address, now)
            return None

    def succeeded(self, account: str, address: str) -> None:
        """The admitted attempt had the right password: the account starts afresh; the
        address only loses this attempt's failure (others may be failing from it)."""
        with self._lock:
            self._accounts.take_back(_account_key(account), clear=True)
            self._addresses.take_back(address, clear=False)


def _account_key(account: str) -> str:
    return account.strip().casefold()[:120]


def login_throttle(
    settings: LoginSettings,
    clock: Clock = time.monotonic,
    *,
    unlocks: UnlockSource | None = None,
    unlocks_after: int = 0,
) -> LoginThrottle:
    """The throttle the settings describe (`create_app` puts it on `app.state`), lifting
    the locks `unlocks` reports after the id `unlocks_after`."""
    lock_seconds = settings.lock_minutes * 60
    return LoginThrottle(
        ThrottleRule(settings.free_failures, settings.lock_after, lock_seconds),
        ThrottleRule(settings.address_free_failures, settings.address_lock_after, lock_seconds,
                     forget_after=3600.0),
        clock=clock,
        unlocks=unlocks,
        unlocks_after=unlocks_after,
    )  # fmt: skip


def throttle_of(request: Request) -> LoginThrottle:
    found: LoginThrottle = request.app.state.login_throttle
    return found


def client_address(request: Request) -> str:
    """The address failed logins are counted under (uvicorn's, proxy headers applied)."""
    return request.client.host if request.client else "unknown"


Throttle = Annotated[LoginThrottle, Depends(throttle_of)]
