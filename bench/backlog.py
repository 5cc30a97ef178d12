"""First import: a 1,000 / 5,000 / 10,000-mail backlog, filed without a single reply.

Each backlog is APPENDed to a fresh Dovecot account with an INTERNALDATE of January 2024
(`APPEND … msg_time`), then `mikrobot run --once` starts for the first time with the
default `reply_cutoff` (its first start): every mail must become a ticket, none may be
answered. The bot's process tree RSS (the service and its extraction workers) is
sampled throughout; growth is the RSS over the last 10 % of the mails against the RSS
at 10–20 %, when everything is loaded and warm.

The mails are the e2e suite's applicant mails (four kinds, text attachments): small, so
the figure is the per-mail cost of fetch → queue → file → move and the memory trend, not
PDF extraction (`bench/pipeline.py` measures that on the fixture corpus).

The run is repeated per Dovecot mailbox format (`maildir`, where every single-message
command costs the server time in proportion to the folder, and `sdbox`), and both sides'
CPU is counted: the bot's (its process and the children it reaped, from `wait4`) and
Dovecot's (its process group, `group_cpu_seconds`). BENCH_BACKLOG_SIZES=1000,5000 and
BENCH_BACKLOG_FORMATS=maildir narrow a run on a busy machine.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import (
    BOT_ADDRESS,
    OUT,
    RssSampler,
    child_env,
    group_cpu_seconds,
    log,
    mikrobot,
    scratch_dir,
)
from bench.servers import dovecot, smtp_server, source_url

OLD = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)


FORMATS = ("maildir", "sdbox")


def run(quick: bool) -> dict[str, Any]:
    sizes = [200, 500, 1000] if quick else [1000, 5000, 10000]
    if os.environ.get("BENCH_BACKLOG_SIZES"):
        sizes = [int(n) for n in os.environ["BENCH_BACKLOG_SIZES"].split(",")]
    formats = os.environ.get("BENCH_BACKLOG_FORMATS", ",".join(FORMATS)).split(",")
    results: dict[str, Any] = {"formats": {}}
    for mail_format in formats:
        results["formats"][mail_format] = _run_format(mail_format, sizes)
    results["sizes"] = results["formats"].get("maildir", results["formats"][formats[0]])["sizes"]
    return results


def _run_format(mail_format: str, sizes: list[int]) -> dict[str, Any]:
    from tests.e2e.conftest import Deployment, applicant_mail, folder_counts

    results: dict[str, Any] = {"mail_format": mail_format, "sizes": {}}
    with dovecot(mail_format) as server, smtp_server() as (recorder, port):
        for size in sizes:
            account = server.add_account()
            root = scratch_dir("mikrobot-bench-backlog-")
            deployment = Deployment(root, root / "mikrobot.db")
            log(f"backlog: APPENDing {size} mails dated {OLD:%Y-%m-%d}")
            started = time.monotonic()
            with server.admin(account) as client:
                for n in range(size):
                    client.append("INBOX", applicant_mail(100_000 + n), msg_time=OLD)
            append_s = time.monotonic() - started
            before = len(recorder.delivered)
            env = child_env(
                source=source_url(server, account),
                smtp=f"smtp://127.0.0.1:{port}",
                database=deployment.database_url,
                raw_mail_dir=str(root / "raw"),
                config=str(root / "no-such.toml"),
                **{"from": BOT_ADDRESS},
            )
            logfile = OUT / f"backlog-{size}.log"
            logfile.unlink(missing_ok=True)
            log(f"backlog: mikrobot run --once on {size} mails ({mail_format})")

            def filed(deployment: Deployment = deployment) -> int:
                rows = deployment.query("SELECT count(*) FROM mails")
                return int(rows[0][0]) if rows else 0

            assert server.pid is not None
            dovecot_cpu = group_cpu_seconds(server.pid)
            started, started_utc = time.monotonic(), time.time()
            with (
                mikrobot(["run", "--once"], env, logfile) as process,
                RssSampler(process.pid, interval=0.5, progress=filed) as sampler,
            ):
                _, status, usage = os.wait4(process.pid, 0)
                process.returncode = os.waitstatus_to_exitcode(status)
            wall = time.monotonic() - started
            time.sleep(1.0)  # the bot's imap process ends and is reaped by Dovecot's master
            dovecot_cpu = group_cpu_seconds(server.pid) - dovecot_cpu
            bot_cpu = usage.ru_utime + usage.ru_stime
            first = deployment.query("SELECT min(fetched_at) FROM inbound")
            first_fetch = _epoch(first[0][0]) if first and first[0][0] else started_utc
            steady = started_utc + wall - first_fetch
            tickets = filed()
            outbox = deployment.query("SELECT count(*) FROM outbox")
            replies = len(recorder.delivered) - before
            counts = folder_counts(server, account)
            growth, warm_mb, end_mb = _growth(sampler.samples, size, 2)
            main_growth, main_warm_mb, main_end_mb = _growth(sampler.samples, size, 1)
            results["sizes"][str(size)] = {
                "mails": size,
                "append_s": append_s,
                "wall_s": wall,
                "ms_per_mail": wall / size * 1000,
                "mails_per_s": size / wall,
                "startup_s": first_fetch - started_utc,
                "steady_ms_per_mail": steady / size * 1000,
                "bot_cpu_s": bot_cpu,
                "dovecot_cpu_s": dovecot_cpu,
                "bot_cpu_ms_per_mail": bot_cpu / size * 1000,
                "dovecot_cpu_ms_per_mail": dovecot_cpu / size * 1000,
                "exit_code": process.returncode,
                "filed": tickets,
                "outbox_rows": int(outbox[0][0]) if outbox else 0,
                "replies_at_smtp": replies,
                "left_in_inbox": counts.get("INBOX", 0),
                "peak_tree_pss_mb": sampler.peak_tree_mb,
                "peak_main_mb": sampler.peak_main_mb,
                "warm_tree_mb": warm_mb,
                "end_tree_mb": end_mb,
                "growth": growth,
                "main_warm_mb": main_warm_mb,
                "main_end_mb": main_end_mb,
                "main_growth": main_growth,
                "samples": [(t, total / 1024, done) for t, _, total, done in sampler.samples],
            }
            r = results["sizes"][str(size)]
            log(
                f"  {size} ({mail_format}): {wall:.0f} s ({r['ms_per_mail']:.1f} ms/mail, "
                f"{r['steady_ms_per_mail']:.1f} after start-up; CPU "
                f"bot {r['bot_cpu_ms_per_mail']:.1f}, dovecot {r['dovecot_cpu_ms_per_mail']:.1f} "
                f"ms/mail), filed {tickets}, "
                f"replies {replies}, RSS {warm_mb:.0f} → {end_mb:.0f} MB ({growth:+.1%})"
            )
    return results


def _epoch(value: Any) -> float:
    """A stored timestamp (SQLite gives ISO text, naive UTC) as seconds since the epoch."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _growth(
    samples: list[tuple[float, int, int, int]], size: int, column: int
) -> tuple[float, float, float]:
    """(growth, warm MB, end MB) of one column of the (t, main RSS, tree PSS, filed) samples."""
    warm = [s[column] for s in samples if 0.1 * size <= s[3] <= 0.2 * size]
    end = [s[column] for s in samples if s[3] >= 0.9 * size]
    if not warm or not end:  # too quick to sample by progress: use time instead
        third = max(1, len(samples) // 3)
        warm = [s[column] for s in samples[third : 2 * third]] or [s[column] for s in samples]
        end = [s[column] for s in samples[-third:]]
    warm_mb = statistics.median(warm) / 1024
    end_mb = statistics.median(end) / 1024
    return end_mb / warm_mb - 1, warm_mb, end_mb
