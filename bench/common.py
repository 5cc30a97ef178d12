"""What every benchmark shares: the corpus, clocks, the machine, child processes and RSS.

Results are plain JSON-able dicts; each benchmark module has `run(quick) -> dict` and
`python -m bench` collects them into `var/bench/results.json` for `bench/report.py`.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "fixtures" / "mail"
_QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
OUT = REPO / "var" / "bench" / ("quick" if _QUICK else "")
"""Raw results; a BENCH_QUICK smoke run keeps its own (and its own report), apart from the real."""
MIKROBOT = Path(sys.executable).with_name("mikrobot")
BENCHMARKS = (
    "floors",
    "pipeline",
    "personal_data",
    "scaling",
    "big_mail",
    "latency",
    "workers",
    "backlog",
    "search",
)
"""Every benchmark (`bench/<name>.py`), in the order `python -m bench` runs them."""
BOT_ADDRESS = "mikrodata@ssb.no"


def quick() -> bool:
    """BENCH_QUICK=1: a smoke run in a few minutes (fewer mails, fewer repetitions)."""
    return _QUICK


def corpus_files(quick: bool) -> list[Path]:
    """The fixture corpus in sorted order; every 8th mail in quick mode."""
    files = sorted(CORPUS.rglob("*.eml"))
    return files[::8] if quick else files


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_mb": memory,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load": os.getloadavg(),
    }


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100), linear between closest ranks; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "mean": statistics.fmean(values) if values else float("nan"),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else float("nan"),
    }


def best_of(repeat: int, work: Callable[[], object]) -> float:
    """The fastest of `repeat` timings of `work()`, in seconds (noise only ever adds)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def scratch_dir(prefix: str) -> Path:
    """A temporary folder for one run's database, raw mail and outbox; removed at exit."""
    import atexit
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def child_env(**settings: str) -> dict[str, str]:
    """The environment for a `mikrobot` child: ours minus every MIKROBOT_ variable, plus these.

    (Importing the test helpers sets MIKROBOT_REPLY_CUTOFF in this process; the bot under
    measurement must only see what the benchmark says.)
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIKROBOT_") and k != "CI"}
    env["PYTHONUNBUFFERED"] = "1"
    env.update({f"MIKROBOT_{name.upper()}": value for name, value in settings.items()})
    return env


# -- CPU ------------------------------------------------------------------------------------


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds (user + system) of a process group: its live members, and the members
    they have reaped (a Dovecot master reaps its `imap` processes, whose time then shows
    in its cutime/cstime)."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # after the name: state ppid pgrp … utime(11) … cstime(14)
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


# -- memory ---------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid: int) -> int:
    """Proportional set size: shared pages divided among the processes sharing them."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(pid: int) -> tuple[int, int]:
    """(RSS of `pid` alone, PSS of `pid` and all its descendants), in KiB.

    The tree is summed as PSS: the extraction workers are forked from one server and share
    its pages, which a sum of RSS would count once per worker.
    """
    tree = _children()
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += pss_kb(current)
        stack.extend(tree.get(current, []))
    return rss_kb(pid), total


class RssSampler:
    """Samples a process tree's RSS every `interval` seconds in a thread."""

    def __init__(
        self, pid: int, interval: float = 0.25, progress: Callable[[], int] | None = None
    ) -> None:
        self.pid = pid
        self.interval = interval
        self.progress = progress
        self.samples: list[tuple[float, int, int, int]] = []
        """(seconds since start, main RSS KiB, tree RSS KiB, progress)"""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._start = time.monotonic()
        self._done = 0
        self._last_progress = 0.0

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            if self.progress is not None and now - self._last_progress > 2.0:
                with suppress(Exception):
                    self._done = self.progress()
                self._last_progress = now
            main, total = tree_rss_kb(self.pid)
            if main:
                self.samples.append((now - self._start, main, total, self._done))
            self._stop.wait(self.interval)

    @property
    def peak_tree_mb(self) -> float:
        return max((s[2] for s in self.samples), default=0) / 1024

    @property
    def peak_main_mb(self) -> float:
        return max((s[1] for s in self.samples), default=0) / 1024


# -- children -------------------------------------------------------------------------------


@contextmanager
def mikrobot(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`mikrobot ARGS` as a child process (own session), killed with its group afterwards."""
    import signal

    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(MIKROBOT), *args],
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # stragglers: extraction workers


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
