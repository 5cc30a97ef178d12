"""APPEND → reply at the SMTP server: the real `mikrobot run` (IDLE) against Dovecot + aiosmtpd.

Mails are APPENDed one at a time, each after the previous reply arrived and a random pause
(so the bot is sometimes mid-IDLE, sometimes busy with the copy of the last reply, which
the recorder delivers back into the inbox as SSB's relay would). The latency is from just
before the APPEND command to the moment the SMTP server starts handling the reply's DATA.
Two shapes: the embedded default (one process, SQLite) and `--workers 2` on PostgreSQL.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

from bench.common import BOT_ADDRESS, OUT, child_env, log, mikrobot, scratch_dir, summary, wait_for
from bench.servers import dovecot, postgres_available, postgres_database, smtp_server, source_url


def run(quick: bool) -> dict[str, Any]:
    from tests.e2e.conftest import applicant_mail, message_id

    count = 15 if quick else 60
    shapes: list[tuple[str, list[str]]] = [("one process, SQLite", [])]
    if postgres_available():
        shapes.append(("--workers 2, PostgreSQL", ["--workers", "2"]))
    results: dict[str, Any] = {"mails": count, "shapes": {}}
    pause = random.Random(6)
    with dovecot() as server, smtp_server() as (recorder, port):
        for index, (name, args) in enumerate(shapes):
            account = server.add_account()
            recorder.deliver_copies_to(server, account)
            root = scratch_dir("mikrobot-bench-latency-")
            with _database(args, root) as database:
                env = child_env(
                    source=source_url(server, account),
                    smtp=f"smtp://127.0.0.1:{port}",
                    database=database,
                    raw_mail_dir=str(root / "raw"),
                    config=str(root / "no-such.toml"),
                    **{"from": BOT_ADDRESS},
                )
                log(f"latency: {name}, {count} mails")
                logfile = OUT / f"latency-{index}.log"
                logfile.unlink(missing_ok=True)
                with mikrobot(["run", *args], env, logfile) as process:
                    base = 10_000 * (index + 1)
                    # Warm-up (model loaded, first IDLE): not counted.
                    time.sleep(2)
                    server.append(account, applicant_mail(base))
                    wait_for(
                        lambda b=base: message_id(b) in recorder.arrived, 120, "the first reply"
                    )
                    latencies, loads = [], []
                    for n in range(base + 1, base + 1 + count):
                        time.sleep(pause.uniform(0.2, 1.0))
                        raw = applicant_mail(n)
                        appended = time.monotonic()
                        server.append(account, raw)
                        wait_for(
                            lambda n=n: (
                                message_id(n) in recorder.arrived or process.poll() is not None
                            ),
                            60,
                            f"the reply to mail {n}",
                        )
                        latencies.append((recorder.arrived[message_id(n)] - appended) * 1000)
                        loads.append(os.getloadavg()[0])
            results["shapes"][name] = {"ms": latencies, "load": loads, **summary(latencies)}
            s = results["shapes"][name]
            log(f"  p50 {s['p50']:.0f} ms, p95 {s['p95']:.0f} ms, p99 {s['p99']:.0f} ms")
    return results


def _database(args: list[str], root: Path) -> Any:
    from contextlib import nullcontext

    if args:
        return postgres_database()
    return nullcontext(f"sqlite:///{root / 'mikrobot.db'}")
