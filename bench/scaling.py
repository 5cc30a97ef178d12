"""How cost grows with attachment size: one text PDF of 1, 10 and 50 pages.

For each size: the floor (PDFium text), the obvious choice (pdfplumber `extract_text`),
our extractor in-process, our extractor through the isolated worker pool (what the bot
runs), and the whole triage of a mail carrying that PDF.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from bench import floors
from bench.big_mail import text_pdf
from bench.common import log


def _ms(repeat: int, work: Any) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def run(quick: bool) -> dict[str, Any]:
    from bot.context import load_triage_context
    from bot.settings import Settings
    from bot.triage import triage_with_mail
    from parsers.attachments import extract_attachment
    from parsers.attachments.isolation import read_attachment
    from parsers.message import RawAttachment
    from tests.conftest import make_mail

    repeat = 2 if quick else 5
    context = load_triage_context(Settings(_env_file=None))  # type: ignore[call-arg]
    inproc = replace(context.extraction_limits, isolate=False)
    results: dict[str, Any] = {"sizes": {}}
    for pages in (1, 10, 50):
        payload = text_pdf(pages, "Personvernkonsekvensutredning (DPIA)")
        name = "dpia.pdf"
        attachment = RawAttachment(name, "application/pdf", payload)
        raw = make_mail(
            "Vedlagt følger vår søknad om tilgang til mikrodata med DPIA.",
            attachments=[(name, "application/pdf", payload)],
        )
        read_attachment(attachment, context.extraction_limits)  # warm the worker pool
        row = {
            "pages": pages,
            "kb": len(payload) / 1024,
            "floor_ms": _ms(repeat, lambda p=payload: floors.pdf_text(p)),
            "obvious_ms": _ms(max(1, repeat // 2), lambda p=payload: floors.pdf_text_pdfplumber(p)),
            "ours_ms": _ms(
                repeat,
                lambda p=payload, n=name: extract_attachment(n, "application/pdf", p, inproc),
            ),
            "ours_isolated_ms": _ms(
                repeat, lambda a=attachment: read_attachment(a, context.extraction_limits)
            ),
            "triage_ms": _ms(repeat, lambda r=raw: triage_with_mail(r, "bench.eml", context)),
        }
        results["sizes"][str(pages)] = row
        log(
            f"scaling: {pages} pages: floor {row['floor_ms']:.1f} ms, ours "
            f"{row['ours_ms']:.1f} ms, isolated {row['ours_isolated_ms']:.1f} ms, "
            f"pdfplumber {row['obvious_ms']:.0f} ms, triage {row['triage_ms']:.1f} ms"
        )
    return results
