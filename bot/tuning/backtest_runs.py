"""The rules page's backtests, run in the background of the web process.

A backtest reads up to a few hundred filed mails again, attachments and OCR included, which
takes minutes on a busy day: far too long for one request. The page starts a run, shows
its progress and the result when it is done. One run at a time: a new test replaces
(stops) the one before, and the last few are kept so their pages can still be shown.
Runs live in this process only; after a restart, the admin tests again.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.tuning.rules_check import Backtest, BacktestStoppedError

log = logging.getLogger(__name__)


@dataclass
class BacktestRun:
    """One test of a rules text: what was tested against what, how far it got, the result."""

    id: str
    actor: str
    text: str
    """The tested rules text."""
    current: str
    """The rules file's text it was compared with (a save checks the file still has it)."""
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    done: int = 0
    total: int = 0
    result: Backtest | None = None
    error: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def state(self) -> str:
        if self.result is not None:
            return "done"
        if self.error is not None:
            return "failed"
        return "running"

    def report(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "done": self.done, "total": self.total}


Work = Callable[[BacktestRun], Backtest]


class BacktestRuns:
    """The runs of one web process (kept on the app's state)."""

    def __init__(self, keep: int = 8) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, BacktestRun] = OrderedDict()

    def start(self, actor: str, text: str, current: str, work: Work) -> BacktestRun:
        """A new run of `work` in a thread; a run still going is stopped first."""
        run = BacktestRun(secrets.token_urlsafe(16), actor, text, current)
        with self._lock:
            for earlier in self._runs.values():
                earlier.stop.set()
            self._runs[run.id] = run
            while len(self._runs) > self._keep:
                self._runs.popitem(last=False)
        threading.Thread(
            target=self._run, args=(run, work), name=f"backtest-{run.id[:6]}", daemon=True
        ).start()
        return run

    def get(self, run_id: str) -> BacktestRun | None:
        with self._lock:
            return self._runs.get(run_id)

    @staticmethod
    def _run(run: BacktestRun, work: Work) -> None:
        try:
            run.result = work(run)
        except BacktestStoppedError as stopped:
            run.error = str(stopped)
        except Exception as error:  # shown on the page; the web process goes on
            log.exception("backtest %s failed", run.id)
            run.error = f"{type(error).__name__}: {error}"
