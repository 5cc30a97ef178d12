"""BENCHMARKS.md and docs/bench-*.png from the results in var/bench/*.json.

Every figure names the command that produced it. The analysis of the gaps (why a goal is
missed) is written by hand in `bench/analysis.md` and included as it is.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.common import BENCHMARKS, OUT, REPO, machine, quick

# A smoke run (BENCH_QUICK=1) writes its report next to its results, never over the real one.
BASE = OUT if quick() else REPO
DOCS = BASE / "docs"
CMD = "`.venv/bin/python -m bench {}`"


def _load(name: str) -> dict[str, Any]:
    path = OUT / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _f(value: Any, digits: int = 1, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}{unit}"


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("**met**" if ok else "**missed**")


def write() -> Path:
    results = {name: _load(name) for name in BENCHMARKS}
    plots = _plots(results)
    text = _markdown(results, plots)
    target = BASE / "BENCHMARKS.md"
    target.write_text(text)
    return target


# -- the document ------------------------------------------------------------------------------


def _markdown(r: dict[str, dict[str, Any]], plots: list[str]) -> str:
    m = machine()
    metas = {name: res.get("_meta", {}) for name, res in r.items() if res}
    quick = any(meta.get("quick") for meta in metas.values())
    out = ["# Benchmarks (issue #6)", ""]
    out.append(
        "Written by `make bench` (`.venv/bin/python -m bench`; one benchmark: "
        "`.venv/bin/python -m bench NAME`, the report alone: `… -m bench report`). "
        "Benchmarks, not tests: nothing here fails a build. Raw results: `var/bench/*.json`."
    )
    out.append("")
    if quick:
        out += ["> **BENCH_QUICK=1 smoke run**: small samples; not the figures to quote.", ""]
    out += [
        "## Machine",
        "",
        f"- {m['cores']} cores, {m['cpu']}, {m['memory_mb']:,} MB RAM; Python {m['python']}, "
        f"Linux {m['kernel']}",
        "- Load average (1 min) before → after each benchmark, in the order they ran (other "
        "engineers' test runs share these two cores; `--workers 4` raises it by itself): "
        + ", ".join(
            f"{name} {meta['load_before'][0]:.1f} → {meta['load_after'][0]:.1f}"
            f" ({meta['seconds']:.0f} s, {meta['finished']})"
            for name, meta in sorted(metas.items(), key=lambda kv: kv[1].get("finished", ""))
            if "load_before" in meta
        ),
        "",
    ]
    out += _goals(r)
    out += _floors_table(r)
    out += _latency(r)
    out += _stage_table(r)
    out += _personal_data(r)
    out += _search(r)
    out += _memory(r)
    out += _first_import(r)
    out += _scaling(r)
    out += _workers(r)
    if plots:
        out += ["## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    analysis = REPO / "bench" / "analysis.md"
    if analysis.exists():
        out += [analysis.read_text().strip(), ""]
    return "\n".join(out)


def _goals(r: dict[str, dict[str, Any]]) -> list[str]:
    rows = [
        "## The goals",
        "",
        "| goal (issue #6) | target | measured | | command |",
        "|---|---|---|---|---|",
    ]
    lat = r["latency"].get("shapes", {})
    for name, s in lat.items():
        rows.append(
            f"| 2. latency APPEND → reply at SMTP, p95 ({name}) | < 1 s | "
            f"{_f(s['p95'] / 1000, 2, ' s')} (p50 {_f(s['p50'] / 1000, 2)}, "
            f"p99 {_f(s['p99'] / 1000, 2)}, {s['n']} mails) | {_verdict(s['p95'] < 1000)} | "
            f"{CMD.format('latency')} |"
        )
    totals = r["pipeline"].get("totals", {})
    for key, label in (
        ("all", "whole fixture corpus"),
        ("without_ocr", "mails without scans"),
        ("with_ocr", "mails with scans (OCR)"),
    ):
        t = totals.get(key)
        if t:
            rows.append(
                f"| 3. triage time / floor, {label} ({t['mails']} mails) | ≤ 2× | "
                f"{_f(t['ratio'], 2, '×')} ({_f(t['e2e_ms'] / 1000, 1)} s vs "
                f"{_f(t['floor_ms'] / 1000, 1)} s) | {_verdict(t['ratio'] <= 2)} | "
                f"{CMD.format('pipeline')} |"
            )
    big = r["big_mail"].get("big")
    if big:
        rows.append(
            f"| 3. peak RSS, one {big['mail_mb']:.0f} MB mail | < 300 MB | service process "
            f"{_f(big['peak_main_mb'], 0, ' MB')}; with extraction workers (PSS) "
            f"{_f(big['peak_tree_pss_mb'], 0, ' MB')} | "
            f"{_verdict(max(big['peak_main_mb'], big['peak_tree_pss_mb']) < 300)} | "
            f"{CMD.format('big_mail')} |"
        )
    sizes = r["backlog"].get("sizes", {})
    if sizes:
        largest = sizes[max(sizes, key=int)]
        rows.append(
            f"| 3. memory growth over a {largest['mails']:,}-mail backlog | ≤ 10 % | "
            f"service RSS {_f(largest['main_growth'] * 100, 1, ' %')} "
            f"({_f(largest['main_warm_mb'], 0)} → {_f(largest['main_end_mb'], 0, ' MB')}); "
            f"with workers (PSS) {_f(largest['growth'] * 100, 1, ' %')} "
            f"({_f(largest['warm_tree_mb'], 0)} → {_f(largest['end_tree_mb'], 0, ' MB')}) | "
            f"{_verdict(max(largest['growth'], largest['main_growth']) <= 0.10)} | "
            f"{CMD.format('backlog')} |"
        )
        ok = all(s["replies_at_smtp"] == 0 and s["outbox_rows"] == 0 for s in sizes.values())
        filed = all(s["filed"] == s["mails"] for s in sizes.values())
        rows.append(
            "| 4. first import: backlog filed, no reply to mail before the first start | "
            "0 replies, all filed | "
            + "; ".join(
                f"{int(k):,}: {s['filed']:,} filed, {s['replies_at_smtp']} replies"
                for k, s in sizes.items()
            )
            + f" | {_verdict(ok and filed)} | {CMD.format('backlog')} |"
        )
    rows += _backlog_goal(r)
    rows.append(
        "| 5. `make bench` writes this file | figures, commands, floors, ratios, machine, "
        "growth, plots | this file | **met** | `make bench` |"
    )
    rows += [
        "",
        "Each figure is from the last run of its benchmark (time and load under *Machine*). "
        "Where a benchmark was re-run, *Gaps, and their causes* gives the earlier run's "
        "figures too: latency depends on the load other work puts on the two cores.",
    ]
    return [*rows, ""]


def _floors_table(r: dict[str, dict[str, Any]]) -> list[str]:
    fl, pl = r["floors"], r["pipeline"]
    out = [
        "## 1. Per stage: the floor (fastest library), the obvious choice, and ours",
        "",
        "Measured in the same run on the same mails. *Floor*: the fastest library doing only "
        "the stage's work (`bench/floors.py`); *obvious*: the choice the issue compares; "
        "*ours*: the bot's own code for the stage. Best of 2–3 repetitions per item.",
        "",
        "| stage | floor | obvious choice | ours | ours / floor | command |",
        "|---|---|---|---|---|---|",
    ]
    imap = fl.get("imap_fetch")
    if imap:
        out.append(
            f"| IMAP FETCH from Dovecot, batches of 100 ({imap['mails']} fixture mails) | "
            f"{_f(imap['floor'], 2, ' ms/mail')} (imapclient, protocol trace off) | "
            f"{_f(imap['obvious'], 2, ' ms/mail')} (imapclient defaults) | "
            f"{_f(imap['ours'], 2, ' ms/mail')} (`ImapSource.fetch_new`) | "
            f"{_f(imap['ours'] / imap['floor'], 2, '×')} | {CMD.format('floors')} |"
        )
    idle = fl.get("idle")
    if idle:
        f, o = idle["floor"], idle["ours"]
        out.append(
            f"| IDLE notification after APPEND (p50 / p95, {f['n']} rounds) | "
            f"{_f(f['p50'], 0)} / {_f(f['p95'], 0, ' ms')} (raw IDLE) | polling: 30 s–10 min | "
            f"{_f(o['p50'], 0)} / {_f(o['p95'], 0, ' ms')} (`wait_for_mail`) | "
            f"{_f(o['p50'] / f['p50'], 2, '×')} | {CMD.format('floors')} |"
        )
    stages = pl.get("stages", {})
    counts = pl.get("counts", {})
    mails = pl.get("mails", 0)
    obv = pl.get("obvious", {})
    if "parse" in stages and mails:
        s = stages["parse"]
        out.append(
            f"| MIME parse + decode ({mails} fixture mails, mean per mail) | "
            f"{_f(s['floor'] / mails, 2, ' ms')} (stdlib `email`) | — | "
            f"{_f(s['ours'] / mails, 2, ' ms')} (`parse_mail`) | "
            f"{_f(s['ours'] / s['floor'], 2, '×')} | {CMD.format('pipeline')} |"
        )
    pages = pl.get("pdf_pages", 0)
    if "attachment:pdf" in stages and pages:
        s = stages["attachment:pdf"]
        out.append(
            f"| PDF text per page ({counts.get('attachment:pdf', 0)} text PDFs, {pages} pages) | "
            f"{_f(s['floor'] / pages, 2, ' ms')} (pypdfium2) | "
            f"{_f(obv['pdf_ms_per_page']['p50'], 0, ' ms')} (pdfplumber `extract_text`, median of "
            f"{obv['pdf_ms_per_page']['n']} PDFs) | {_f(s['ours'] / pages, 2, ' ms')} "
            f"(PDFium text and table rows) | {_f(s['ours'] / s['floor'], 2, '×')} | "
            f"{CMD.format('pipeline')} |"
        )
    for key, label, lib in (
        ("attachment:pdf_scan_ocr", "scanned PDF, OCR of ≤ 3 pages", "PDFium render + Tesseract"),
        ("attachment:image_ocr", "photographed page (image), OCR", "Pillow + Tesseract"),
    ):
        if key in stages and counts.get(key):
            s, n = stages[key], counts[key]
            out.append(
                f"| {label} ({n} files, per file) | {_f(s['floor'] / n, 0, ' ms')} "
                f"({lib}) | — | {_f(s['ours'] / n, 0, ' ms')} | "
                f"{_f(s['ours'] / s['floor'], 2, '×')} | {CMD.format('pipeline')} |"
            )
    for key, label, lib, obvious in (
        ("docx", "DOCX, per file", "zip + lxml", "python-docx"),
        ("xlsx", "XLSX variable list, per file", "zip + lxml", "openpyxl read-only"),
    ):
        stage = f"attachment:{key}"
        if stage in stages and counts.get(stage):
            s, n = stages[stage], counts[stage]
            out.append(
                f"| {label} ({n} files) | {_f(s['floor'] / n, 2, ' ms')} ({lib}) | "
                f"{_f(obv[f'{key}_ms']['p50'], 1, ' ms')} ({obvious}, median of "
                f"{obv[f'{key}_ms']['n']}; floor on those "
                f"{_f(obv[f'{key}_floor_ms']['p50'], 2)}) | "
                f"{_f(s['ours'] / n, 2, ' ms')} | {_f(s['ours'] / s['floor'], 2, '×')} | "
                f"{CMD.format('pipeline')} |"
            )
    if "textcat" in stages and mails:
        s = stages["textcat"]
        out.append(
            f"| spaCy textcat per mail (body + 5,000 chars of attachments) | "
            f"{_f(s['floor'] / mails, 2, ' ms')} (our bag-of-words model alone) | "
            f"{_f(obv['textcat_ensemble_ms']['p50'], 1, ' ms')} (default ensemble, median of "
            f"{obv['textcat_ensemble_ms']['n']}; bag-of-words on those "
            f"{_f(obv['textcat_bow_ms']['p50'], 1)}) | {_f(s['ours'] / mails, 2, ' ms')} "
            f"(`classify` less the keyword rules) | {_f(s['ours'] / s['floor'], 2, '×')} | "
            f"{CMD.format('pipeline')} |"
        )
    smtp = fl.get("smtp")
    if smtp:
        out.append(
            f"| SMTP send of one reply ({smtp['replies']} replies to aiosmtpd) | "
            f"{_f(smtp['floor'], 2, ' ms')} (smtplib, one connection) | "
            f"{_f(smtp['obvious'], 2, ' ms')} (a new connection per reply) | "
            f"{_f(smtp['ours'], 2, ' ms')} (`SmtpSender`) | "
            f"{_f(smtp['ours'] / smtp['floor'], 2, '×')} | {CMD.format('floors')} |"
        )
    typical = pl.get("totals", {}).get("new_application_without_ocr")
    if typical and typical["mails"]:
        out += [
            "",
            f"A typical new application without scans ({typical['mails']} such fixture mails: "
            "form, DPIA, variable list, script as PDF/DOCX/XLSX): median floor "
            f"**{_f(typical['median_floor_ms'], 1, ' ms')}**, median of our whole triage "
            f"**{_f(typical['median_e2e_ms'], 1, ' ms')}** "
            f"(totals {_f(typical['e2e_ms'] / 1000, 2)} s vs {_f(typical['floor_ms'] / 1000, 2)} s,"
            f" {_f(typical['ratio'], 1, '×')}).",
        ]
    return [*out, ""]


def _stage_table(r: dict[str, dict[str, Any]]) -> list[str]:
    pl = r["pipeline"]
    stages = pl.get("stages", {})
    if not stages:
        return []
    totals = pl["totals"]["all"]
    ours_total = sum(s["ours"] for s in stages.values())
    out = [
        "## 3. Where our triage time goes (whole corpus)",
        "",
        f"{pl['mails']} fixture mails; sums over the corpus. The stage times are measured one "
        "by one in-process; *end to end* is the real `triage_with_mail` with the bot's own "
        f"settings (isolated extraction workers): {_f(totals['e2e_ms'] / 1000, 2)} s against "
        f"a floor of {_f(totals['floor_ms'] / 1000, 2)} s. Stages without a floor are work "
        "the libraries do not do at all (they count in ours, not in the floor). "
        f"Command: {CMD.format('pipeline')}.",
        "",
        "| stage | ours (s) | floor (s) | ours / floor | share of ours |",
        "|---|---|---|---|---|",
    ]
    for name, s in sorted(stages.items(), key=lambda kv: -kv[1]["ours"]):
        ratio = s["ours"] / s["floor"] if s["floor"] else float("nan")
        floor = _f(s["floor"] / 1000, 2) if s["floor"] else "—"
        out.append(
            f"| {name} | {_f(s['ours'] / 1000, 2)} | {floor}"
            f" | {_f(ratio, 1, '×')} | {_f(100 * s['ours'] / ours_total, 1, ' %')} |"
        )
    return [*out, ""]


def _personal_data(r: dict[str, dict[str, Any]]) -> list[str]:
    p = r.get("personal_data") or {}
    if "scan_seconds" not in p:
        return []
    return [
        "## The personal-data scan (issue #11)",
        "",
        f"A {p['megabytes']:.0f} MB CSV register extract ({p['rows']:,} rows, "
        f"{p['distinct_ids']:,} distinct national IDs), `python -m bench personal_data`. The "
        'floor is a plain `re.finditer(r"\\d{11}")` over the same text; the scan is '
        "`parsers.national_id.scan` (one pass: validates each distinct number, applies the "
        "account/KID rule, writes the masked text); the extraction is the whole attachment "
        "path (decode, bounded text, the count over all of it).",
        "",
        "| | seconds | × floor |",
        "|---|---|---|",
        f"| floor (`re.finditer`) | {p['floor_seconds']:.2f} | 1 |",
        f"| scan | {p['scan_seconds']:.2f} | {p['scan_over_floor']:.1f} |",
        f"| whole extraction | {p['extract_seconds']:.2f} | {p['extract_over_floor']:.1f} |",
        "",
    ]


def _search(r: dict[str, dict[str, Any]]) -> list[str]:
    s = r.get("search") or {}
    databases = s.get("databases") or {}
    if not databases:
        return []
    names = list(databases)
    out = [
        "## Search at 20,000 tickets (issue #12)",
        "",
        f"{s['tickets']:,} tickets of one mail each (the fixture corpus's subjects, senders and "
        "texts, each with about 600 words of attachment text), `python -m bench search`. Each "
        "figure is the queue's search as the page runs it (`bot.store.tickets.queue`: the page "
        "of 25 and the counts per category), warm, the median of "
        f"{s['repeat']} runs; *LIKE before* is the search as it was before issue #12 (a "
        "case-insensitive LIKE over every mail's subject and sender and every ticket's fields) "
        "on the same store. Full-text: SQLite FTS5, PostgreSQL `tsvector` (`norwegian`) with a "
        "GIN index (`bot/store/search.py`).",
        "",
        "| search | "
        + " | ".join(f"{n}: hits | {n}: ms | {n}: LIKE before, ms" for n in names)
        + " |",
        "|---|" + "---|---|---|" * len(names),
    ]
    rows = {q["query"]: q["what"] for q in databases[names[0]]["queries"]}
    for query, what in rows.items():
        cells = []
        for name in names:
            found = next(q for q in databases[name]["queries"] if q["query"] == query)
            cells += [f"{found['hits']:,}", f"{found['ms']:.1f}", f"{found['old_like_ms']:.0f}"]
        out.append(f"| {what}: `{query}` | " + " | ".join(cells) + " |")
    out += [
        "",
        "A search costs what its hits cost: the counts per category and the page read every "
        "ticket that matches, so a word in nearly every ticket (in its attachments' text, which "
        "the LIKE never read) costs more than a rare one.",
    ]
    out.append("")
    meta = s.get("_meta") or {}
    load = ""
    if "load_before" in meta:
        load = (
            f" Load average (1 min) {meta['load_before'][0]:.0f} → {meta['load_after'][0]:.0f}"
            f" during the run ({meta['finished']}): other test runs shared the two cores."
        )
    out.append(
        "Writing the store: "
        + "; ".join(
            f"{n} {d['build_seconds']:.0f} s, {d['size_mb']:.0f} MB" for n, d in databases.items()
        )
        + "."
        + load
    )
    out.append("")
    return out


def _latency(r: dict[str, dict[str, Any]]) -> list[str]:
    shapes = r["latency"].get("shapes", {})
    if not shapes:
        return []
    out = [
        "## 2. Latency",
        "",
        "The real `mikrobot run` (IDLE) against a private Dovecot and aiosmtpd; mails APPENDed "
        "one at a time (a random 0.2–1 s after the previous reply), each an applicant mail "
        "with text attachments; the relay's copy of each reply comes back into the inbox. "
        f"Command: {CMD.format('latency')}.",
        "",
        "| shape | mails | p50 | p95 | p99 | max |",
        "|---|---|---|---|---|---|",
    ]
    for name, s in shapes.items():
        out.append(
            f"| {name} | {s['n']} | {_f(s['p50'], 0, ' ms')} | {_f(s['p95'], 0, ' ms')} | "
            f"{_f(s['p99'], 0, ' ms')} | {_f(s['max'], 0, ' ms')} |"
        )
    out.append("")
    out += _ocr(r["latency"].get("ocr", {}))
    return [*out, ""]


def _ocr(ocr: dict[str, Any]) -> list[str]:
    """OCR the bot's way against Tesseract alone on the same pages (`bench/latency.py`)."""
    if not ocr.get("scans"):
        return []
    scans = ocr["scans"]
    pdfs = [s for s in scans if s["file"].lower().endswith(".pdf")]
    images = [s for s in scans if not s["file"].lower().endswith(".pdf")]
    out = [
        "OCR against Tesseract's own time, the same pages (measured before the shapes above, load "
        f"{ocr['load']:.1f}): *Tesseract* is its runs alone on the pages the bot renders, "
        "one after the other; *ours* is the whole isolated extraction (plain worker, then the "
        "niced OCR worker: render, blank-page test, pages in parallel where cores are idle, "
        "ink of the acceptance block).",
        "",
        "| scans | pages | Tesseract alone | ours | ours / Tesseract |",
        "|---|---|---|---|---|",
    ]
    for label, rows in (("scanned PDFs", pdfs), ("images", images), ("all", scans)):
        if not rows:
            continue
        tesseract = sum(x["tesseract_ms"] for x in rows) / 1000
        ours = sum(x["ours_ms"] for x in rows) / 1000
        out.append(
            f"| {label} ({len(rows)}) | {sum(x['pages'] for x in rows)} | {_f(tesseract, 1, ' s')}"
            f" | {_f(ours, 1, ' s')} | {_f(ours / tesseract if tesseract else None, 2, '×')} |"
        )
    logos = ocr.get("logo_tesseract", {})
    if ocr.get("logos"):
        out += [
            "",
            f"Signature logos in the corpus (inline, shown by `cid:`, small): {ocr['logos']}; "
            f"Tesseract would spend p50 {_f(logos.get('p50'), 0, ' ms')} on each "
            "(now not read at all).",
        ]
    return [*out, ""]


def _memory(r: dict[str, dict[str, Any]]) -> list[str]:
    big = r["big_mail"]
    if not big.get("big"):
        return []
    b, base = big["big"], big["baseline"]
    return [
        "## 3. Memory: one 60 MB mail",
        "",
        f"`mikrobot run --once` on a Maildir holding one {b['mail_mb']:.0f} MB mail (4-page form, "
        "15-page DPIA, three 3-page scans of ~13 MB, a CSV export), SQLite, replies to a "
        "folder. "
        f"Command: {CMD.format('big_mail')}.",
        "",
        "| run | service process, peak RSS | service + extraction workers, peak PSS | wall | "
        "exit |",
        "|---|---|---|---|---|",
        f"| baseline: one fixture mail | {_f(base['peak_main_mb'], 0, ' MB')} | "
        f"{_f(base['peak_tree_pss_mb'], 0, ' MB')} | {_f(base['wall_s'], 1, ' s')} | "
        f"{base['exit_code']} |",
        f"| the {b['mail_mb']:.0f} MB mail | {_f(b['peak_main_mb'], 0, ' MB')} | "
        f"{_f(b['peak_tree_pss_mb'], 0, ' MB')} | {_f(b['wall_s'], 1, ' s')} | "
        f"{b['exit_code']} |",
        "",
        "Sampled every 50 ms from /proc (RSS of the service; PSS summed over its process "
        "tree, so pages the forked workers share are counted once). `ru_maxrss` is not "
        "used: the child's count starts as a fork of the benchmark process itself.",
        "",
    ]


def _backlog_formats(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Mailbox format → its sizes; a result from before formats were measured is Maildir."""
    if result.get("formats"):
        return {name: f["sizes"] for name, f in result["formats"].items()}
    return {"maildir": result["sizes"]} if result.get("sizes") else {}


def _backlog_goal(r: dict[str, dict[str, Any]]) -> list[str]:
    rows = []
    for name, sizes in _backlog_formats(r["backlog"]).items():
        keys = sorted(sizes, key=int)
        if len(keys) < 2:
            continue
        small, large = sizes[keys[0]], sizes[keys[-1]]
        ratio = large["ms_per_mail"] / small["ms_per_mail"]
        cpu = [
            s.get("bot_cpu_ms_per_mail", math.nan) + s.get("dovecot_cpu_ms_per_mail", math.nan)
            for s in (small, large)
        ]
        rows.append(
            f"| 3. backlog cost, ms / mail at {int(keys[-1]):,} against {int(keys[0]):,} "
            f"({name}) | ≤ 1.2× | wall {_f(ratio, 2, '×')} ({_f(large['ms_per_mail'], 1)} vs "
            f"{_f(small['ms_per_mail'], 1)} ms); CPU, bot + Dovecot, "
            f"{_f(cpu[1] / cpu[0], 2, '×')} (bot "
            f"{_f(large.get('bot_cpu_ms_per_mail'), 1)} vs "
            f"{_f(small.get('bot_cpu_ms_per_mail'), 1)}, Dovecot "
            f"{_f(large.get('dovecot_cpu_ms_per_mail'), 1)} vs "
            f"{_f(small.get('dovecot_cpu_ms_per_mail'), 1)} ms) | {_verdict(ratio <= 1.2)} | "
            f"{CMD.format('backlog')} |"
        )
    return rows


def _first_import(r: dict[str, dict[str, Any]]) -> list[str]:
    formats = _backlog_formats(r["backlog"])
    if not formats:
        return []
    out = [
        "## 4–5. First import, and cost against mail count",
        "",
        "A backlog APPENDed with an INTERNALDATE of January 2024, then the bot's first "
        "`mikrobot run --once` (default `reply_cutoff`: its first start), SQLite, Dovecot. "
        "The mails are small applicant mails with text attachments, so this is the per-mail "
        "cost of fetch → queue → triage → file → move, not of PDF extraction. "
        f"Command: {CMD.format('backlog')}.",
        "",
        "Per mailbox format of Dovecot; *after start-up* leaves out the ~3 s of model "
        "loading before the first fetch; CPU is the bot's (its process and what it reaped) "
        "and Dovecot's (its process group), per mail.",
        "",
        "| Dovecot | backlog | wall | ms / mail | after start-up | CPU bot | CPU Dovecot "
        "| mails / s | filed | replies at SMTP | outbox rows | "
        "left in INBOX | service RSS warm → end | tree PSS warm → end | peak PSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for mail_format, sizes in formats.items():
        out += _first_import_rows(mail_format, sizes)
    return [*out, ""]


def _first_import_rows(mail_format: str, sizes: dict[str, Any]) -> list[str]:
    out = []
    for key, s in sizes.items():
        out.append(
            f"| {mail_format} | {int(key):,} | {_f(s['wall_s'], 0, ' s')} | "
            f"{_f(s['ms_per_mail'], 1)} | {_f(s.get('steady_ms_per_mail'), 1)} | "
            f"{_f(s.get('bot_cpu_ms_per_mail'), 1)} | {_f(s.get('dovecot_cpu_ms_per_mail'), 1)} | "
            f"{_f(s['mails_per_s'], 1)} | {s['filed']:,} | {s['replies_at_smtp']} | "
            f"{s['outbox_rows']} | {s['left_in_inbox']} | {_f(s['main_warm_mb'], 0)} → "
            f"{_f(s['main_end_mb'], 0, ' MB')} ({_f(s['main_growth'] * 100, 1, ' %')}) | "
            f"{_f(s['warm_tree_mb'], 0)} → {_f(s['end_tree_mb'], 0, ' MB')} "
            f"({_f(s['growth'] * 100, 1, ' %')}) | {_f(s['peak_tree_pss_mb'], 0, ' MB')} |"
        )
    return out


def _scaling(r: dict[str, dict[str, Any]]) -> list[str]:
    sizes = r["scaling"].get("sizes", {})
    if not sizes:
        return []
    out = [
        "## 5. Cost against attachment size",
        "",
        "One generated text PDF (DPIA prose) of 1, 10 and 50 pages. "
        f"Command: {CMD.format('scaling')}.",
        "",
        "| pages | size | floor (PDFium) | pdfplumber `extract_text` | ours in-process | "
        "ours, isolated worker | whole triage of a mail with it | ours / floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, s in sizes.items():
        out.append(
            f"| {key} | {_f(s['kb'], 0, ' KB')} | {_f(s['floor_ms'], 1, ' ms')} | "
            f"{_f(s['obvious_ms'], 0, ' ms')} | {_f(s['ours_ms'], 1, ' ms')} | "
            f"{_f(s['ours_isolated_ms'], 1, ' ms')} | {_f(s['triage_ms'], 1, ' ms')} | "
            f"{_f(s['ours_ms'] / s['floor_ms'], 1, '×')} |"
        )
    return [*out, ""]


def _workers(r: dict[str, dict[str, Any]]) -> list[str]:
    w = r["workers"]
    shapes = w.get("shapes", {})
    if not shapes:
        return [f"## Throughput against workers\n\nskipped: {w.get('skipped', 'no result')}\n"]
    out = [
        "## Throughput against workers (PostgreSQL)",
        "",
        f"{w['mails']} fixture mails (every {w.get('step', 4)}th, scans included), each filed and "
        "answered (auto-replies and the like are filed, not answered); "
        "fresh database and mailbox per shape. *Filing*: first fetch → last filing (start-up "
        f"excluded). Command: {CMD.format('workers')}.",
        "",
        "| workers | mails / s (filing) | filing | wall (with start-up) | filed | replies |",
        "|---|---|---|---|---|---|",
    ]
    for key, s in shapes.items():
        label = "0 (one process)" if key == "0" else key
        out.append(
            f"| {label} | {_f(s['mails_per_s'], 2)} | {_f(s['steady_s'], 1, ' s')} | "
            f"{_f(s['wall_s'], 1, ' s')} | {s['filed']} | {s['replies']} |"
        )
    return [*out, ""]


# -- plots ------------------------------------------------------------------------------------


def _plots(r: dict[str, dict[str, Any]]) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    DOCS.mkdir(exist_ok=True)
    made = []
    shapes = r["workers"].get("shapes", {})
    if shapes:
        fig, ax = plt.subplots(figsize=(6, 4))
        keys = sorted(shapes, key=int)
        xs = [int(k) for k in keys]
        ax.plot(xs, [shapes[k]["mails_per_s"] for k in keys], "o-", label="filing (steady)")
        ax.plot(
            xs, [shapes[k]["mails_per_s_wall"] for k in keys], "s--", label="wall, start-up incl."
        )
        ax.set_xticks(xs, ["0\n(one process)" if x == 0 else str(x) for x in xs])
        ax.set_xlabel("--workers")
        ax.set_ylabel("mails / s")
        ax.set_title(f"Throughput against workers ({r['workers']['mails']} fixture mails)")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(DOCS / "bench-workers.png", dpi=110)
        plt.close(fig)
        made.append("docs/bench-workers.png")
    lat = r["latency"].get("shapes", {})
    if lat:
        fig, ax = plt.subplots(figsize=(6, 4))
        for name, s in lat.items():
            values = sorted(s["ms"])
            ys = [100 * (i + 1) / len(values) for i in range(len(values))]
            ax.step(values, ys, where="post", label=name)
            for p in ("p50", "p95", "p99"):
                ax.axvline(s[p], alpha=0.25, linestyle=":")
        ax.axvline(1000, color="red", alpha=0.5, label="goal: p95 < 1 s")
        ax.set_xlabel("APPEND → reply at SMTP (ms)")
        ax.set_ylabel("percentile")
        ax.set_title("Latency percentiles")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(DOCS / "bench-latency.png", dpi=110)
        plt.close(fig)
        made.append("docs/bench-latency.png")
    sizes = r["backlog"].get("sizes", {})
    if sizes:
        fig, ax = plt.subplots(figsize=(6, 4))
        for key, s in sizes.items():
            points = [(done, mb) for _, mb, done in s["samples"] if done]
            if points:
                ax.plot(*zip(*points, strict=True), label=f"{int(key):,} mails")
        ax.set_xlabel("mails filed")
        ax.set_ylabel("PSS, service + workers (MB)")
        ax.set_title("Memory over a first import")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(DOCS / "bench-backlog-rss.png", dpi=110)
        plt.close(fig)
        made.append("docs/bench-backlog-rss.png")
    if _backlog_cost_plot(plt, r["backlog"], _load("backlog-before")):
        made.append("docs/bench-backlog-cost.png")
    return made


def _backlog_cost_plot(plt: Any, after: dict[str, Any], before: dict[str, Any]) -> bool:
    """Per-mail cost against backlog size: wall after start-up, the bot's CPU and Dovecot's,
    per mailbox format; `var/bench/backlog-before.json` (an earlier run, kept by hand) is
    drawn faintly beside it."""
    runs = [(label, _backlog_formats(res)) for label, res in (("", after), ("before", before))]
    if not any(formats for _, formats in runs):
        return False
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharex=True)
    columns = (
        ("steady_ms_per_mail", "wall after start-up"),
        ("bot_cpu_ms_per_mail", "CPU, bot"),
        ("dovecot_cpu_ms_per_mail", "CPU, Dovecot"),
    )
    colours: dict[str, str] = {}
    sizes_seen: set[int] = set()
    for label, formats in runs:
        for mail_format, sizes in formats.items():
            colour = colours.setdefault(mail_format, f"C{len(colours)}")
            keys = sorted((k for k in sizes if sizes[k].get("dovecot_cpu_ms_per_mail")), key=int)
            style = {"alpha": 0.45, "linestyle": "--"} if label else {"linestyle": "-"}
            name = f"{mail_format}, {label}" if label else mail_format
            for ax, (column, _title) in zip(axes, columns, strict=True):
                if keys:
                    ys = [sizes[k][column] for k in keys]
                    xs = [int(k) for k in keys]
                    sizes_seen.update(xs)
                    ax.plot(xs, ys, marker="o", color=colour, label=name, **style)
    for ax, (_column, title) in zip(axes, columns, strict=True):
        ax.set_xscale("log")
        ax.set_xticks(sorted(sizes_seen), [f"{n:,}" for n in sorted(sizes_seen)])
        ax.minorticks_off()
        ax.set_xlabel("mails in the backlog")
        ax.set_ylabel("ms / mail")
        ax.set_title(title)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Cost per mail against backlog size (first import, `mikrobot run --once`)")
    fig.tight_layout()
    fig.savefig(DOCS / "bench-backlog-cost.png", dpi=110)
    plt.close(fig)
    return True


if __name__ == "__main__":
    print(write())
