"""Attachment extraction in a worker process that can be killed: the hard limits under the soft.

The extractors stop themselves between pages, rows and blocks (`Deadline`, `max_chars`), but
a library can spend minutes and gigabytes inside one call: PDFium reading one page whose
content stream inflates to 300 MB took 67 s and 4.4 GB here. So the bot runs each
extraction in a child process it owns, with an address-space limit (`RLIMIT_AS`, set in the
child) and a wall-clock limit enforced from outside: a worker that overruns is killed with
SIGKILL and replaced, and the attachment gets an `error` instead of text. Only the worker
dies; the mail still gets its verdict and its ticket.

Workers are started from a `forkserver` that has already imported the extractors, so a
replacement is warm in milliseconds, and a worker serves many attachments (the round trip
costs well under a millisecond for a small file). The interface is one function,
`extract_isolated(raw, limits)`; `read_attachment` picks it or the in-process path by
`limits.isolate`. Each process that calls it gets its own pool (created on first use), so
forked triage workers never share a parent's pipes.

The same workers render attachment previews for the web pages
(`render_preview_isolated`, `parsers/attachments/preview.py`): PDFium and Pillow decoding
hostile files belong behind the same limits, never in the web process.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import TypeVar

from parsers.attachments import AttachmentText, ExtractionLimits, extract_attachment
from parsers.attachments.dispatch import declared_format
from parsers.attachments.preview import (
    PreviewFailure,
    PreviewImage,
    PreviewLimits,
    PreviewProblem,
    PreviewResult,
    render_preview,
)
from parsers.message import RawAttachment

PRELOAD = (
    "parsers.attachments.dispatch",
    "parsers.attachments.pdf",
    "parsers.attachments.docx",
    "parsers.attachments.xlsx",
    "parsers.attachments.text",
    "parsers.attachments.ocr",
    "parsers.attachments.preview",
)
"""Imported once by the forkserver, so every worker starts with them loaded."""
MAX_TASKS_PER_WORKER = 500
"""A worker is retired after this many attachments, so slow leaks in libraries stay bounded."""
MAX_IDLE_WORKERS = 2
_MB = 1 << 20
_A = TypeVar("_A")
_R = TypeVar("_R")


def _extract(task: tuple[RawAttachment, ExtractionLimits]) -> tuple[AttachmentText, bool]:
    """One attachment's text in the worker: (text, the worker is still healthy)."""
    raw, limits = task
    result = extract_attachment(raw.filename, raw.content_type, raw.payload, limits)
    out_of_memory = bool(result.error and "MemoryError" in result.error)
    if out_of_memory:
        result = _failed(raw, limits, f"ran out of memory (over {limits.max_memory_mb} MB)")
    return result, not out_of_memory


def _preview(task: tuple[bytes, int, PreviewLimits]) -> tuple[PreviewResult, bool]:
    """One page's PNG in the worker: (image or failure, the worker is still healthy)."""
    payload, page, limits = task
    result = render_preview(payload, page, limits)
    healthy = not (isinstance(result, PreviewFailure) and result.detail == "out of memory")
    return result, healthy


def _serve(connection: Connection, max_memory_bytes: int) -> None:
    """The worker's loop: receive (task function, its argument), send (result, still healthy).

    The task functions are this module's `_extract` and `_preview`, pickled by name."""
    if max_memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (max_memory_bytes, max_memory_bytes))
    while True:
        try:
            function, argument = connection.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        outcome = function(argument)
        try:
            connection.send(outcome)
        except OSError:  # the parent died (or was killed) while we worked: nobody to tell
            return
        del argument, outcome


@dataclass(frozen=True)
class WorkerFault:
    """Why a task got no answer: the worker overran its time, or died."""

    timed_out: bool
    reason: str


class _Worker:
    """One child process and the parent's end of its pipe."""

    def __init__(self, context: ForkServerContext, max_memory_mb: int) -> None:
        parent_end, child_end = context.Pipe()
        process: BaseProcess = context.Process(
            target=_serve,
            args=(child_end, max_memory_mb * _MB),
            name="mikrobot-extraction",
            daemon=True,
        )
        process.start()
        child_end.close()
        self.process = process
        self.connection = parent_end
        self.max_memory_mb = max_memory_mb
        self.tasks = 0

    def usable(self, max_memory_mb: int) -> bool:
        return (
            self.process.is_alive()
            and self.max_memory_mb == max_memory_mb
            and self.tasks < MAX_TASKS_PER_WORKER
        )

    def stop(self) -> None:
        """Kill at once: a worker is only stopped when it overran or is no longer needed."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class ExtractionPool:
    """Warm extraction workers of one process; thread-safe, one worker per concurrent call."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(PRELOAD))
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def extract(self, raw: RawAttachment, limits: ExtractionLimits) -> AttachmentText:
        """`extract_attachment` in a worker, killed after `limits.kill_after_seconds`."""

        def failed(fault: WorkerFault) -> AttachmentText:
            reason = f"extraction {fault.reason}" if fault.timed_out else fault.reason
            return _failed(raw, limits, reason)

        result = self.run(
            _extract,
            (raw, limits),
            seconds=limits.kill_after_seconds,
            max_memory_mb=limits.max_memory_mb,
            failed=failed,
        )
        assert isinstance(result, AttachmentText)
        return result

    def render_preview(self, payload: bytes, page: int, limits: PreviewLimits) -> PreviewResult:
        """`render_preview` in a worker, killed after `limits.kill_after_seconds`."""

        def failed(fault: WorkerFault) -> PreviewResult:
            problem = PreviewProblem.TIMED_OUT if fault.timed_out else PreviewProblem.FAILED
            return PreviewFailure(problem, fault.reason)

        result = self.run(
            _preview,
            (payload, page, limits),
            seconds=limits.kill_after_seconds,
            max_memory_mb=limits.max_memory_mb,
            failed=failed,
        )
        assert isinstance(result, PreviewImage | PreviewFailure)
        return result

    def run(
        self,
        function: Callable[[_A], tuple[_R, bool]],
        argument: _A,
        *,
        seconds: float,
        max_memory_mb: int,
        failed: Callable[[WorkerFault], _R],
    ) -> _R:
        """`function(argument)` in a worker (a module-level function of this module), killed
        after `seconds`; `failed` says what a timeout or a dead worker gives instead."""
        worker = self._checkout(max_memory_mb)
        worker.tasks += 1
        try:
            worker.connection.send((function, argument))
            if not worker.connection.poll(seconds):
                worker.stop()
                return failed(WorkerFault(True, f"timed out after {seconds:g} s"))
            result, healthy = worker.connection.recv()
        except (EOFError, OSError):  # the worker died mid-task
            worker.process.join(timeout=5)
            reason = _death(worker.process.exitcode, max_memory_mb)
            worker.stop()
            return failed(WorkerFault(False, reason))
        except BaseException:  # interrupted while waiting: the worker's state is unknown
            worker.stop()
            raise
        if healthy:
            self._checkin(worker)
        else:
            worker.stop()
        return result  # type: ignore[no-any-return]

    def warm_up(self, max_memory_mb: int) -> None:
        """Start a worker now (the forkserver with its preloaded parsers, ~0.6 s), so the
        first attachment of a run does not pay for it."""
        with self._lock:
            if self._idle:
                return
        self._checkin(_Worker(self._context, max_memory_mb))

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    def _checkout(self, max_memory_mb: int) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.usable(max_memory_mb):
                    return worker
                worker.stop()
        return _Worker(self._context, max_memory_mb)

    def _checkin(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE_WORKERS and worker.usable(worker.max_memory_mb):
                self._idle.append(worker)
                return
        worker.stop()


def _failed(raw: RawAttachment, limits: ExtractionLimits, reason: str) -> AttachmentText:
    fmt = declared_format(raw.filename, raw.content_type)
    return AttachmentText(raw.filename, raw.content_type, fmt, "", error=reason)


def _death(exitcode: int | None, max_memory_mb: int) -> str:
    """Why a worker ended: a signal most often means a library hit the memory limit."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return (
            f"extraction worker crashed ({name}): out of memory"
            f" (limit {max_memory_mb} MB) or a parser fault"
        )
    return f"extraction worker exited unexpectedly (exit code {exitcode})"


_pools: dict[int, ExtractionPool] = {}
_pools_lock = threading.Lock()


def extraction_pool() -> ExtractionPool:
    """This process's pool (a forked child gets a fresh one, never its parent's)."""
    pid = os.getpid()
    with _pools_lock:
        pool = _pools.get(pid)
        if pool is None:
            pool = _pools[pid] = ExtractionPool()
            atexit.register(pool.close)
        return pool


def warm_up(limits: ExtractionLimits) -> None:
    """Have a warm extraction worker ready when isolation is on (a no-op otherwise)."""
    if limits.isolate:
        extraction_pool().warm_up(limits.max_memory_mb)


def extract_isolated(raw: RawAttachment, limits: ExtractionLimits) -> AttachmentText:
    """One attachment's text from a killable worker process; never raises."""
    return extraction_pool().extract(raw, limits)


def render_preview_isolated(payload: bytes, page: int, limits: PreviewLimits) -> PreviewResult:
    """One page of an attachment as PNG, rendered in a killable worker; never raises."""
    return extraction_pool().render_preview(payload, page, limits)


def read_attachment(raw: RawAttachment, limits: ExtractionLimits) -> AttachmentText:
    """In a worker when `limits.isolate` (the bot's default), in this process otherwise."""
    if limits.isolate:
        return extract_isolated(raw, limits)
    return extract_attachment(raw.filename, raw.content_type, raw.payload, limits)


__all__ = [
    "ExtractionPool",
    "extract_isolated",
    "extraction_pool",
    "read_attachment",
    "render_preview_isolated",
]
