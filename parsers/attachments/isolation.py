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
import dataclasses
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
    result = extract_attachment(
        raw.filename, raw.content_type, raw.payload, limits, shown_inline=shown_inline(raw)
    )
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


def _niceness(_: object) -> tuple[int, bool]:
    """The worker's own niceness (what `os.nice` set at its start)."""
    return os.nice(0), True


def _serve(connection: Connection, max_memory_bytes: int, niceness: int = 0) -> None:
    """The worker's loop: receive (task function, its argument), send (result, still healthy).

    The task functions are this module's `_extract` and `_preview`, pickled by name. An
    OCR worker lowers its own CPU priority first (`niceness`), and Tesseract, its child,
    inherits it."""
    if niceness > 0:
        os.nice(niceness)
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


_Kind = tuple[int, int]
"""(address-space limit in MB, niceness): which workers may serve a task."""


class _Worker:
    """One child process and the parent's end of its pipe."""

    def __init__(self, context: ForkServerContext, kind: _Kind) -> None:
        max_memory_mb, niceness = kind
        parent_end, child_end = context.Pipe()
        process: BaseProcess = context.Process(
            target=_serve,
            args=(child_end, max_memory_mb * _MB, niceness),
            name="mikrobot-ocr" if niceness else "mikrobot-extraction",
            daemon=True,
        )
        process.start()
        child_end.close()
        self.process = process
        self.connection = parent_end
        self.kind = kind
        self.tasks = 0

    def usable(self) -> bool:
        return self.process.is_alive() and self.tasks < MAX_TASKS_PER_WORKER

    def stop(self) -> None:
        """Kill at once: a worker is only stopped when it overran or is no longer needed."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class ExtractionPool:
    """Warm extraction workers of one process; thread-safe, one worker per concurrent call.

    Two kinds of worker: plain ones read every attachment's text, and OCR workers, at a
    lower CPU priority (`ExtractionLimits.ocr_niceness`) and at most `ocr_workers` at a
    time, read the scans. A plain worker hands a scan back unread (`ocr_deferred`), and
    the pool reads it again in an OCR worker: so a scan costs its own mail the OCR time,
    while the triage of other mail, in other processes, keeps the CPU first.
    """

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(PRELOAD))
        self._idle: dict[_Kind, list[_Worker]] = {}
        self._lock = threading.Lock()
        self._ocr_slots: dict[int, threading.BoundedSemaphore] = {}

    def extract(self, raw: RawAttachment, limits: ExtractionLimits) -> AttachmentText:
        """`extract_attachment` in a worker, killed after `limits.kill_after_seconds`; a
        scan is read again by an OCR worker."""

        def failed(fault: WorkerFault) -> AttachmentText:
            reason = f"extraction {fault.reason}" if fault.timed_out else fault.reason
            return _failed(raw, limits, reason)

        plain = dataclasses.replace(limits, defer_ocr=True)
        result = self.run(
            _extract,
            (raw, plain),
            seconds=limits.kill_after_seconds,
            max_memory_mb=limits.max_memory_mb,
            failed=failed,
        )
        assert isinstance(result, AttachmentText)
        if not result.needs_ocr_worker:
            return result
        with self.ocr_slot(limits.ocr_workers):
            result = self.run(
                _extract,
                (raw, dataclasses.replace(limits, defer_ocr=False)),
                seconds=limits.kill_after_seconds,
                max_memory_mb=limits.max_memory_mb,
                failed=failed,
                niceness=limits.ocr_niceness,
            )
        assert isinstance(result, AttachmentText)
        return result

    def ocr_slot(self, workers: int) -> threading.BoundedSemaphore:
        """The semaphore that holds this process's OCR runs to `workers` at a time."""
        with self._lock:
            slot = self._ocr_slots.get(workers)
            if slot is None:
                slot = self._ocr_slots[workers] = threading.BoundedSemaphore(max(1, workers))
            return slot

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
        niceness: int = 0,
    ) -> _R:
        """`function(argument)` in a worker (a module-level function of this module), killed
        after `seconds`; `failed` says what a timeout or a dead worker gives instead. A
        worker of `niceness` > 0 runs at that lower CPU priority (the OCR workers)."""
        worker = self._checkout((max_memory_mb, max(0, niceness)))
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

    def warm_up(self, max_memory_mb: int, niceness: int = 0) -> None:
        """Start a worker now (the forkserver with its preloaded parsers, ~0.6 s), so the
        first attachment of a run does not pay for it."""
        kind = (max_memory_mb, max(0, niceness))
        with self._lock:
            if self._idle.get(kind):
                return
        self._checkin(_Worker(self._context, kind))

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for workers in idle.values():
            for worker in workers:
                worker.stop()

    def _checkout(self, kind: _Kind) -> _Worker:
        with self._lock:
            idle = self._idle.get(kind, [])
            while idle:
                worker = idle.pop()
                if worker.usable():
                    return worker
                worker.stop()
        return _Worker(self._context, kind)

    def _checkin(self, worker: _Worker) -> None:
        with self._lock:
            idle = self._idle.setdefault(worker.kind, [])
            if len(idle) < MAX_IDLE_WORKERS and worker.usable():
                idle.append(worker)
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
    """Have a warm extraction worker, and a warm OCR worker, ready when isolation is on (a
    no-op otherwise)."""
    if limits.isolate:
        extraction_pool().warm_up(limits.max_memory_mb)
        if limits.ocr_pages > 0:
            extraction_pool().warm_up(limits.max_memory_mb, limits.ocr_niceness)


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
    return extract_attachment(
        raw.filename, raw.content_type, raw.payload, limits, shown_inline=shown_inline(raw)
    )


def shown_inline(raw: RawAttachment) -> bool:
    """A part the mail's HTML shows by `cid:` (whatever its Content-Disposition says): when
    small, a signature logo."""
    return raw.shown_in_html


__all__ = [
    "ExtractionPool",
    "extract_isolated",
    "extraction_pool",
    "read_attachment",
    "render_preview_isolated",
]
