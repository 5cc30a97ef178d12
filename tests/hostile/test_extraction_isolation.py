"""The extraction worker: a hard time and memory limit that kills only the worker, which is
replaced, while the attachment gets an error and the same bytes give the same text."""

from __future__ import annotations

import io
import os
import threading
import time
from dataclasses import replace

import pytest
from PIL import Image, ImageDraw

from parsers.attachments import ExtractionLimits, extract_attachment, isolation
from parsers.attachments.isolation import (
    ExtractionPool,
    _niceness,
    extract_isolated,
    read_attachment,
)
from parsers.message import RawAttachment
from tests.hostile.inputs import pdf_huge_content_stream

ISOLATED = ExtractionLimits(isolate=True)
LETTER = RawAttachment("brev.txt", "text/plain", "Søknad om tilgang til mikrodata.".encode())


def test_isolated_and_in_process_extraction_give_the_same_text() -> None:
    isolated = extract_isolated(LETTER, ISOLATED)
    local = extract_attachment(LETTER.filename, LETTER.content_type, LETTER.payload, ISOLATED)
    assert isolated == local and isolated.text == "Søknad om tilgang til mikrodata."


def test_overrunning_worker_is_killed_and_replaced_by_a_working_one() -> None:
    pool = ExtractionPool()
    limits = replace(ISOLATED, max_seconds=0.5, kill_after_seconds=1.0)
    slow = RawAttachment("treg.pdf", "application/pdf", pdf_huge_content_stream(40))
    try:
        started = time.perf_counter()
        result = pool.extract(slow, limits)
        assert time.perf_counter() - started < 4
        assert result.error == "extraction timed out after 1 s"
        assert result.format == "pdf" and result.text == ""
        assert pool.extract(LETTER, limits).text.startswith("Søknad")
    finally:
        pool.close()


def test_attachment_needing_more_memory_than_allowed_kills_only_the_worker() -> None:
    pool = ExtractionPool()
    limits = replace(ISOLATED, max_memory_mb=400, kill_after_seconds=60)
    monster = RawAttachment("monster.pdf", "application/pdf", pdf_huge_content_stream(300))
    try:
        result = pool.extract(monster, limits)
        assert result.error is not None and "out of memory (limit 400 MB)" in result.error
        assert pool.extract(LETTER, limits).error is None
    finally:
        pool.close()


def test_one_warm_worker_serves_attachment_after_attachment() -> None:
    """Workers are reused, not started per attachment (the cost per attachment, 0.15 ms
    against 0.03 ms in-process, is measured by `make bench`, not asserted here)."""
    pool = isolation.extraction_pool()
    extract_isolated(LETTER, ISOLATED)
    plain = (ISOLATED.max_memory_mb, 0)
    (worker,) = pool._idle[plain]
    served = worker.tasks
    for _ in range(20):
        assert extract_isolated(LETTER, ISOLATED).text.startswith("Søknad")
    assert pool._idle[plain] == [worker] and worker.process.is_alive()
    assert worker.tasks == served + 20


def test_in_process_path_never_starts_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden() -> None:
        raise AssertionError("no worker may start when isolation is off")

    monkeypatch.setattr(isolation, "extraction_pool", forbidden)
    result = read_attachment(LETTER, ExtractionLimits(isolate=False))
    assert result.text.startswith("Søknad")


def _scan() -> RawAttachment:
    page = Image.new("L", (1400, 300), color=255)
    ImageDraw.Draw(page).text((40, 100), "Saksnummer 24/01872", fill=0, font_size=72)
    out = io.BytesIO()
    page.save(out, format="PNG")
    return RawAttachment("skann.png", "image/png", out.getvalue())


def test_scans_are_read_by_ocr_workers_at_a_lower_cpu_priority() -> None:
    pool = ExtractionPool()
    limits = replace(ISOLATED, ocr_niceness=7)
    ours = os.nice(0)
    try:
        assert "24/01872" in pool.extract(_scan(), limits).text
        assert pool.extract(LETTER, limits).text.startswith("Søknad")
        ocr_kind, plain_kind = (limits.max_memory_mb, 7), (limits.max_memory_mb, 0)
        assert len(pool._idle[ocr_kind]) == 1, "the scan went to an OCR worker"
        assert len(pool._idle[plain_kind]) == 1, "the letter to a plain one"
        niceness = pool.run(_niceness, None, seconds=10, max_memory_mb=limits.max_memory_mb,
                            failed=lambda _: -1, niceness=7)  # fmt: skip
        assert niceness == min(19, ours + 7)
        plain = pool.run(_niceness, None, seconds=10, max_memory_mb=limits.max_memory_mb,
                         failed=lambda _: -1)  # fmt: skip
        assert plain == ours
    finally:
        pool.close()


def test_a_scan_waits_for_a_free_ocr_slot_while_text_extraction_goes_on() -> None:
    pool = ExtractionPool()
    limits = replace(ISOLATED, ocr_workers=1)
    results: list[str] = []
    slot = pool.ocr_slot(1)
    slot.acquire()  # another scan of this process is being read
    reader = threading.Thread(target=lambda: results.append(pool.extract(_scan(), limits).text))
    try:
        reader.start()
        reader.join(timeout=3)
        assert reader.is_alive() and results == [], "no OCR while the one slot is taken"
        assert pool.extract(LETTER, limits).text.startswith("Søknad"), "text goes on"
        slot.release()
        reader.join(timeout=60)
        assert results and "24/01872" in results[0]
    finally:
        pool.close()
