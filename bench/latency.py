"""APPEND → reply at the SMTP server: the real `mikrobot run` (IDLE) against Dovecot + aiosmtpd.

Mails are APPENDed one at a time, each after the previous reply arrived and a random pause
(so the bot is sometimes mid-IDLE, sometimes busy with the copy of the last reply, which
the recorder delivers back into the inbox as SSB's relay would). The latency is from just
before the APPEND command to the moment the SMTP server starts handling the reply's DATA.
Two shapes: the embedded default (one process, SQLite) and `--workers 2` on PostgreSQL,
each on a quiet machine and again while two busy processes (`while True: pass`, one per
core) load the cores (issue #13: an agency's server is never quiet on the day it matters).

Also OCR against Tesseract's own time (`ocr`): every scan of the fixture corpus (scanned
PDFs, photographed pages; every 4th in quick mode) read the bot's way — a plain extraction
worker, then a niced OCR worker that skips blank pages and reads pages in parallel where
cores are idle — against the Tesseract runs alone on the same pages, rendered beforehand,
one after the other. And what the signature logos would have cost Tesseract.
"""

from __future__ import annotations

import dataclasses
import io
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image

from bench.common import (
    BOT_ADDRESS,
    OUT,
    child_env,
    corpus_files,
    log,
    mikrobot,
    scratch_dir,
    summary,
    wait_for,
)
from bench.servers import dovecot, postgres_available, postgres_database, smtp_server, source_url

LOADED = ", 2 busy processes"
"""Suffix of the shapes measured while two busy processes load the two cores."""


def run(quick: bool) -> dict[str, Any]:
    from tests.e2e.conftest import applicant_mail, message_id

    count = 15 if quick else 60
    quiet: list[tuple[str, list[str]]] = [("one process, SQLite", [])]
    if postgres_available():
        quiet.append(("--workers 2, PostgreSQL", ["--workers", "2"]))
    shapes = [(name, args, False) for name, args in quiet]
    shapes += [(name + LOADED, args, True) for name, args in quiet]
    results: dict[str, Any] = {"mails": count, "shapes": {}, "ocr": _ocr(quick)}
    pause = random.Random(6)
    with dovecot() as server, smtp_server() as (recorder, port):
        for index, (name, args, loaded) in enumerate(shapes):
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
                    # Every mail is answered, also the warm-up mail APPENDed while a loaded
                    # machine still loads the model (before the first start is recorded).
                    reply_cutoff="2000-01-01T00:00:00+00:00",
                    **{"from": BOT_ADDRESS},
                )
                log(f"latency: {name}, {count} mails")
                logfile = OUT / f"latency-{index}.log"
                logfile.unlink(missing_ok=True)
                with _busy(2 if loaded else 0), mikrobot(["run", *args], env, logfile) as process:
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


@contextmanager
def _busy(count: int) -> Iterator[None]:
    """`count` processes that keep a core each busy (at normal priority) while in the block."""
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL)
        for _ in range(count)
    ]
    try:
        if hogs:
            time.sleep(1)
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def _ocr(quick: bool) -> dict[str, Any]:
    """Each scan read the bot's way against Tesseract alone on the same pages (quiet)."""
    import pytesseract

    from bot.settings import Settings
    from parsers.attachments import extract_attachment
    from parsers.attachments.dispatch import declared_format, sniff_format
    from parsers.attachments.isolation import extract_isolated, shown_inline, warm_up
    from parsers.attachments.logos import is_signature_logo
    from parsers.mail import parse_mail

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # as the bot runs Tesseract (ocr.py)
    limits = Settings().limits.extraction()
    warm_up(limits)
    scans, logos = [], []
    for file in corpus_files(False):
        for part in parse_mail(file.read_bytes()).attachments:
            fmt = sniff_format(part.payload, declared_format(part.filename, part.content_type))
            if fmt == "image" and shown_inline(part) and is_signature_logo(part.payload, limits):
                logos.append(part)
            elif fmt == "image":
                scans.append(part)
            elif fmt == "pdf":
                text_only = dataclasses.replace(limits, ocr_pages=0, isolate=False)
                read = extract_attachment(part.filename, part.content_type, part.payload, text_only)
                if read.scanned:
                    scans.append(part)
    scans = scans[:: 4 if quick else 1]
    language = limits.ocr_languages
    rows = []
    for part in scans:
        images = _pages(part.payload, limits)
        tesseract = 0.0
        for image in images:
            started = time.perf_counter()
            pytesseract.run_and_get_multiple_output(image, ["txt", "tsv"], lang=language)
            tesseract += time.perf_counter() - started
        started = time.perf_counter()
        read = extract_isolated(part, limits)
        ours = time.perf_counter() - started
        rows.append({"file": part.filename, "pages": len(images), "tesseract_ms": tesseract * 1000,
                     "ours_ms": ours * 1000, "ocr": read.ocr})  # fmt: skip
    logo_ms = []
    for part in logos[:: 4 if quick else 1]:
        with Image.open(io.BytesIO(part.payload)) as image:
            started = time.perf_counter()
            gray = image.convert("L")
            pytesseract.run_and_get_multiple_output(gray, ["txt", "tsv"], lang=language)
            logo_ms.append((time.perf_counter() - started) * 1000)
    total_t = sum(r["tesseract_ms"] for r in rows)
    total_o = sum(r["ours_ms"] for r in rows)
    log(f"  OCR: {len(rows)} scans, ours {total_o / 1000:.1f} s, Tesseract {total_t / 1000:.1f} s")
    return {
        "scans": rows,
        "pages": sum(r["pages"] for r in rows),
        "tesseract_s": total_t / 1000,
        "ours_s": total_o / 1000,
        "logos": len(logo_ms),
        "logo_tesseract": summary(logo_ms),
        "load": os.getloadavg()[0],
    }


def _pages(payload: bytes, limits: Any) -> list[Any]:
    """The page images Tesseract reads for this scan (as the bot renders them), blank
    pages included: what a reader without the blank-page test would send."""
    import pypdfium2 as pdfium

    if not payload.startswith(b"%PDF") and b"%PDF-" not in payload[:1024]:
        with Image.open(io.BytesIO(payload)) as image:
            return [image.convert("L")]
    document = pdfium.PdfDocument(payload)
    try:
        images = []
        for index in range(min(len(document), limits.ocr_pages)):
            page = document[index]
            images.append(page.render(scale=limits.ocr_dpi / 72).to_pil())
            page.close()
        return images
    finally:
        document.close()
