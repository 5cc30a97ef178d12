"""Our triage on the fixture corpus, stage by stage and end to end, against the floor.

For every mail: the floor (`bench/floors.py`: stdlib MIME, PDFium, zip+lxml, Tesseract for
scans, the bag-of-words textcat alone) and our stages on the same bytes, then the real
`triage_with_mail` with the bot's own settings (attachments extracted in the isolated
worker pool, as `mikrobot run` does). Stages without a library floor (attachment kinds,
loop guard, language, fields, rules, requirements) count in ours and not in the floor:
the floor is what the libraries must do, the rest is what we add.
"""

# ruff: noqa: B023 - every lambda below is timed and called at once, inside its iteration
from __future__ import annotations

import statistics
import time
from collections import defaultdict
from typing import Any

from bench import floors
from bench.common import corpus_files, log, summary


def _timed(repeat: int, work: Any) -> tuple[float, Any]:
    """(fastest of `repeat` runs in ms, the last result)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best * 1000, result


def run(quick: bool) -> dict[str, Any]:
    from dataclasses import replace

    from bot.attachment_kinds import judge_attachment
    from bot.classify import ClassifierInput, classify
    from bot.classify.keywords import keyword_scores
    from bot.classify.model import model_text
    from bot.context import load_triage_context
    from bot.language import detect_language
    from bot.loop_guard import auto_generated_reasons
    from bot.reply_policy import verdict_reply
    from bot.requirements import missing_items
    from bot.settings import Settings
    from bot.triage import (
        ReadMail,
        _present_items,
        check_offer,
        extract_fields,
        triage_with_mail,
    )
    from bot.verdict import Category
    from parsers.attachments import extract_attachment
    from parsers.attachments.dispatch import declared_format, sniff_format
    from parsers.mail import parse_mail

    repeat = 1 if quick else 2
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    context = load_triage_context(settings)  # isolated extraction: the bot's own setting
    inproc = replace(context.extraction_limits, isolate=False)
    model = context.model
    assert model is not None, "no trained model: run `make model`"
    files = corpus_files(quick)
    log(f"pipeline: {len(files)} fixture mails, best of {repeat}")

    # Warm up: the isolated worker pool, lingua's models, spaCy.
    for file in files[:3]:
        triage_with_mail(file.read_bytes(), str(file), context)

    stages: dict[str, dict[str, float]] = defaultdict(lambda: {"ours": 0.0, "floor": 0.0})
    counts: dict[str, int] = defaultdict(int)
    pages: dict[str, int] = defaultdict(int)
    per_mail: list[dict[str, Any]] = []
    obvious: dict[str, list[float]] = defaultdict(list)
    """ms per page (PDF) or per file (DOCX/XLSX), on the first files of each format."""
    floor_for_obvious: dict[str, list[float]] = defaultdict(list)
    textcat_texts: list[str] = []

    for number, file in enumerate(files):
        raw = file.read_bytes()
        row: dict[str, Any] = {"file": str(file.relative_to(file.parents[2])), "bytes": len(raw)}
        row["category"] = file.parent.name

        t_floor_parse, _ = _timed(repeat, lambda raw=raw: floors.parse(raw))
        t_parse, mail = _timed(repeat, lambda raw=raw: parse_mail(raw, context.mail_limits))
        stages["parse"]["floor"] += t_floor_parse
        stages["parse"]["ours"] += t_parse
        floor_ms, ours_ms, ocr = t_floor_parse, t_parse, False

        attachments = []
        for attachment in mail.attachments[: context.max_attachments]:
            declared = declared_format(attachment.filename, attachment.content_type)
            fmt = sniff_format(attachment.payload, declared) if attachment.payload else declared
            payload = attachment.payload
            heavy = fmt == "image" or (fmt == "pdf" and b"/Image" in payload[:200_000])
            t_ours, text = _timed(
                1 if heavy else repeat,
                lambda a=attachment: extract_attachment(
                    a.filename, a.content_type, a.payload, inproc
                ),
            )
            attachments.append(text)
            stage: str = fmt
            t_floor = 0.0
            try:
                if fmt == "pdf" and text.pages is not None and not text.error:
                    if text.scanned:
                        stage = "pdf_scan_ocr"
                        t_floor, _ = _timed(1, lambda p=payload: floors.pdf_text(p))
                        t_ocr, _ = _timed(
                            1,
                            lambda p=payload: floors.ocr_pdf(
                                p, inproc.ocr_pages, inproc.ocr_dpi, inproc.ocr_languages
                            ),
                        )
                        t_floor += t_ocr
                    else:
                        t_floor, (_, n_pages) = _timed(repeat, lambda p=payload: floors.pdf_text(p))
                        pages["pdf"] += n_pages
                        if len(obvious["pdf"]) < (3 if quick else 12):
                            t_obv, (_, n) = _timed(
                                1, lambda p=payload: floors.pdf_text_pdfplumber(p)
                            )
                            obvious["pdf"].append(t_obv / max(n, 1))
                            floor_for_obvious["pdf"].append(t_floor / max(n_pages, 1))
                elif fmt == "docx" and not text.error:
                    t_floor, _ = _timed(repeat, lambda p=payload: floors.docx_text(p))
                    if len(obvious["docx"]) < (3 if quick else 20):
                        t_obv, _ = _timed(repeat, lambda p=payload: floors.docx_text_python_docx(p))
                        obvious["docx"].append(t_obv)
                        floor_for_obvious["docx"].append(t_floor)
                elif fmt == "xlsx" and not text.error:
                    t_floor, _ = _timed(repeat, lambda p=payload: floors.xlsx_text(p))
                    if len(obvious["xlsx"]) < (3 if quick else 20):
                        t_obv, _ = _timed(repeat, lambda p=payload: floors.xlsx_text_openpyxl(p))
                        obvious["xlsx"].append(t_obv)
                        floor_for_obvious["xlsx"].append(t_floor)
                elif fmt == "text":
                    t_floor, _ = _timed(repeat, lambda p=payload: floors.text_attachment(p))
                elif fmt == "image" and text.scanned:
                    stage = "image_ocr"
                    t_floor, _ = _timed(1, lambda p=payload: floors.ocr_image(p))
            except Exception as error:  # the floor reads only what a plain library can
                log(f"  floor failed on {file.name}/{attachment.filename}: {error!r}")
            if stage in ("pdf_scan_ocr", "image_ocr"):
                ocr = ocr or bool(text.ocr or text.scanned)
            stage = f"attachment:{stage}"
            stages[stage]["ours"] += t_ours
            stages[stage]["floor"] += t_floor
            counts[stage] += 1
            floor_ms += t_floor
            ours_ms += t_ours

        # Our stages after extraction, in `triage.judge`'s order, on what we extracted.
        texts = tuple(attachments)
        mail_words = "\n".join((mail.subject, mail.text.new, mail.text.forwarded))
        t, kinds = _timed(
            repeat,
            lambda: tuple(judge_attachment(a, context.rules, mail_words) for a in texts),
        )
        stages["attachment kinds"]["ours"] += t
        ours_ms += t
        inputs = ClassifierInput(
            subject=mail.subject,
            new_text=mail.text.new,
            forwarded_text=mail.text.forwarded,
            attachment_text="\n".join(a.text[:2_000] for a in texts),
            attachment_kinds=tuple(k.kind for k in kinds),
        )
        read = ReadMail(mail, texts, kinds, inputs)
        rules = context.rules
        took: dict[str, float] = {}
        for name, work in (
            (
                "loop guard",
                lambda: auto_generated_reasons(mail, rules.auto_generated, context.own_addresses),
            ),
            (
                "language",
                lambda: detect_language(
                    (
                        mail.text.new,
                        mail.text.forwarded,
                        mail.subject,
                        *(a.text[:1_000] for a in texts),
                    ),
                    rules.language,
                ),
            ),
            ("fields", lambda: extract_fields(read, rules)),
            ("keyword rules", lambda: keyword_scores(inputs, rules)),
        ):
            took[name], _ = _timed(repeat, work)
        text_for_model = model_text(inputs)
        textcat_texts.append(text_for_model)
        t_textcat_floor, _ = _timed(repeat, lambda: model.nlp(text_for_model))
        t_classify, classification = _timed(repeat, lambda: classify(inputs, rules, model))
        # `classify` = keyword rules + the model: the model's share is the rest.
        took["textcat"] = max(t_classify - took["keyword rules"], 0.0)
        stages["textcat"]["floor"] += t_textcat_floor
        floor_ms += t_textcat_floor

        def requirements(classification: Any = classification) -> Any:
            items = _present_items(read, fields, rules, check_offer(read, rules))
            missing = missing_items(
                classification.category, items.present, items.conditions, context.requirements
            )
            return verdict_reply(mail.subject, "nb", False, missing)

        fields = extract_fields(read, rules)
        took["requirements"], _ = _timed(repeat, requirements)
        for name, ms in took.items():
            stages[name]["ours"] += ms
            ours_ms += ms

        # End to end: the real function, with isolated extraction as the service runs it.
        t_e2e, (verdict, _) = _timed(
            1 if ocr else repeat, lambda raw=raw, f=file: triage_with_mail(raw, str(f), context)
        )
        row.update(
            floor_ms=floor_ms,
            stages_ms=ours_ms,
            e2e_ms=t_e2e,
            ocr=ocr,
            attachments=len(texts),
            category_found=verdict.category.value,
        )
        per_mail.append(row)
        if number % 50 == 0:
            log(f"  {number}/{len(files)} {row['file']}: floor {floor_ms:.1f} ms, e2e {t_e2e:.1f}")
        assert Category(verdict.category.value)

    # The obvious textcat: spaCy's default ensemble, on a sample of the same texts.
    sample = textcat_texts[:: max(1, len(textcat_texts) // (20 if quick else 80))]
    ensemble = floors.ensemble_textcat([c.value for c in Category])
    ensemble(sample[0])
    bow_ms = [_timed(repeat, lambda t=t: model.nlp(t))[0] for t in sample]
    ens_ms = [_timed(repeat, lambda t=t: ensemble(t))[0] for t in sample]

    return {
        "mails": len(files),
        "repeat": repeat,
        "stages": {k: dict(v) for k, v in stages.items()},
        "counts": dict(counts),
        "pdf_pages": pages["pdf"],
        "per_mail": per_mail,
        "obvious": {
            "pdf_ms_per_page": summary(obvious["pdf"]),
            "pdf_floor_ms_per_page": summary(floor_for_obvious["pdf"]),
            "docx_ms": summary(obvious["docx"]),
            "docx_floor_ms": summary(floor_for_obvious["docx"]),
            "xlsx_ms": summary(obvious["xlsx"]),
            "xlsx_floor_ms": summary(floor_for_obvious["xlsx"]),
            "textcat_bow_ms": summary(bow_ms),
            "textcat_ensemble_ms": summary(ens_ms),
        },
        "totals": _totals(per_mail),
    }


def _totals(per_mail: list[dict[str, Any]]) -> dict[str, Any]:
    def group(rows: list[dict[str, Any]]) -> dict[str, float]:
        floor = sum(r["floor_ms"] for r in rows)
        e2e = sum(r["e2e_ms"] for r in rows)
        stages = sum(r["stages_ms"] for r in rows)
        return {
            "mails": len(rows),
            "floor_ms": floor,
            "e2e_ms": e2e,
            "stages_ms": stages,
            "ratio": e2e / floor if floor else float("nan"),
            "median_floor_ms": statistics.median([r["floor_ms"] for r in rows]) if rows else 0,
            "median_e2e_ms": statistics.median([r["e2e_ms"] for r in rows]) if rows else 0,
        }

    new_apps = [r for r in per_mail if r["category"] == "new_application" and not r["ocr"]]
    return {
        "all": group(per_mail),
        "without_ocr": group([r for r in per_mail if not r["ocr"]]),
        "with_ocr": group([r for r in per_mail if r["ocr"]]),
        "new_application_without_ocr": group(new_apps),
    }


if __name__ == "__main__":
    import json

    from bench.common import OUT, quick

    OUT.mkdir(parents=True, exist_ok=True)
    result = run(quick())
    (OUT / "pipeline.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result["totals"], indent=1))
    print(json.dumps(result["stages"], indent=1))
