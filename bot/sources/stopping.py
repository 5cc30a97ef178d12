"""A stop flag that a signal handler may set, and sleeps that notice it.

Its single job is letting `MailSource.stop()` end a wait promptly. It is a plain attribute
checked between short slices of sleep, not a `threading.Event`: setting an Event takes a
lock, which a signal handler interrupting the lock's holder would wait on forever.
"""

from __future__ import annotations

import time

SLICE_SECONDS = 0.25
"""How long a sleep goes without looking at the flag: the bound on `stop()`'s latency."""


class StopFlag:
    """One-way latch: once set, every `sleep` returns at once and says so."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def sleep(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when the flag was set before or during the sleep."""
        deadline = time.monotonic() + seconds
        while not self._set:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(SLICE_SECONDS, remaining))
        return True
