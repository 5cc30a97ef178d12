"""Throughput against `--workers` on PostgreSQL, on a sample of the fixture corpus.

For each shape a fresh PostgreSQL database and Dovecot account get the same mails
(every 4th fixture mail, scans included, in corpus order), then `mikrobot run --once
[--workers N]` files them all, answers each, and exits. Throughput is mails over the time
from the first fetch to the last filing (from the `inbound` table), so the ~3 s of model
loading at start-up does not count; the wall time, start-up included, is reported too.
Replies go to aiosmtpd without the delivery copy (`delivery_copy=false`), so `--once`
has nothing to wait for after the last reply.
"""

from __future__ import annotations

import email
import email.policy
import time
from typing import Any

from bench.common import BOT_ADDRESS, OUT, child_env, corpus_files, log, mikrobot, scratch_dir
from bench.servers import dovecot, postgres_available, postgres_database, smtp_server, source_url

EVERY_MAIL_ANSWERED = "2000-01-01T00:00:00+00:00"


def _unique(raw: bytes, n: int) -> bytes:
    """The fixture mail with a Message-ID of its own (the corpus is reused per shape)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    del message["Message-ID"]
    message["Message-ID"] = f"<bench-workers-{n}@example.no>"
    return message.as_bytes()


def run(quick: bool) -> dict[str, Any]:
    from tests.e2e.conftest import Deployment

    if not postgres_available():
        return {"skipped": "PostgreSQL not reachable"}
    step = 16 if quick else 4
    files = corpus_files(False)[::step]
    shapes = [0, 1, 2] if quick else [0, 1, 2, 4]
    results: dict[str, Any] = {"mails": len(files), "step": step, "shapes": {}}
    with dovecot() as server, smtp_server() as (recorder, port):
        for index, workers in enumerate(shapes):
            account = server.add_account()
            with server.admin(account) as client:
                for n, file in enumerate(files):
                    client.append("INBOX", _unique(file.read_bytes(), index * 10_000 + n))
            root = scratch_dir("mikrobot-bench-workers-")
            with postgres_database() as url:
                deployment = Deployment(root, root / "unused.db", url=url)
                env = child_env(
                    source=source_url(server, account),
                    smtp=f"smtp://127.0.0.1:{port}",
                    database=url,
                    raw_mail_dir=str(root / "raw"),
                    config=str(root / "no-such.toml"),
                    reply_cutoff=EVERY_MAIL_ANSWERED,
                    delivery_copy="false",
                    max_replies_per_hour="100000",
                    **{"from": BOT_ADDRESS},
                )
                args = ["run", "--once"] + (["--workers", str(workers)] if workers else [])
                logfile = OUT / f"workers-{workers}.log"
                logfile.unlink(missing_ok=True)
                log(f"workers: {' '.join(args)} on {len(files)} mails")
                before = len(recorder.delivered)
                started = time.monotonic()
                with mikrobot(args, env, logfile) as process:
                    process.wait(timeout=3_600)
                wall = time.monotonic() - started
                span = deployment.query(
                    "SELECT EXTRACT(EPOCH FROM max(filed_at) - min(fetched_at)), count(*),"
                    " count(*) FILTER (WHERE state <> 'queued') FROM inbound"
                )
                seconds, queued, filed = span[0] if span else (None, 0, 0)
                steady = float(seconds) if seconds else wall
                results["shapes"][str(workers)] = {
                    "workers": workers,
                    "wall_s": wall,
                    "steady_s": steady,
                    "mails_per_s": len(files) / steady,
                    "mails_per_s_wall": len(files) / wall,
                    "filed": int(filed or 0),
                    "fetched": int(queued or 0),
                    "replies": len(recorder.delivered) - before,
                    "exit_code": process.returncode,
                }
                r = results["shapes"][str(workers)]
                log(
                    f"  {workers} workers: {r['mails_per_s']:.2f} mails/s "
                    f"({steady:.1f} s filing, {wall:.1f} s wall), filed {r['filed']}"
                )
    return results
